"""Report stage: plain text (``text``), HTML and PDF reports with verification codes.

``render_report(result, text, fmt=...)`` is the one entry point the CLI and the service use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrity.report import registry
from integrity.settings import Settings

FORMATS = registry.formats()  # the registry's formats (kept for importers of the old tuple)


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
    """The report of one check result in ``fmt`` (see ``integrity.report.registry``), as bytes."""
    renderer = registry.get(fmt)
    if not renderer.verifiable:
        return renderer.render(result, text)
    return renderer.render(
        result, text, code=code, settings=settings, issued_at=issued_at, base_url=base_url, offline=offline
    )
