"""The request-body gate: authenticate first, then read at most the route's limit (pure ASGI).

Why pure ASGI and not ``@app.middleware("http")``: a size rule that only looks at ``Content-Length``
is bypassed by a chunked body, and FastAPI spools a whole multipart body to disk before the route's
``require_key`` runs — 1 GB read from a caller without a key, answered 401 after 12.7 s (issue 10).
This gate sits in front of the app: on ``/v1`` write routes it checks the API key (or a session, via
``app.state.body_authenticators``) from the headers alone, refuses a declared ``Content-Length`` over
the limit at once, and counts the bytes of a streamed body, answering 413 as soon as they pass it.

``ROUTE_LIMITS`` is the one place that says how much each route may receive.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from integrity.errors import FileTooLarge, IntegrityError
from integrity.settings import Settings

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (headers lower-cased, app) -> True when the caller is authenticated; raising IntegrityError refuses.
BodyAuthenticator = Callable[[dict[str, str], Any], bool]

MIB = 1024 * 1024
FRAMING = MIB  # multipart boundaries and small form fields (metadata JSON) on top of the file
MANIFEST = 20 * MIB  # integrity.batch.manifest.MAX_MANIFEST_BYTES: the batch manifest travels alongside
DEFAULT_LIMIT = MIB  # any other route: JSON bodies only
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteLimit:
    """``setting``: the Settings field holding the file limit (None: ``DEFAULT_LIMIT``); ``extra``: bytes
    allowed on top of it for the multipart framing and other parts of the same request."""

    method: str
    path: re.Pattern[str]
    setting: str | None
    extra: int = FRAMING

    def limit(self, settings: Settings) -> tuple[int, str, int]:
        """(bytes the body may have, name of the limit, the limit as the user knows it)."""
        if self.setting is None:
            return DEFAULT_LIMIT, "max_request_bytes", DEFAULT_LIMIT
        value = int(getattr(settings, self.setting))
        return value + self.extra, self.setting, value


ROUTE_LIMITS: tuple[RouteLimit, ...] = (
    RouteLimit("POST", re.compile(r"/v1/batches/?"), "batch_max_upload_bytes", FRAMING + MANIFEST),
    RouteLimit("POST", re.compile(r"/v1/checks/?"), "max_upload_bytes"),
    RouteLimit("POST", re.compile(r"/v1/corpus/files/?"), "max_upload_bytes"),
    RouteLimit("POST", re.compile(r"/v1/corpus/documents/?"), "max_upload_bytes"),
    RouteLimit("PUT", re.compile(r"/v1/corpus/imports/[^/]+/pages/[^/]+/?"), "max_upload_bytes"),
)
_DEFAULT_ROUTE = RouteLimit("*", re.compile(".*"), None)


def route_limit(method: str, path: str) -> RouteLimit:
    for rule in ROUTE_LIMITS:
        if rule.method == method and rule.path.fullmatch(path):
            return rule
    return _DEFAULT_ROUTE


# Writes that carry their credentials in the body: signing in with a user name and password.
CREDENTIAL_WRITES = frozenset({("POST", "/v1/session")})


def needs_auth(method: str, path: str) -> bool:
    """Write requests to the API carry credentials; public pages (``/web``, ``/verify``) and the sign-in
    itself (its small JSON body holds the password; the default body limit still applies) do not."""
    if (method, path.rstrip("/")) in CREDENTIAL_WRITES:
        return False
    return method in BODY_METHODS and path.startswith("/v1/")


class BodyTooLarge(FileTooLarge):
    pass


def too_large(name: str, limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"请求体过大：此接口上限为 {limit / MIB:.1f} MB（{limit} 字节，设置项 {name}），已停止接收",
        detail={"limit": name, name: limit},
    )


def bearer_authenticator(headers: dict[str, str], app: Any) -> bool:
    """The API key in ``Authorization: Bearer``; AuthError when missing or invalid."""
    from service.auth import authenticate

    authenticate(app.state.db, headers.get("authorization"))
    return True


def session_authenticator(headers: dict[str, str], app: Any) -> bool:
    """A signed-in browser: the session cookie and its CSRF token in ``X-CSRF-Token``, as routes check."""
    from http.cookies import SimpleCookie

    from service.auth import check_csrf
    from service.users import CSRF_HEADER, SESSION_COOKIE, session_principal

    cookies: SimpleCookie = SimpleCookie()
    cookies.load(headers.get("cookie", ""))
    morsel = cookies.get(SESSION_COOKIE)
    if morsel is None or not morsel.value or "authorization" in headers:
        return False  # not a browser session: the bearer key decides (as in ``request_principal``)
    info = session_principal(app.state.db, morsel.value)
    check_csrf(info.csrf_token, headers.get(CSRF_HEADER.lower(), ""))
    return True


def _error_body(exc: IntegrityError) -> tuple[int, bytes]:
    from service.redact import redact

    body = {"error": {"code": exc.code, "message": redact(exc.message), "detail": redact(exc.detail or {})}}
    return exc.http_status, json.dumps(body, ensure_ascii=False).encode("utf-8")


async def send_error(send: Send, exc: IntegrityError) -> None:
    status, body = _error_body(exc)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitGate:
    """ASGI middleware; ``app.state.body_authenticators`` is read per request so others can add to it."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if needs_auth(method, path):
            refusal = await self._authenticate(headers, scope)
            if refusal is not None:
                await send_error(send, refusal)
                return
        allowed, name, shown = route_limit(method, path).limit(self.settings)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > allowed:
            await send_error(send, too_large(name, shown))
            return
        await self._stream(scope, receive, send, allowed, name, shown)

    async def _authenticate(self, headers: dict[str, str], scope: Scope) -> IntegrityError | None:
        app: Any = scope.get("app")  # the FastAPI app (Starlette sets it before the middleware stack)
        authenticators: list[BodyAuthenticator] = list(
            getattr(app.state, "body_authenticators", None) or [bearer_authenticator]
        )
        first_error: IntegrityError | None = None
        for check in authenticators:
            try:
                if await anyio.to_thread.run_sync(check, headers, app):
                    return None
            except IntegrityError as exc:
                first_error = first_error or exc
            except Exception:
                # the key store is unreachable (database outage): let the route answer as it does for every
                # request then (503); the body is still read only up to the route's limit
                log.warning("body gate could not authenticate; deferring to the route", exc_info=True)
                return None
        if first_error is not None:
            return first_error
        from service.auth import AuthError

        return AuthError("缺少 API 密钥：请在 Authorization 头中使用 Bearer <密钥>")

    async def _stream(
        self, scope: Scope, receive: Receive, send: Send, allowed: int, name: str, shown: int
    ) -> None:
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    exceeded = True
                    raise too_large(name, shown)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's own answer to the aborted body is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await send_error(send, too_large(name, shown))
