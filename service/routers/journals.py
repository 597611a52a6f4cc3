"""Journal lookup in the catalogue (any role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from service.auth import Principal, require_key
from service.deps import get_settings, jsonable

router = APIRouter(prefix="/v1", tags=["journals"])


@router.get("/journals", summary="期刊查询：名称、ISSN 或 CN，可按发表年份判定核心版次")
def lookup_journal(
    q: Annotated[str, Query(min_length=1, max_length=300, description="刊名、ISSN 或 CN")],
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    principal: Principal = Depends(require_key("unit")),
    settings: Any = Depends(get_settings),
) -> dict[str, Any]:
    import importlib

    Catalogue = importlib.import_module("integrity.catalogue").Catalogue

    try:
        catalogue = Catalogue.open(settings)
    except TypeError:
        catalogue = Catalogue.open()
    result = catalogue.lookup(q, year)
    data = jsonable(result)
    return data if isinstance(data, dict) else {"items": data}
