"""Report formats as one registry: format → renderer and media type.

Why a registry: the CLI's ``--format`` choices, ``render_report`` and the API route
``/v1/checks/{id}/report.{fmt}`` all read this table, so a new format is one ``register`` call here
instead of edits in five places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class RenderFn(Protocol):
    def __call__(self, result: dict[str, Any], text: str | None, **options: Any) -> bytes: ...


@dataclass(frozen=True)
class ReportRenderer:
    fmt: str  # file extension and URL suffix: report.<fmt>
    media_type: str
    render: RenderFn
    title: str  # zh-CN, shown in help texts
    download: bool = False  # served as an attachment (binary formats)
    verifiable: bool = True  # carries a verification code (issued and recorded by the service)


_REGISTRY: dict[str, ReportRenderer] = {}


def register(renderer: ReportRenderer) -> ReportRenderer:
    _REGISTRY[renderer.fmt] = renderer
    return renderer


def get(fmt: str) -> ReportRenderer:
    """The renderer of ``fmt``; an unknown format is a clear error listing the known ones."""
    from integrity.errors import InputError

    try:
        return _REGISTRY[fmt]
    except KeyError:
        known = "、".join(_REGISTRY)
        raise InputError(f"不支持的报告格式：{fmt}（可选 {known}）", code="bad_report_format") from None


def formats() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def _html(result: dict[str, Any], text: str | None, **options: Any) -> bytes:
    from integrity.report.html import render_html

    return render_html(result, text, **options).encode("utf-8")


def _pdf(result: dict[str, Any], text: str | None, **options: Any) -> bytes:
    from integrity.report.html import render_html
    from integrity.report.pdf import html_to_pdf

    return html_to_pdf(render_html(result, text, **options))


def _txt(result: dict[str, Any], text: str | None, **options: Any) -> bytes:
    from integrity.report.text import render_text

    return (render_text(result) + "\n").encode("utf-8")


for _renderer in (
    ReportRenderer("html", "text/html; charset=utf-8", _html, "HTML 报告单"),
    ReportRenderer("pdf", "application/pdf", _pdf, "PDF 报告单", download=True),
    ReportRenderer("txt", "text/plain; charset=utf-8", _txt, "纯文本摘要", verifiable=False),
):
    register(_renderer)
