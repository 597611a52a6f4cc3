"""API keys, roles and the ``require_key(role)`` dependency.

Keys are 32 random bytes (url-safe base64, prefixed ``ik_``); only their sha256 is stored, which is
enough for high-entropy secrets (no slow hash needed). Roles are ordered: ``unit`` < ``reviewer`` <
``admin`` — see service/README.md for what each may do. Every principal carries its tenant; routers
filter every query by it and answer 404 (never 403) for another tenant's objects.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy import select

from integrity.errors import IntegrityError
from service.db import Database
from service.models import ApiKey, utcnow

Role = Literal["unit", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("unit", "reviewer", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BOOTSTRAP_KEY_ID = "bootstrap-admin"


class AuthError(IntegrityError):
    code = "unauthorized"
    http_status = 401


class Forbidden(IntegrityError):
    code = "forbidden"
    http_status = 403


class NotFound(IntegrityError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id, its role and its tenant."""

    key_id: str
    role: Role
    tenant: str
    callback_url: str | None = None
    webhook_secret: str = ""

    def can(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def validate_tenant(tenant: str) -> str:
    if not TENANT_RE.match(tenant):
        raise IntegrityError(
            "租户名无效：只允许小写字母、数字、- 和 _，以字母或数字开头，最长 63 个字符",
            code="invalid_tenant",
            detail={"tenant": tenant},
        )
    return tenant


@dataclass
class CreatedKey:
    key: str  # shown once
    row: ApiKey


def create_key(
    db: Database,
    *,
    role: str,
    tenant: str,
    name: str = "",
    callback_url: str | None = None,
    key_id: str | None = None,
    raw_key: str | None = None,
) -> CreatedKey:
    """Create and store a key; the raw key is returned once and never stored."""
    if role not in ROLES:
        raise IntegrityError(f"角色无效：{role}（可选 unit、reviewer、admin）", code="invalid_role")
    validate_tenant(tenant)
    raw = raw_key or "ik_" + secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id or secrets.token_hex(8),
        key_hash=hash_key(raw),
        prefix=raw[:10],
        name=name,
        role=role,
        tenant=tenant,
        callback_url=callback_url,
        webhook_secret=secrets.token_hex(32),
        created_at=utcnow(),
    )
    with db.session() as s:
        s.add(row)
    return CreatedKey(key=raw, row=row)


def list_keys(db: Database, tenant: str | None = None) -> list[ApiKey]:
    with db.session() as s:
        q = select(ApiKey).order_by(ApiKey.created_at)
        if tenant is not None:
            q = q.where(ApiKey.tenant == tenant)
        return list(s.scalars(q))


def revoke_key(db: Database, key_id: str, tenant: str | None = None) -> ApiKey:
    with db.session() as s:
        row = s.get(ApiKey, key_id)
        if row is None or (tenant is not None and row.tenant != tenant):
            raise NotFound(f"密钥不存在：{key_id}", detail={"key_id": key_id})
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return row


def bootstrap_admin(db: Database, raw_key: str, tenant: str) -> None:
    """Import ``INTEGRITY_ADMIN_API_KEY`` as the first admin key (idempotent)."""
    h = hash_key(raw_key)
    with db.session() as s:
        if s.scalar(select(ApiKey).where(ApiKey.key_hash == h)) is not None:
            return
        old = s.get(ApiKey, BOOTSTRAP_KEY_ID)
        if old is not None:  # the bootstrap secret was rotated: same key id, new hash
            old.key_hash, old.prefix, old.revoked_at = h, raw_key[:10], None
            return
    create_key(
        db,
        role="admin",
        tenant=tenant,
        name="bootstrap (INTEGRITY_ADMIN_API_KEY)",
        key_id=BOOTSTRAP_KEY_ID,
        raw_key=raw_key,
    )


def authenticate(db: Database, authorization: str | None) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise AuthError("未登录：请登录网页，或在 Authorization 头中使用 Bearer <API 密钥>")
    raw = authorization[7:].strip()
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))
    if row is None or row.revoked_at is not None:
        raise AuthError("API 密钥无效或已吊销")
    return Principal(
        key_id=row.id,
        role=row.role,  # type: ignore[arg-type]
        tenant=row.tenant,
        callback_url=row.callback_url,
        webhook_secret=row.webhook_secret,
    )


# Declares the bearer scheme in OpenAPI (the "Authorize" button in /docs); checking is done below.
_bearer = HTTPBearer(auto_error=False, description="API 密钥：Authorization: Bearer <密钥>")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_csrf(expected: str, sent: str) -> None:
    """A state-changing request made with the session cookie must echo the session's CSRF token."""
    from service.users import CSRF_HEADER

    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            f"缺少或错误的 CSRF 令牌：通过登录会话修改数据时须带 {CSRF_HEADER} 头（请刷新页面后重试）",
            code="csrf_failed",
        )


def request_principal(request: Request) -> Principal:
    """A bearer API key (systems) or, without one, the web session cookie (people).

    A state-changing request made with the cookie must carry the session's CSRF token in
    ``X-CSRF-Token``: the cookie is sent by the browser automatically, the header only by our page.
    """
    from service.users import CSRF_HEADER, SESSION_COOKIE, session_principal

    header = request.headers.get("authorization")
    token = request.cookies.get(SESSION_COOKIE)
    if header is not None or not token:
        return authenticate(request.app.state.db, header)
    info = session_principal(request.app.state.db, token)
    if request.method not in SAFE_METHODS:
        check_csrf(info.csrf_token, request.headers.get(CSRF_HEADER, ""))
    request.state.web_session = info
    return info.principal


def require_key(role: Role = "unit") -> Callable[[Request], Principal]:
    """FastAPI dependency: authenticate the bearer key, check its role and the per-key rate limit."""

    def dependency(request: Request, _: Any = Depends(_bearer)) -> Principal:
        state = request.app.state
        principal = request_principal(request)
        state.rate_limiter.hit(principal.key_id, principal.tenant)
        if not principal.can(role):
            raise Forbidden(
                f"权限不足：此操作需要 {role} 及以上角色，当前密钥角色为 {principal.role}",
                detail={"required_role": role, "role": principal.role},
            )
        request.state.principal = principal
        return principal

    return dependency


def key_to_dict(row: ApiKey) -> dict[str, object]:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": row.id,
        "prefix": row.prefix,
        "name": row.name,
        "role": row.role,
        "tenant": row.tenant,
        "callback_url": row.callback_url,
        "created_at": iso(row.created_at),
        "revoked_at": iso(row.revoked_at),
    }
