"""OCR of scanned pages with tesseract (``chi_sim+eng``), run inside the sandboxed worker.

Why here and not a service: tesseract is a Debian package (``make setup``), inherits the worker's memory
limit and dies with its process group on timeout. Output is marked ``text_layer="ocr"`` with the mean word
confidence, so a reviewer knows the figures rest on recognised, not extracted, text. Tesseract puts spaces
between Chinese characters; they are removed, and lines of one paragraph are joined like PDF lines.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING, Any

from integrity.errors import ParseLimitExceeded, UnreadableText
from integrity.ingest.layout import is_cjk

if TYPE_CHECKING:
    from integrity.settings import Settings

_MAX_PIXELS = 40_000_000  # one rendered page; a 14400 pt page at 300 dpi would need 3.6 GB
_CJK_SPACE_RE = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])"
)


def ocr_available(settings: Settings) -> str | None:
    """None when OCR can run, else a zh-CN reason."""
    if not settings.ocr_enabled:
        return "OCR 已关闭（settings.ocr_enabled）"
    if shutil.which("tesseract") is None:
        return "未安装 tesseract-ocr（make setup 会安装）"
    return None


def ocr_pdf(data: bytes, settings: Settings, only_pages: list[int] | None = None) -> tuple[str, float, int]:
    """(text, mean confidence 0..100, pages) of every page, rendered at ``settings.ocr_dpi``.

    Pages are recognised two at a time (tesseract runs as a child process per page), in page order.
    With ``only_pages`` (1-based) only those are recognised, and ``text`` joins them with form feeds."""
    from concurrent.futures import ThreadPoolExecutor

    import pypdfium2 as pdfium

    reason = ocr_available(settings)
    if reason:
        raise UnreadableText(f"没有可用的文字层，且无法 OCR：{reason}", detail={"text_layer": "unreadable"})
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    pdf = pdfium.PdfDocument(data)
    n_pages = len(pdf)
    if n_pages > settings.max_pages:
        pdf.close()
        raise ParseLimitExceeded(
            f"PDF 页数过多：{n_pages} 页，上限 {settings.max_pages} 页", code="too_many_pages"
        )

    def render(i: int) -> Any:
        page = pdf[i]
        w, h = page.get_size()
        scale = settings.ocr_dpi / 72.0
        if w * h * scale * scale > _MAX_PIXELS:
            scale = (_MAX_PIXELS / (w * h)) ** 0.5
        image = page.render(scale=scale, grayscale=True).to_pil()
        page.close()
        return image

    results: list[tuple[str, float, int]] = []
    try:
        # pdfium is not thread-safe: render in this thread, recognise in two threads (one tesseract each)
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending = []
            for i in range(n_pages):
                if only_pages is not None and i + 1 not in only_pages:
                    continue
                pending.append(pool.submit(ocr_image, render(i), settings))
                if len(pending) >= 2:
                    results.append(pending.pop(0).result())
            results.extend(f.result() for f in pending)
    finally:
        pdf.close()
    texts = [t for t, _, _ in results]
    confs = [(c, n) for _, c, n in results if n]
    total = sum(n for _, n in confs)
    mean = sum(c * n for c, n in confs) / total if total else 0.0
    text = "\f".join(texts) if only_pages is not None else "\n".join(t for t in texts if t)
    if not text.strip():
        raise UnreadableText(
            "OCR 未识别出任何文字：扫描件可能为空白或分辨率过低", detail={"text_layer": "unreadable"}
        )
    if mean < settings.ocr_min_confidence:
        raise UnreadableText(
            f"OCR 识别质量过低：平均置信度 {mean:.0f}，下限 {settings.ocr_min_confidence:.0f}；"
            "请提交清晰的扫描件或带文字层的 PDF",
            detail={"text_layer": "unreadable", "ocr_confidence": round(mean, 1)},
        )
    return text, mean, n_pages


def ocr_image(image: Any, settings: Settings) -> tuple[str, float, int]:
    """(text, mean confidence, recognised characters) of one page image."""
    import pytesseract

    d = pytesseract.image_to_data(image, lang=settings.ocr_languages, output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    conf_sum = 0.0
    n_chars = 0
    for i, word in enumerate(d["text"]):
        word = (word or "").strip()
        conf = float(d["conf"][i])
        if not word or conf < 0:
            continue
        key = (d["block_num"][i], d["par_num"][i], d["line_num"][i])
        lines.setdefault(key, []).append(word)
        conf_sum += conf * len(word)
        n_chars += len(word)
    paragraphs: list[str] = []
    last_par: tuple[int, int] | None = None
    for (block, par, _line), words in sorted(lines.items()):
        text = _CJK_SPACE_RE.sub("", " ".join(words))
        if last_par == (block, par) and paragraphs:
            prev = paragraphs[-1]
            sep = "" if (is_cjk(prev[-1:] or "a") or is_cjk(text[:1] or "a")) else " "
            paragraphs[-1] = prev + sep + text
        else:
            paragraphs.append(text)
        last_par = (block, par)
    return "\n".join(paragraphs), (conf_sum / n_chars if n_chars else 0.0), n_chars
