"""Report stage: plain text (``text``), HTML and PDF reports with verification codes.

``render_report(result, text, fmt=...)`` is the one entry point the CLI and the service use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrity.errors import InputError
from integrity.settings import Settings

FORMATS = ("html", "pdf")


def render_report(
    result: dict[str, Any],
    text: str | None = None,
    *,
    fmt: str = "html",
    code: str | None = None,
    settings: Settings | None = None,
    issued_at: datetime | None = None,
    base_url: str | None = None,
    offline: bool = False,
) -> bytes:
    """HTML (UTF-8) or PDF bytes of the report of one check result."""
    from integrity.report.html import render_html
    from integrity.report.pdf import html_to_pdf

    if fmt not in FORMATS:
        raise InputError(f"不支持的报告格式：{fmt}（可选 html、pdf）", code="bad_report_format")
    html = render_html(
        result, text, code=code, settings=settings, issued_at=issued_at, base_url=base_url, offline=offline
    )
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
