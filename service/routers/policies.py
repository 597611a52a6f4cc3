"""The jurisdiction policies the verdict can apply (any role)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from service.auth import Principal, require_key
from service.deps import get_settings, jsonable

router = APIRouter(prefix="/v1", tags=["policies"])


@router.get("/policies", summary="可用的政策规则")
def list_policies(
    principal: Principal = Depends(require_key("unit")),
    settings: Any = Depends(get_settings),
) -> dict[str, Any]:
    import importlib

    core_list = importlib.import_module("integrity.policy").list_policies

    try:
        items = core_list(settings)
    except TypeError:
        items = core_list()
    return {"items": jsonable(list(items)), "default": settings.default_policy}
