"""PDF text extraction. Runs inside the sandboxed worker (``integrity.ingest.worker``), never in the caller.

Engine choice (measured by ``python -m bench.ingest``): pypdfium2 is the fast path — its C text layer gives
positioned characters and flags glyphs it could not map to Unicode, several times faster than pdfminer's
pure-Python layout analysis. pdfplumber (on pdfminer.six) is the fallback when pdfium cannot open a file.
Both feed ``integrity.ingest.layout`` for reading order, so quality does not depend on the engine's own
ordering. Pages without a usable text layer go to OCR (``integrity.ingest.ocr``) when enabled.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from integrity.errors import EncryptedFile, InputError, ParseLimitExceeded, UnreadableText
from integrity.ingest.layout import Char, PageLayout, layout_pages
from integrity.ingest.quality import measure, unreadable_reason
from integrity.models import ExtractedDocument

if TYPE_CHECKING:
    from integrity.settings import Settings

ENGINES = ("pypdfium2", "pdfplumber", "pdfminer")


def check_pdf_bytes(data: bytes) -> None:
    """Cheap structural checks before any parser runs."""
    if b"%%EOF" not in data[-4096:]:
        raise InputError(
            "PDF 文件不完整：缺少文件结束标记 %%EOF（可能上传中断或文件被截断），请重新导出后提交",
            code="truncated_file",
        )


def _open_pdfium(data: bytes) -> Any:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == raw.FPDF_ERR_PASSWORD:
            raise EncryptedFile("PDF 已加密（需要打开密码），无法提取文字：请提交未加密的版本") from None
        raise


def pdfium_pages(data: bytes, max_pages: int) -> tuple[list[PageLayout], dict[str, str], int, list[bool]]:
    """Positioned characters per page via pypdfium2; also PDF info, unmapped-glyph count, image-only flags."""
    import pypdfium2.raw as raw

    pdf = _open_pdfium(data)
    try:
        n = len(pdf)
        _check_pages(n, max_pages)
        info = {k: v for k, v in pdf.get_metadata_dict().items() if isinstance(v, str) and v.strip()}
        pages: list[PageLayout] = []
        unmapped = 0
        has_image: list[bool] = []
        rect = raw.FS_RECTF()
        ox, oy = ctypes.c_double(), ctypes.c_double()
        for i in range(n):
            page = pdf[i]
            width, height = page.get_size()
            tp = page.get_textpage()
            handle = tp.raw
            chars: list[Char] = []
            n_chars = tp.count_chars()
            text = tp.get_text_range(0, n_chars) if n_chars else ""
            if len(text) != n_chars:  # surrogate pairs: fall back to one call per character
                text = "".join(chr(raw.FPDFText_GetUnicode(handle, k)) for k in range(n_chars))
            # 4 C calls per glyph: unmapped flag, angle, loose box (x extent, font size), origin (baseline)
            for k, ch in enumerate(text):
                if ch in " \r\n" and raw.FPDFText_IsGenerated(handle, k) == 1:
                    continue
                if raw.FPDFText_HasUnicodeMapError(handle, k) == 1:
                    unmapped += 1
                if ch in "\x00\ufffe\uffff" or "\ud800" <= ch <= "\udfff":
                    continue
                angle = raw.FPDFText_GetCharAngle(handle, k)
                if 0.05 < angle < 6.23:  # rotated text: diagonal watermarks, vertical table labels
                    continue
                raw.FPDFText_GetLooseCharBox(handle, k, rect)
                size = (rect.top - rect.bottom) or 10.0
                raw.FPDFText_GetCharOrigin(handle, k, ox, oy)
                base = height - oy.value
                chars.append(
                    Char(
                        ch,
                        rect.left,
                        max(rect.right, rect.left + 0.1),
                        base - 0.8 * size,
                        base + 0.2 * size,
                        base,
                        size,
                    )
                )
            # only near-empty pages can be scans; counting objects on every page costs more than the text
            has_image.append(len(chars) < 20 and _has_image(page))
            pages.append(PageLayout(i + 1, width, height, chars))
            tp.close()
            page.close()
        return pages, info, unmapped, has_image
    finally:
        pdf.close()


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as raw

    return any(True for _ in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3))


def pdfplumber_pages(data: bytes, max_pages: int) -> tuple[list[PageLayout], dict[str, str], int, list[bool]]:
    """Positioned characters per page via pdfplumber (pdfminer.six underneath)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise EncryptedFile("PDF 已加密（需要打开密码），无法提取文字：请提交未加密的版本") from None
    with pdf:
        _check_pages(len(pdf.pages), max_pages)
        info = {str(k): _info_str(v) for k, v in (pdf.metadata or {}).items()}
        info = {k: v for k, v in info.items() if v}
        pages: list[PageLayout] = []
        unmapped = 0
        has_image: list[bool] = []
        for i, page in enumerate(pdf.pages):
            chars: list[Char] = []
            for c in page.chars:
                text = c.get("text") or ""
                if text.startswith("(cid:"):
                    unmapped += 1
                    continue
                size = float(c.get("size") or 10.0)
                base = float(page.height) - float(c["matrix"][5]) if c.get("matrix") else float(c["bottom"])
                chars.append(
                    Char(
                        text, float(c["x0"]), float(c["x1"]), float(c["top"]), float(c["bottom"]), base, size
                    )
                )
            has_image.append(bool(page.images))
            pages.append(PageLayout(i + 1, float(page.width), float(page.height), chars))
            page.close()
        return pages, info, unmapped, has_image


def pdfminer_pages(data: bytes, max_pages: int) -> tuple[list[PageLayout], dict[str, str], int, list[bool]]:
    """Positioned characters per page via pdfminer.six's layout objects (for the engine benchmark)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTTextContainer

    pages: list[PageLayout] = []
    unmapped = 0
    has_image: list[bool] = []
    for i, lt_page in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams())):
        if i >= max_pages:
            _check_pages(i + 1, max_pages)
        height = float(lt_page.height)
        chars: list[Char] = []
        image = False
        stack: list[Any] = list(lt_page)
        while stack:
            obj = stack.pop()
            if isinstance(obj, LTChar):
                text = obj.get_text()
                if text.startswith("(cid:"):
                    unmapped += 1
                    continue
                base = height - float(obj.matrix[5])
                chars.append(
                    Char(text, obj.x0, obj.x1, height - obj.y1, height - obj.y0, base, float(obj.size))
                )
            elif isinstance(obj, LTImage):
                image = True
            elif isinstance(obj, LTTextContainer | LTFigure) or hasattr(obj, "__iter__"):
                stack.extend(list(obj))
        has_image.append(image)
        pages.append(PageLayout(i + 1, float(lt_page.width), height, chars))
    return pages, {}, unmapped, has_image


PAGE_READERS: dict[str, Callable[[bytes, int], tuple[list[PageLayout], dict[str, str], int, list[bool]]]] = {
    "pypdfium2": pdfium_pages,
    "pdfplumber": pdfplumber_pages,
    "pdfminer": pdfminer_pages,
}


def raw_text(data: bytes, engine: str) -> str:
    """The engine's own plain-text output, no layout step (baseline for the benchmark)."""
    if engine == "pypdfium2":
        pdf = _open_pdfium(data)
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
    if engine == "pdfplumber":
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return "\n".join(p.extract_text() or "" for p in pdf.pages)
    from pdfminer.high_level import extract_text

    return str(extract_text(io.BytesIO(data)))


def _check_pages(n: int, max_pages: int) -> None:
    if n > max_pages:
        raise ParseLimitExceeded(
            f"PDF 页数过多：{n} 页，上限 {max_pages} 页",
            code="too_many_pages",
            detail={"pages": n, "limit": max_pages},
        )
    if n == 0:
        raise InputError("PDF 没有任何页面", code="empty_file")


def _info_str(value: Any) -> str:
    if isinstance(value, bytes):
        for enc in ("utf-16", "utf-8", "latin-1"):
            try:
                return value.decode(enc).strip()
            except UnicodeDecodeError:
                continue
    return str(value).strip() if isinstance(value, str | int | float) else ""


def extract_pdf(
    data: bytes, settings: Settings, engine: str = "pypdfium2", *, defer_ocr: bool = False
) -> ExtractedDocument:
    """Text layer → layout → quality check; OCR for scans and garbled layers when enabled."""
    from integrity.ingest.metadata import fill_metadata

    check_pdf_bytes(data)
    used = engine
    try:
        pages, info, unmapped, has_image = PAGE_READERS[engine](data, settings.max_pages)
    except InputError:
        raise
    except Exception as exc:  # a parser failed on a damaged file: try the other engine once
        if engine != "pypdfium2":
            raise _damaged(exc) from None
        try:
            used = "pdfplumber"
            pages, info, unmapped, has_image = pdfplumber_pages(data, settings.max_pages)
        except InputError:
            raise
        except Exception as exc2:
            raise _damaged(exc2) from None
    n_pages = len(pages)
    warnings: list[str] = []
    layout = layout_pages(pages)
    quality = measure(layout.text, unmapped)
    reason = unreadable_reason(
        quality, expect_chinese=settings.expect_chinese, min_cjk_ratio=settings.min_cjk_ratio
    )
    image_only = [p.number for p, img in zip(pages, has_image, strict=True) if img and len(p.chars) < 20]
    if reason is None and image_only and len(image_only) * 2 > n_pages:
        reason = f"{len(image_only)}/{n_pages} 页是扫描图像，没有文字层"
    elif reason is None and image_only and settings.ocr_enabled:
        if defer_ocr:
            raise NeedsOcr(f"第 {', '.join(map(str, image_only))} 页是扫描图像", info, image_only)
        return ocr_document(data, settings, "", info, image_only)
    elif reason is None and image_only:
        warnings.append(f"第 {', '.join(map(str, image_only))} 页是图像，没有文字层，OCR 已关闭，未参与检测")
    if reason is not None:
        if not settings.ocr_enabled:
            raise UnreadableText(
                f"无法提取文字：{reason}；OCR 已关闭（settings.ocr_enabled），请提交带文字层的 PDF",
                detail={"text_layer": "unreadable", "reason": reason},
            )
        if defer_ocr:
            raise NeedsOcr(reason, info)
        return ocr_document(data, settings, reason, info)
    if layout.two_column_pages:
        warnings.append(f"{layout.two_column_pages} 页按双栏顺序读取")
    doc = ExtractedDocument(text=layout.text, file_type="pdf", pages=n_pages, warnings=warnings, engine=used)
    fill_metadata(
        doc, front=layout.first_page_text, headers=layout.removed_headers, info=info, info_source="pdf_info"
    )
    return doc


class NeedsOcr(Exception):
    """Raised in the sandbox when the text layer is unusable: OCR then runs as a second sandboxed pass
    under its own limit (``settings.ocr_timeout_s``), so scans are not cut off by the text-layer limit."""

    def __init__(self, reason: str, info: dict[str, str], pages: list[int] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.info = info
        self.pages = pages  # None: the whole document; else only these image pages (1-based)


def ocr_document(
    data: bytes, settings: Settings, reason: str, info: dict[str, str], pages: list[int] | None = None
) -> ExtractedDocument:
    """OCR every page (or only the image ``pages`` of an otherwise text PDF) and mark the result ``ocr``
    with its mean confidence."""
    from integrity.ingest.metadata import fill_metadata
    from integrity.ingest.ocr import ocr_pdf

    if pages:
        return _mixed_document(data, settings, info, pages)

    text, confidence, n_pages = ocr_pdf(data, settings)
    doc = ExtractedDocument(
        text=text,
        file_type="pdf",
        text_layer="ocr",
        pages=n_pages,
        ocr_confidence=round(confidence, 1),
        warnings=[f"文字层不可用（{reason}），已使用 OCR 识别，平均置信度 {confidence:.0f}"],
        engine="tesseract",
    )
    fill_metadata(doc, front=text[:3000], headers=[], info=info, info_source="pdf_info")
    return doc


def _mixed_document(
    data: bytes, settings: Settings, info: dict[str, str], ocr_pages: list[int]
) -> ExtractedDocument:
    """Text-layer pages as extracted, scanned pages OCR'd, spliced in page order."""
    from integrity.ingest.metadata import fill_metadata
    from integrity.ingest.ocr import ocr_pdf

    pages, _, _, _ = pdfium_pages(data, settings.max_pages)
    layout = layout_pages(pages)
    listed = ", ".join(map(str, ocr_pages))
    try:
        ocr_text, confidence, _ = ocr_pdf(data, settings, only_pages=ocr_pages)
    except UnreadableText as exc:
        doc = ExtractedDocument(
            text=layout.text,
            file_type="pdf",
            pages=len(pages),
            engine="pypdfium2",
            warnings=[f"第 {listed} 页是图像，OCR 失败（{exc.message}），未参与检测"],
        )
        fill_metadata(doc, front=layout.first_page_text, headers=layout.removed_headers, info=info)
        return doc
    recognised = dict(zip(ocr_pages, ocr_text.split("\f"), strict=False))
    texts = [recognised.get(p.number, t) for p, t in zip(pages, layout.page_texts, strict=True)]
    doc = ExtractedDocument(
        text="\n".join(t for t in texts if t),
        file_type="pdf",
        text_layer="ocr",
        pages=len(pages),
        ocr_confidence=round(confidence, 1),
        engine="pypdfium2+tesseract",
        warnings=[
            f"第 {listed} 页是扫描图像，已用 OCR 识别（平均置信度 {confidence:.0f}），其余页取自文字层"
        ],
    )
    front = texts[0] if texts else ""
    fill_metadata(doc, front=front, headers=layout.removed_headers, info=info, info_source="pdf_info")
    return doc


def _damaged(exc: Exception) -> InputError:
    return InputError(f"PDF 文件已损坏，无法解析（{type(exc).__name__}）", code="corrupt_file")
