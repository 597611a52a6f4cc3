"""PDF report: the HTML report rendered by WeasyPrint (pango), fonts embedded as subsets.

Why WeasyPrint: the PDF is the same HTML/CSS reviewers see on screen (one template, no second layout to
keep in step), and it embeds the Noto CJK fonts from ``fonts-noto-cjk`` so the Chinese text is real text
(searchable, copyable) and never tofu on a machine without the fonts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrity.errors import IntegrityError
from integrity.settings import Settings


class ReportRenderError(IntegrityError):
    code = "report_render_failed"
    http_status = 500


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document to PDF bytes."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries missing
        raise ReportRenderError(
            f"无法生成 PDF：WeasyPrint 或其系统库（pango）不可用（{exc}）。请运行 make setup 安装。"
        ) from exc
    # No base_url and only data: URLs: untrusted paper text must never make the renderer fetch anything.
    fetcher_cls = getattr(weasyprint, "URLFetcher", None)
    fetcher: Any = fetcher_cls(allowed_protocols=["data"]) if fetcher_cls else _data_only
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    except Exception as exc:  # a renderer failure must reach the user as a clear error
        raise ReportRenderError(f"PDF 生成失败：{type(exc).__name__}: {exc}") from exc
    if not pdf:
        raise ReportRenderError("PDF 生成失败：输出为空")
    return bytes(pdf)


def _data_only(url: str, *args: Any, **kwargs: Any) -> Any:
    """Fetcher for WeasyPrint versions without ``URLFetcher``: inline ``data:`` resources only."""
    if not url.startswith("data:"):
        raise ValueError(f"external resource blocked: {url[:80]}")
    import weasyprint

    return weasyprint.default_url_fetcher(url, *args, **kwargs)


def render_pdf(
    result: dict[str, Any],
    text: str | None = None,
    *,
    code: str | None = None,
    settings: Settings | None = None,
    issued_at: datetime | None = None,
    base_url: str | None = None,
) -> bytes:
    """The PDF report of a check result (see ``integrity.report.html.render_html``)."""
    from integrity.report.html import render_html

    return html_to_pdf(
        render_html(result, text, code=code, settings=settings, issued_at=issued_at, base_url=base_url)
    )
