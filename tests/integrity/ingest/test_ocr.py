"""Scans and garbled text layers through real tesseract (chi_sim)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integrity.errors import UnreadableText
from integrity.ingest import extract, extract_bytes
from integrity.settings import Settings
from tests.conftest import require
from tests.integrity.ingest import conftest as paper
from tests.integrity.ingest import docs


@pytest.fixture(scope="module")
def scan_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(docs.NOTO.is_file(), "fonts-noto-cjk (make setup)")
    return docs.make_scan_pdf(tmp_path_factory.mktemp("scan") / "scan.pdf", paper.SCAN_LINES)


def _char_recall(want: str, got: str) -> float:
    want_chars = re.sub(r"\s", "", want)
    got_flat = re.sub(r"\s", "", got)
    hits = sum(1 for i in range(len(want_chars) - 1) if want_chars[i : i + 2] in got_flat)
    return hits / max(1, len(want_chars) - 1)


def test_scanned_page_is_ocrd_and_marked(scan_pdf: Path, tesseract: str) -> None:
    doc = extract(scan_pdf, Settings(ocr_dpi=200))
    assert doc.text_layer == "ocr" and doc.engine == "tesseract"
    assert doc.ocr_confidence is not None and doc.ocr_confidence > 70
    assert _char_recall("".join(paper.SCAN_LINES), doc.text) > 0.9
    assert " " not in doc.text.splitlines()[0]  # no spaces between Chinese characters
    assert any("OCR" in w for w in doc.warnings)
    assert doc.metadata.title is not None and doc.metadata.title.value == paper.SCAN_LINES[0]


def test_scan_without_ocr_is_a_clear_no_text_layer_error(scan_pdf: Path) -> None:
    with pytest.raises(UnreadableText) as err:
        extract(scan_pdf, Settings(ocr_enabled=False))
    assert "没有文字层" in err.value.message and "ocr_enabled" in err.value.message


def test_garbled_text_layer_falls_back_to_ocr(paper_pdf: Path, tesseract: str) -> None:
    data = paper_pdf.read_bytes().replace(b"/ToUnicode", b"/ToUnicodX")
    doc = extract_bytes(data, "garbled.pdf", Settings(ocr_dpi=200))
    assert doc.text_layer == "ocr"
    assert any("文字层不可用" in w for w in doc.warnings)
    assert _char_recall(paper.PARAGRAPHS[0], doc.text) > 0.85


def test_ocr_pass_has_its_own_time_limit(scan_pdf: Path, tesseract: str) -> None:
    from integrity.errors import ParseLimitExceeded

    with pytest.raises(ParseLimitExceeded) as err:
        extract(scan_pdf, Settings(ocr_timeout_s=0.3, parse_timeout_s=60))
    assert err.value.code == "parse_timeout" and "OCR 识别超时" in err.value.message


def test_scanned_page_inside_a_text_pdf_is_ocrd_in_place(
    tmp_path: Path, cjk_font: Path, tesseract: str
) -> None:
    pdf = docs.make_mixed_pdf(tmp_path / "mixed.pdf", cjk_font, paper.PARAGRAPHS[:2], paper.SCAN_LINES)
    doc = extract(pdf, Settings(ocr_dpi=200))
    assert doc.text_layer == "ocr" and doc.engine == "pypdfium2+tesseract" and doc.pages == 2
    flat = re.sub(r"\s", "", doc.text)
    assert re.sub(r"\s", "", paper.PARAGRAPHS[0]) in flat  # page 1 from the text layer, exact
    assert _char_recall("".join(paper.SCAN_LINES), doc.text) > 0.9  # page 2 recognised
    assert flat.index("城市轨道交通已经成为") < flat.index("实验表明")  # page order kept
    assert any("第 2 页" in w for w in doc.warnings)
    disabled = extract(pdf, Settings(ocr_enabled=False))
    assert disabled.text_layer == "ok" and any("OCR 已关闭" in w for w in disabled.warnings)
