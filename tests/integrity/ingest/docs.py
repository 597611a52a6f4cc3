"""Builders for the real documents the ingest tests parse: CJK PDFs with an embedded font, scans, DOCX.

reportlab embeds only TrueType outlines, and the Debian CJK fonts (fonts-noto-cjk) are CFF/OpenType, so
``cjk_ttf`` converts the glyphs the tests need from Noto Sans CJK SC to a small TrueType font with
fontTools (cubic → quadratic curves), the same kind of embedded subset font real journal PDFs carry.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_SC_INDEX = 2  # JP, KR, SC, TC, HK in the Debian TTC


def cjk_ttf(out: Path, text: str) -> Path:
    """A TrueType subset of Noto Sans CJK SC covering ``text`` (plus ASCII)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(NOTO), fontNumber=_sc_index())
    chars = set(text) | {chr(c) for c in range(0x20, 0x7F)} | set("，。、；：？！（）《》“”·—…【】［］")
    sub = subset.Subsetter(subset.Options(notdef_outline=True, name_IDs=["*"], layout_features=[]))
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentDepth = 0
    maxp.maxPoints = maxp.maxContours = maxp.maxCompositePoints = maxp.maxCompositeContours = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
    font.sfntVersion = "\x00\x01\x00\x00"
    # reportlab caches font faces by PostScript name, process-wide: every subset keeps Noto's name, so
    # a later subset with other glyphs would be drawn with an earlier one's. Name each subset uniquely.
    ps_name = "NotoSubset-" + hashlib.sha256("".join(sorted(chars)).encode()).hexdigest()[:12]
    font["name"].setName(ps_name, 6, 3, 1, 0x409)
    font["name"].setName(ps_name, 6, 1, 0, 0)
    font.save(str(out))
    return out


def registered_font_name(font_path: Path) -> str:
    """Register ``font_path`` with reportlab under a name derived from its content.

    reportlab's font registry is process-wide: named by file name, a later test whose subset has other
    glyphs would silently reuse an earlier test's font and lose characters."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "CJK-" + hashlib.sha256(font_path.read_bytes()).hexdigest()[:16]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font_path)))
    return name


def _sc_index() -> int:
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(NOTO))
    for i, f in enumerate(coll.fonts):
        if "SC" in str(f["name"].getDebugName(1)):
            return i
    return NOTO_SC_INDEX


def make_pdf(
    out: Path,
    font_path: Path,
    pages: list[Any],
    *,
    header: str | None = None,
    footer_numbers: bool = True,
    two_columns: bool = False,
    title: str | None = None,
    front: list[str] | None = None,
    encrypt_password: str | None = None,
    font_size: float = 10.5,
    watermark: str | None = None,
) -> Path:
    """Render paragraphs with reportlab: one or two columns, running header, page numbers, front matter.

    ``pages`` is a list of pages; each page a list of paragraphs (one column) or, with ``two_columns``,
    a (left paragraphs, right paragraphs) pair.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    name = registered_font_name(font_path)
    kwargs = {}
    if encrypt_password is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        kwargs["encrypt"] = StandardEncryption(encrypt_password, canPrint=0)
    c = canvas.Canvas(str(out), pagesize=A4, **kwargs)
    if title:
        c.setTitle(title)
    width, height = A4
    margin = 60.0
    lead = font_size * 1.6
    for page_no, page in enumerate(pages, start=1):
        y = height - 90
        if header:
            c.setFont(name, 9)
            c.drawString(margin, height - 40, header)
            c.drawRightString(width - margin, height - 40, "2021年第3期")
        if footer_numbers:
            c.setFont(name, 9)
            c.drawCentredString(width / 2, 35, f"· {page_no} ·")
        if watermark:
            c.saveState()
            c.translate(width / 2, height / 2)
            c.rotate(45)
            c.setFont(name, 48)
            c.drawCentredString(0, 0, watermark)
            c.restoreState()
        if page_no == 1 and front:
            for i, line in enumerate(front):
                size = 16 if i == 0 else font_size
                c.setFont(name, size)
                c.drawCentredString(width / 2, y, line)
                y -= size * 1.9
        if two_columns:
            gutter = 24.0
            col_w = (width - 2 * margin - gutter) / 2
            left, right = page
            _flow(c, name, font_size, list(left), margin, y, col_w, lead)
            _flow(c, name, font_size, list(right), margin + col_w + gutter, y, col_w, lead)
        else:
            _flow(c, name, font_size, list(page), margin, y, width - 2 * margin, lead)
        c.showPage()
    c.save()
    return out


def _flow(
    c: Any, font: str, size: float, paragraphs: list[str], x: float, y: float, width: float, lead: float
) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c.setFont(font, size)
    for para in paragraphs:
        line = "　　"  # first-line indent
        for ch in para:
            if stringWidth(line + ch, font, size) > width:
                c.drawString(x, y, line)
                y -= lead
                line = ""
            line += ch
        if line:
            c.drawString(x, y, line)
            y -= lead
    return y


def wrap_for_layout(text: str, chars_per_line: int) -> list[str]:
    return [text[i : i + chars_per_line] for i in range(0, len(text), chars_per_line)]


def make_scan_pdf(out: Path, lines: list[str], *, dpi: int = 200, font_px: int = 44) -> Path:
    """An image-only 'scanned' page: text drawn with Pillow in Noto Sans CJK, saved as PDF (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(NOTO), font_px, index=_sc_index())
    y = int(0.8 * dpi)
    for line in lines:
        draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
        y += int(font_px * 1.8)
    img.save(str(out), "PDF", resolution=dpi)
    return out


def make_docx(
    out: Path,
    paragraphs: list[str],
    *,
    table: list[list[str]] | None = None,
    footnote: str | None = None,
    title: str | None = None,
    author: str | None = None,
) -> Path:
    """A DOCX via python-docx with an optional table and a real footnote part."""
    import docx

    d = docx.Document()
    if title:
        d.core_properties.title = title
    if author:
        d.core_properties.author = author
    half = len(paragraphs) // 2
    for p in paragraphs[:half]:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    for p in paragraphs[half:]:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    if footnote:
        data = add_footnote(data, footnote)
    out.write_bytes(data)
    return out


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def add_footnote(docx_bytes: bytes, text: str) -> bytes:
    """Add word/footnotes.xml (with its relationship and content type) and a reference in the body."""
    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes xmlns:w="{_W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFn1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
                )
            elif item.filename == "word/document.xml":
                data = (
                    data.replace(
                        b"</w:body>",
                        b'<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p></w:body>',
                        1,
                    )
                    if b"<w:sectPr" not in data
                    else data.replace(
                        b"<w:sectPr", b'<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p><w:sectPr', 1
                    )
                )
            dst.writestr(item, data)
        dst.writestr("word/footnotes.xml", footnotes.encode("utf-8"))
    return out.getvalue()


def replace_part(
    docx_bytes: bytes, name: str, data: bytes, *, extra: dict[str, bytes] | None = None
) -> bytes:
    """Copy a DOCX replacing one part (and adding ``extra`` parts): for hostile-file tests."""
    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, data if item.filename == name else src.read(item.filename))
        for extra_name, extra_data in (extra or {}).items():
            dst.writestr(extra_name, extra_data)
    return out.getvalue()


def make_superscript_pdf(out: Path, font_path: Path, lines: list[tuple[str, str, str]]) -> Path:
    """Lines of ``before`` + raised small ``mark`` (a citation such as ``[1]``) + ``after``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    name = registered_font_name(font_path)
    c = canvas.Canvas(str(out), pagesize=A4)
    y = A4[1] - 120
    for before, mark, after in lines:
        x = 60.0
        c.setFont(name, 10.5)
        c.drawString(x, y, before)
        x += stringWidth(before, name, 10.5)
        c.setFont(name, 6)
        c.drawString(x, y + 4.5, mark)
        x += stringWidth(mark, name, 6)
        c.setFont(name, 10.5)
        c.drawString(x, y, after)
        y -= 17
    c.showPage()
    c.save()
    return out


def make_chromium_pdf(out: Path, chromium: str, title: str, paragraphs: list[str]) -> Path:
    """A two-column paper printed by headless Chromium (Skia PDF backend: a producer other than reportlab,
    CJK glyphs from Noto Serif CJK), with a centred title across the column gutter."""
    import html
    import subprocess
    import tempfile

    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = f"""<html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 28mm 18mm 22mm 18mm; }}
body {{ font-family: "Noto Serif CJK SC", serif; font-size: 10.5pt; line-height: 1.6; }}
.cols {{ column-count: 2; column-gap: 8mm; text-align: justify; }}
p {{ text-indent: 2em; margin: 0; }}
h1 {{ font-size: 16pt; text-align: center; }}
</style></head><body>
<h1>{html.escape(title)}</h1><div class="cols">{body}</div></body></html>"""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "paper.html"
        src.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={out}",
                src.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


def make_mixed_pdf(out: Path, font_path: Path, text_page: list[str], scan_lines: list[str]) -> Path:
    """Page 1 with a text layer, page 2 only a scanned image of ``scan_lines``."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    name = registered_font_name(font_path)
    c = canvas.Canvas(str(out), pagesize=A4)
    _flow(c, name, 10.5, text_page, 60, A4[1] - 90, A4[0] - 120, 17)
    c.showPage()
    dpi = 200
    img = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(NOTO), 44, index=_sc_index())
    for i, line in enumerate(scan_lines):
        draw.text((160, 160 + i * 80), line, font=font, fill=0)
    c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return out
