"""``GET /v1/audit``: the append-only trail of the caller's tenant (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from service import audit
from service.auth import Principal, require_key
from service.deps import get_db, get_settings

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit", summary="审计记录（只增不改）")
def list_audit(
    principal: Principal = Depends(require_key("admin")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
    since: Annotated[datetime | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    tenant: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,  # a BIGINT id
) -> dict[str, Any]:
    # Admins of the bootstrap tenant see every tenant (or the one asked for); others only their own.
    scope = tenant if principal.tenant == settings.admin_tenant else principal.tenant
    items = audit.list_events(db, tenant=scope, since=since, action=action, limit=limit, before_id=before_id)
    return {"items": items}
