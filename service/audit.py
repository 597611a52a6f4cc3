"""Append-only audit trail: submissions, result reads, corpus and key changes (seed 000: 谁推荐谁审核谁负责).

Rows are only ever inserted; database triggers reject UPDATE, DELETE, REPLACE (SQLite) and TRUNCATE
(PostgreSQL), and each event is hash-chained per tenant (``service.audit_chain``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from service.db import Database
from service.models import AuditEvent, utcnow

if TYPE_CHECKING:
    from service.auth import Principal


def record_by(db: Database, principal: Principal, action: str, **fields: Any) -> None:
    """``record`` for an API caller: tenant, key and role come from the principal, so no route can
    write an event under another tenant or forget who acted."""
    record(db, tenant=principal.tenant, key_id=principal.key_id, role=principal.role, action=action, **fields)


def record(
    db: Database,
    *,
    tenant: str,
    action: str,
    key_id: str | None = None,
    role: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    file_sha256: str | None = None,
    policy_version: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    from service.audit_chain import append

    with db.session() as s:
        append(
            s,
            AuditEvent(
                at=utcnow(),
                tenant=tenant,
                key_id=key_id,
                role=role,
                action=action,
                object_type=object_type,
                object_id=object_id,
                file_sha256=file_sha256,
                policy_version=policy_version,
                detail=detail or None,
            ),
        )


def list_events(
    db: Database,
    *,
    tenant: str | None,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """Newest first. ``tenant=None`` lists every tenant (system admin / CLI)."""
    with db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if tenant is not None:
            q = q.where(AuditEvent.tenant == tenant)
        if since is not None:
            q = q.where(AuditEvent.at >= since)
        if action is not None:
            q = q.where(AuditEvent.action == action)
        if before_id is not None:
            q = q.where(AuditEvent.id < before_id)
        return [event_to_dict(e) for e in s.scalars(q)]


def event_to_dict(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat() if e.at else None,
        "tenant": e.tenant,
        "key_id": e.key_id,
        "role": e.role,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "file_sha256": e.file_sha256,
        "policy_version": e.policy_version,
        "detail": e.detail,
    }
