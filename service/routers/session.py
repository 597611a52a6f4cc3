"""``/v1/session``: people sign in to the web page with tenant, user name and password.

POST signs in (sets the HttpOnly, SameSite=Strict session cookie and returns the CSRF token), GET says
who is signed in (API keys too), DELETE signs out. Users are managed with ``integrity users``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from service import audit
from service.auth import AuthError, Principal, require_key
from service.deps import get_db, get_settings
from service.users import SESSION_COOKIE, cookie_secure, login, logout

router = APIRouter(prefix="/v1/session", tags=["session"])


class LoginIn(BaseModel):
    tenant: str = Field(min_length=1, max_length=64, description="租户（单位代码）")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


@router.post("", summary="用户名和密码登录（网页会话）")
def sign_in(
    body: LoginIn,
    request: Request,
    response: Response,
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    client = request.client.host if request.client else "unknown"
    request.app.state.rate_limiter.hit(f"login:{client}", body.tenant)
    try:
        new = login(db, settings, body.tenant, body.username, body.password)
    except AuthError as exc:
        if exc.code in ("bad_credentials", "user_disabled"):
            audit.record(
                db,
                tenant=body.tenant,
                action="session.login_failed",
                object_type="user",
                object_id=body.username,
                detail={"reason": exc.code, "client": client},
            )
        raise
    user = new.user
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.session_ttl_s,
        httponly=True,
        secure=cookie_secure(settings),
        samesite="strict",
        path="/",
    )
    audit.record(
        db,
        tenant=user.tenant,
        key_id="u:" + user.id,
        role=user.role,
        action="session.login",
        object_type="user",
        object_id=user.username,
        detail={"client": client},
    )
    return {
        "kind": "user",
        "tenant": user.tenant,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "csrf_token": new.csrf_token,
        "expires_at": new.expires_at.isoformat(),
    }


@router.get("", summary="当前登录身份（网页会话或 API 密钥）")
def who_am_i(request: Request, principal: Principal = Depends(require_key("unit"))) -> dict[str, Any]:
    info = getattr(request.state, "web_session", None)
    if info is None:
        return {
            "kind": "api_key",
            "key_id": principal.key_id,
            "tenant": principal.tenant,
            "role": principal.role,
        }
    return {
        "kind": "user",
        "tenant": principal.tenant,
        "username": info.username,
        "display_name": info.display_name,
        "role": principal.role,
        "csrf_token": info.csrf_token,
        "expires_at": info.expires_at.isoformat(),
    }


@router.delete("", status_code=204, summary="退出登录")
def sign_out(
    request: Request,
    response: Response,
    principal: Principal = Depends(require_key("unit")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and getattr(request.state, "web_session", None) is not None:
        logout(db, token)
        audit.record_by(db, principal, "session.logout", object_type="user", object_id=principal.key_id)
    out = Response(status_code=204)
    out.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=cookie_secure(settings), samesite="strict"
    )
    return out
