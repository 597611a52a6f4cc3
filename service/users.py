"""People who sign in to the web page: users per tenant, argon2id passwords, lockout and web sessions.

API keys stay for systems; a person gets a user name and password instead of a shared key. Passwords
are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile); a wrong password counts towards
``INTEGRITY_LOGIN_MAX_FAILURES``, after which the account is locked for ``INTEGRITY_LOGIN_LOCKOUT_S``.
A session cookie holds a random token whose sha256 is the ``web_sessions`` row id; the row's
``csrf_token`` must come back in ``X-CSRF-Token`` on every state-changing request made with the cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from integrity.errors import IntegrityError
from integrity.settings import Settings
from service.auth import ROLES, AuthError, NotFound, Principal, validate_tenant
from service.db import Database
from service.models import User, WebSession, utcnow

SESSION_COOKIE = "integrity_session"
CSRF_HEADER = "X-CSRF-Token"
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory parameters
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))  # verified for unknown users: same cost, no user oracle


class UserExists(IntegrityError):
    code = "user_exists"
    http_status = 409


class LoginLocked(IntegrityError):
    code = "login_locked"
    http_status = 429


def validate_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise IntegrityError(
            "用户名无效：1–64 个字符，只允许字母、数字和 . _ @ -，以字母或数字开头",
            code="invalid_username",
            detail={"username": username},
        )
    return username


def validate_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise IntegrityError(
            f"密码长度须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符",
            code="weak_password",
            detail={"min_length": MIN_PASSWORD},
        )
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(validate_password(password))


def _uid(user: User) -> str:
    """The principal id of a person (audit ``key_id`` column, rate-limit bucket)."""
    return "u:" + user.id


def user_to_dict(u: User) -> dict[str, object]:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": u.id,
        "tenant": u.tenant,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "disabled": u.disabled_at is not None,
        "locked_until": iso(u.locked_until) if u.locked_until and u.locked_until > utcnow() else None,
        "created_at": iso(u.created_at),
        "last_login_at": iso(u.last_login_at),
    }


def create_user(
    db: Database, *, tenant: str, username: str, password: str, role: str, display_name: str = ""
) -> User:
    if role not in ROLES:
        raise IntegrityError(f"角色无效：{role}（可选 unit、reviewer、admin）", code="invalid_role")
    validate_tenant(tenant)
    validate_username(username)
    row = User(
        id=secrets.token_hex(8),
        tenant=tenant,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        failed_logins=0,
        created_at=utcnow(),
    )
    with db.session() as s:
        if s.scalar(select(User).where(User.tenant == tenant, User.username == username)) is not None:
            raise UserExists(f"用户已存在：{username}（租户 {tenant}）", detail={"username": username})
        s.add(row)
    return row


def list_users(db: Database, tenant: str | None = None) -> list[User]:
    with db.session() as s:
        q = select(User).order_by(User.tenant, User.username)
        if tenant is not None:
            q = q.where(User.tenant == tenant)
        return list(s.scalars(q))


def _get(s: object, tenant: str, username: str) -> User:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    row = s.scalar(select(User).where(User.tenant == tenant, User.username == username))
    if row is None:
        raise NotFound(f"用户不存在：{username}（租户 {tenant}）", detail={"username": username})
    return row


def set_password(db: Database, tenant: str, username: str, password: str) -> User:
    """New password; unlocks the account and signs out every session of the user."""
    new_hash = hash_password(password)
    with db.session() as s:
        row = _get(s, tenant, username)
        row.password_hash, row.failed_logins, row.locked_until = new_hash, 0, None
        s.execute(delete(WebSession).where(WebSession.user_id == row.id))
        return row


def set_disabled(db: Database, tenant: str, username: str, disabled: bool) -> User:
    """Disable (and sign out) or re-enable a user; re-enabling also clears a lockout."""
    with db.session() as s:
        row = _get(s, tenant, username)
        if disabled:
            row.disabled_at = row.disabled_at or utcnow()
            s.execute(delete(WebSession).where(WebSession.user_id == row.id))
        else:
            row.disabled_at, row.failed_logins, row.locked_until = None, 0, None
        return row


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie value, shown to the browser only
    csrf_token: str
    expires_at: datetime
    user: User


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(db: Database, settings: Settings, tenant: str, username: str, password: str) -> NewSession:
    """Check the password (argon2id), apply the lockout, open a session."""
    bad = AuthError("租户、用户名或密码错误", code="bad_credentials")
    now = utcnow()
    with db.session() as s:
        # FOR UPDATE (PostgreSQL): concurrent wrong guesses must each count towards the lockout
        q = select(User).where(User.tenant == tenant, User.username == username).with_for_update()
        row = s.scalar(q)
        if row is None:
            _verify(_DUMMY_HASH, password)
            raise bad
        if row.locked_until is not None and row.locked_until > now:
            wait = int((row.locked_until - now).total_seconds()) + 1
            raise LoginLocked(
                f"密码错误次数过多，账号已锁定，请 {wait} 秒后再试或联系管理员（integrity users enable）",
                detail={"retry_after_s": wait},
            )
        ok = _verify(row.password_hash, password)
        if not ok:
            row.failed_logins += 1
            if row.failed_logins >= settings.login_max_failures:
                row.failed_logins = 0
                row.locked_until = now + timedelta(seconds=settings.login_lockout_s)
            failed = True
        else:
            failed = False
            if row.disabled_at is not None:
                raise AuthError("该用户已停用，请联系管理员", code="user_disabled")
            row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = now + timedelta(seconds=settings.session_ttl_s)
            s.add(
                WebSession(
                    id=_token_hash(token),
                    user_id=row.id,
                    tenant=row.tenant,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
            s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.flush()
    if failed:  # committed above: the failure counts even though we raise
        raise bad
    return NewSession(token=token, csrf_token=csrf, expires_at=expires, user=row)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    csrf_token: str
    username: str
    display_name: str
    expires_at: datetime


def session_principal(db: Database, token: str) -> SessionInfo:
    """The signed-in user behind a session cookie (401 when expired, signed out or disabled)."""
    with db.session() as s:
        sess = s.get(WebSession, _token_hash(token))
        if sess is None or sess.expires_at <= utcnow():
            raise AuthError("登录已过期，请重新登录", code="session_expired")
        user = s.get(User, sess.user_id)
        if user is None or user.disabled_at is not None:
            raise AuthError("该用户已停用，请联系管理员", code="user_disabled")
        return SessionInfo(
            principal=Principal(key_id=_uid(user), role=user.role, tenant=user.tenant),  # type: ignore[arg-type]
            csrf_token=sess.csrf_token,
            username=user.username,
            display_name=user.display_name,
            expires_at=sess.expires_at,
        )


def logout(db: Database, token: str) -> None:
    with db.session() as s:
        s.execute(delete(WebSession).where(WebSession.id == _token_hash(token)))


def cookie_secure(settings: Settings) -> bool:
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    return settings.report_base_url.lower().startswith("https://")
