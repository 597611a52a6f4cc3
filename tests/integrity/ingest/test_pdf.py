"""PDF ingest on real generated PDFs (embedded CJK TrueType subset), parsed in the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integrity.errors import EncryptedFile, InputError, UnreadableText
from integrity.ingest import extract, extract_bytes
from integrity.settings import Settings
from tests.integrity.ingest import conftest as paper
from tests.integrity.ingest import docs


def _squash(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture()
def settings() -> Settings:
    return Settings(ocr_enabled=False)


def test_one_column_text_clean_of_headers_and_page_numbers(paper_pdf: Path, settings: Settings) -> None:
    doc = extract(paper_pdf, settings)
    assert doc.file_type == "pdf" and doc.text_layer == "ok" and doc.engine == "pypdfium2"
    assert doc.pages == 2
    flat = _squash(doc.text)
    for para in paper.PARAGRAPHS:  # each paragraph whole: lines joined without spaces inside sentences
        assert _squash(para) in flat
    assert "ISSN" not in doc.text and "61-1369" not in doc.text  # running header removed from the body text
    assert not doc.text.startswith("交通运输工程学报") and "2021年第3期" not in doc.text
    assert "· 1 ·" not in doc.text and "·1·" not in flat
    # paragraphs stay separate lines, sentences are not broken by line ends
    lines = doc.text.splitlines()
    assert any(_squash(line) == _squash(paper.PARAGRAPHS[0]) for line in lines)


def test_metadata_with_sources(paper_pdf: Path, settings: Settings) -> None:
    md = extract(paper_pdf, settings).metadata
    assert md.title is not None and md.title.value == paper.TITLE
    assert md.title.source == "pdf_info"
    assert md.journal is not None and md.journal.value.startswith("交通运输工程学报")
    assert md.journal.source == "running_header"
    assert md.issn is not None and (md.issn.value, md.issn.source) == ("1671-1637", "running_header")
    assert md.cn is not None and md.cn.value == "61-1369/U"
    assert md.year is not None and md.year.value == 2021 and md.issue is not None and md.issue.value == "3"
    assert md.authors is not None and md.authors.value == ["张伟", "李娜", "王强"]
    assert md.authors.source == "first_page"
    assert md.affiliations is not None and any("北京交通大学" in a for a in md.affiliations.value)
    assert md.abstract is not None and md.abstract.value.startswith("针对城市轨道交通")
    assert md.keywords is not None and md.keywords.value == ["客流预测", "深度学习", "城市轨道交通"]
    assert md.article_number is not None and md.article_number.value == "1671-1637(2021)03-0045-08"
    assert md.doi is not None and md.doi.value == "10.19818/j.cnki.1671-1637.2021.03.005"
    assert md.supplement is None


def test_references_span_and_stable_offsets(paper_pdf: Path, settings: Settings) -> None:
    first = extract(paper_pdf, settings)
    second = extract(paper_pdf, settings)
    assert first.text == second.text  # deterministic: offsets into it are stable
    assert first.references_span is not None
    start, end = first.references_span
    section = first.text[start:end]
    assert section.startswith("参考文献")
    assert "[2] 刘洋" in section and end == len(first.text)


def test_two_columns_read_column_by_column(two_column_pdf: Path, settings: Settings) -> None:
    doc = extract(two_column_pdf, settings)
    flat = _squash(doc.text)
    positions = [flat.index(_squash(p)) for p in paper.LEFT + paper.RIGHT]
    assert positions[:3] == sorted(positions[:3]) and positions[3:] == sorted(positions[3:])
    assert positions[2] < positions[3]  # whole left column before the right column
    assert any("双栏" in w for w in doc.warnings)


def test_bench_two_column_pdf_matches_its_source(shared_dir: Path, settings: Settings) -> None:
    case = shared_dir / "bench" / "dev" / "cases" / "d0099.pdf"
    source = (shared_dir / "bench" / "dev" / "pdf_source" / "d0099.txt").read_text(encoding="utf-8")
    doc = extract(case, settings)

    def shingles(t: str) -> set[str]:
        t = _squash(t)
        return {t[i : i + 8] for i in range(len(t) - 7)}

    want, got = shingles(source), shingles(doc.text)
    assert len(want & got) / len(want) > 0.98
    assert len(want & got) / len(got) > 0.98  # headers and page numbers gone
    assert doc.metadata.journal is not None and doc.metadata.journal.source == "running_header"


def _strip_to_unicode(data: bytes) -> bytes:
    # same length, so the xref offsets stay valid: the font loses its ToUnicode map
    assert b"/ToUnicode" in data
    return data.replace(b"/ToUnicode", b"/ToUnicodX")


def test_font_without_tounicode_is_unreadable_not_zero_percent(paper_pdf: Path, settings: Settings) -> None:
    data = _strip_to_unicode(paper_pdf.read_bytes())
    with pytest.raises(UnreadableText) as err:
        extract_bytes(data, "garbled.pdf", settings)
    assert "乱码" in err.value.message or "ToUnicode" in err.value.message
    assert "OCR 已关闭" in err.value.message
    assert err.value.detail["text_layer"] == "unreadable"


def test_encrypted_pdf(tmp_path: Path, cjk_font: Path, settings: Settings) -> None:
    pdf = docs.make_pdf(tmp_path / "enc.pdf", cjk_font, [paper.PARAGRAPHS[:1]], encrypt_password="secret")
    with pytest.raises(EncryptedFile) as err:
        extract(pdf, settings)
    assert "加密" in err.value.message


def test_truncated_and_corrupt_pdf(paper_pdf: Path, settings: Settings) -> None:
    data = paper_pdf.read_bytes()
    with pytest.raises(InputError) as err:
        extract_bytes(data[: len(data) // 2], "cut.pdf", settings)
    assert err.value.code == "truncated_file" and "不完整" in err.value.message
    with pytest.raises(InputError) as err2:
        extract_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "junk.pdf", settings)
    assert err2.value.code in {"corrupt_file", "empty_file"}


def test_page_limit(paper_pdf: Path) -> None:
    with pytest.raises(InputError) as err:
        extract(paper_pdf, Settings(max_pages=1, ocr_enabled=False))
    assert err.value.code == "too_many_pages" and "上限 1 页" in err.value.message


def test_type_sniffed_from_content_not_name(paper_pdf: Path, tmp_path: Path, settings: Settings) -> None:
    disguised = tmp_path / "paper.txt"
    disguised.write_bytes(paper_pdf.read_bytes())
    assert extract(disguised, settings).file_type == "pdf"


def test_superscript_citations_stay_in_their_sentence(
    tmp_path: Path, cjk_font: Path, settings: Settings
) -> None:
    lines = [
        ("城市轨道交通已经成为大城市公共交通的骨干", "[1]", "，准确的客流预测对于运营组织"),
        ("和应急管理具有重要意义", "[2]", "。传统的时间序列方法难以刻画站点之间的空"),
        ("间关联，在节假日和大型活动期间误差较大。", "", ""),
    ]
    pdf = docs.make_superscript_pdf(tmp_path / "sup.pdf", cjk_font, lines)
    doc = extract(pdf, settings)
    assert doc.text.count("\n") == 0  # one paragraph: the marks did not split it into lines
    assert "骨干[1]，准确的客流预测" in doc.text and "重要意义[2]。传统" in doc.text


@pytest.mark.browser
def test_chromium_printed_two_column_paper(tmp_path: Path, settings: Settings) -> None:
    """Another producer (Skia, Type 3 glyphs) with a centred title crossing the column gutter."""
    import shutil

    from tests.conftest import require

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require(chromium is not None, "Debian chromium")
    assert chromium is not None
    paragraphs = (paper.PARAGRAPHS + paper.LEFT + paper.RIGHT) * 3
    pdf = docs.make_chromium_pdf(tmp_path / "chrome.pdf", chromium, paper.TITLE, paragraphs)
    doc = extract(pdf, settings)
    flat = _squash(doc.text)
    assert flat.startswith(paper.TITLE)
    for para in paragraphs:  # every paragraph whole: columns read one after the other
        assert _squash(para) in flat
    assert (doc.pages or 0) >= 2 and any("双栏" in w for w in doc.warnings)


def test_diagonal_watermark_is_not_read_into_the_text(
    tmp_path: Path, cjk_font: Path, settings: Settings
) -> None:
    pdf = docs.make_pdf(
        tmp_path / "wm.pdf", cjk_font, [paper.PARAGRAPHS], header=paper.HEADER, watermark="交通运输工程"
    )
    doc = extract(pdf, settings)
    # exactly the body: no watermark glyphs scattered as one-character lines, no header, no page number
    assert _squash(doc.text) == _squash("".join(paper.PARAGRAPHS))
