"""API key management (admin). Admins manage their own tenant; admins of ``settings.admin_tenant``
(the bootstrap key's tenant) manage every tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from service import audit
from service.auth import Forbidden, Principal, create_key, key_to_dict, list_keys, require_key, revoke_key
from service.deps import get_db, get_settings
from service.schemas import KeyCreateIn
from service.webhooks import validate_callback_url

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def _is_system_admin(principal: Principal, settings: Any) -> bool:
    return principal.role == "admin" and principal.tenant == settings.admin_tenant


@router.post("", status_code=201, summary="创建 API 密钥（密钥只显示一次）")
def create(
    body: KeyCreateIn,
    principal: Principal = Depends(require_key("admin")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    tenant = body.tenant or principal.tenant
    if tenant != principal.tenant and not _is_system_admin(principal, settings):
        raise Forbidden("只能为本租户创建密钥", detail={"tenant": tenant})
    if body.callback_url:
        validate_callback_url(body.callback_url, settings)
    created = create_key(db, role=body.role, tenant=tenant, name=body.name, callback_url=body.callback_url)
    audit.record(
        db,
        tenant=tenant,
        key_id=principal.key_id,
        role=principal.role,
        action="key.create",
        object_type="api_key",
        object_id=created.row.id,
        detail={"role": body.role, "by_tenant": principal.tenant},
    )
    return {**key_to_dict(created.row), "key": created.key, "webhook_secret": created.row.webhook_secret}


@router.get("", summary="列出 API 密钥")
def list_(
    principal: Principal = Depends(require_key("admin")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
    tenant: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    scope = tenant if _is_system_admin(principal, settings) else principal.tenant
    rows = list_keys(db, scope)
    return {"items": [key_to_dict(r) for r in rows]}


@router.delete("/{key_id}", summary="吊销 API 密钥")
def revoke(
    key_id: str,
    principal: Principal = Depends(require_key("admin")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    scope = None if _is_system_admin(principal, settings) else principal.tenant
    row = revoke_key(db, key_id, scope)
    audit.record(
        db,
        tenant=row.tenant,
        key_id=principal.key_id,
        role=principal.role,
        action="key.revoke",
        object_type="api_key",
        object_id=key_id,
    )
    return key_to_dict(row)
