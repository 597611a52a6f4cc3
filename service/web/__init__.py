"""The browser front end: one static page (plain HTML + vanilla JS, no build step) and the public
report-verification page. Served by ``router``; the page talks to the same ``/v1`` API, either with the
session cookie of a person signed in with user name and password (state-changing requests echo the
session's ``X-CSRF-Token``) or with an API key (kept in ``sessionStorage`` only, sent as Bearer).
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from integrity.errors import IntegrityError
from service.deps import get_settings

WEB_DIR = Path(__file__).resolve().parent
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
# Reports are shown in a sandboxed srcdoc iframe, which inherits this policy: inline styles and data:
# images (the QR code) are needed there; scripts only from this origin, never inline.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


class NotFoundPage(IntegrityError):
    code = "not_found"
    http_status = 404


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/web/", status_code=307)


@router.get("/web")
@router.get("/web/")
def index(settings: Any = Depends(get_settings)) -> HTMLResponse:
    """The page, told the time zone its times are shown in (``INTEGRITY_TIMEZONE``, validated IANA name)."""
    page = (WEB_DIR / "static" / "index.html").read_text(encoding="utf-8")
    page = page.replace("<body>", f'<body data-timezone="{html.escape(settings.timezone)}">', 1)
    return HTMLResponse(page, headers=SECURITY_HEADERS)


@router.get("/web/static/{name}")
def static(name: str) -> Response:
    media = STATIC.get(name)
    if media is None:  # a fixed list: no path from the URL ever reaches the file system
        raise NotFoundPage(f"文件不存在：{name}")
    data = (WEB_DIR / "static" / name).read_bytes()
    return Response(
        data, media_type=media, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    )


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_verify_page(code: str, data: dict[str, Any] | None) -> str:
    """The public page a report's QR code opens: valid, altered, or unknown."""
    return _env().get_template("verify.html").render(code=code, d=data)
