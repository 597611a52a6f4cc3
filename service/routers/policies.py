"""The jurisdiction policies the verdict can apply (any role)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from integrity.settings import Settings
from service.auth import NotFound, Principal, require_key
from service.deps import get_settings

router = APIRouter(prefix="/v1", tags=["policies"])


@router.get("/policies", summary="可用的政策规则（摘要）")
def list_policies(
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    from integrity.policy import list_policies as core_list

    return {"items": [p.summary() for p in core_list(settings)], "default": settings.default_policy}


@router.get("/policies/{policy_id}", summary="一项政策规则的全部内容（阈值、条款引用）")
def get_policy(
    policy_id: str,
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    from integrity.errors import PolicyError
    from integrity.policy import load_policy

    try:
        return load_policy(policy_id, settings).to_dict()
    except PolicyError as exc:
        if exc.code not in ("policy_not_found", "invalid_policy_id"):
            raise
        raise NotFound(f"政策不存在：{policy_id[:64]}", code="policy_not_found") from exc
