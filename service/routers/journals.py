"""Journal lookup in the catalogue (any role)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from integrity.settings import Settings
from service.auth import Principal, require_key
from service.deps import get_settings

router = APIRouter(prefix="/v1", tags=["journals"])


@router.get("/journals", summary="期刊查询：刊名、ISSN 或 CN；给出年份时按该年判定核心版次等级别")
def lookup_journal(
    q: Annotated[str, Query(min_length=1, max_length=300, description="刊名、ISSN 或 CN")],
    year: Annotated[int | None, Query(ge=1900, le=2100, description="发表年份")] = None,
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    from integrity.catalogue import Catalogue

    matches = Catalogue.open(settings.catalogue_path).lookup(q, year)
    return {"query": q, "year": year, "items": [m.to_dict() for m in matches]}
