"""DOCX ingest: paragraphs, tables, footnotes, core properties — and hostile DOCX files."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity.errors import InputError, ParseLimitExceeded
from integrity.ingest import extract, extract_bytes
from integrity.settings import Settings
from tests.integrity.ingest import conftest as paper
from tests.integrity.ingest import docs

TABLE = [["站点", "日均客流"], ["西直门", "12.5万人次"], ["国贸", "9.8万人次"]]
FOOTNOTE = "基金项目：国家自然科学基金资助项目（52072001）"


@pytest.fixture(scope="module")
def paper_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "paper.docx"
    body = [paper.TITLE, paper.AUTHORS, paper.ABSTRACT, paper.KEYWORDS, *paper.PARAGRAPHS, *paper.REFERENCES]
    return docs.make_docx(out, body, table=TABLE, footnote=FOOTNOTE, title=paper.TITLE, author="张伟")


def test_docx_paragraphs_table_footnote(paper_docx: Path) -> None:
    doc = extract(paper_docx, Settings())
    assert doc.file_type == "docx" and doc.engine == "python-docx" and doc.text_layer == "ok"
    for para in paper.PARAGRAPHS:
        assert para in doc.text
    assert "西直门\t12.5万人次" in doc.text  # table rows, cells tab-separated, in body order
    assert doc.text.index(paper.PARAGRAPHS[0]) < doc.text.index("西直门") < doc.text.index("[2] 刘洋")
    assert FOOTNOTE in doc.text
    md = doc.metadata
    assert md.title is not None and (md.title.value, md.title.source) == (paper.TITLE, "docx_core")
    assert md.authors is not None and md.authors.value == ["张伟", "李娜", "王强"]
    assert md.keywords is not None and md.keywords.value[0] == "客流预测"
    assert doc.references_span is not None
    assert doc.text[doc.references_span[0] :].startswith("参考文献")
    # footnotes follow the body in the text but are not part of the 参考文献 section
    assert FOOTNOTE not in doc.text[doc.references_span[0] : doc.references_span[1]]


def test_zip_bomb_docx_is_refused(paper_docx: Path) -> None:
    bomb = docs.replace_part(
        paper_docx.read_bytes(), "", b"", extra={"word/media/zeros.bin": b"\0" * (40 << 20)}
    )
    assert len(bomb) < 1 << 20  # 40 MB of zeros packs into well under 1 MB
    with pytest.raises(ParseLimitExceeded) as err:
        extract_bytes(bomb, "bomb.docx", Settings(max_unzipped_bytes=8 * 1024 * 1024))
    assert err.value.code == "zip_bomb" and "上限" in err.value.message


def test_zip_bomb_with_lying_sizes(paper_docx: Path) -> None:
    """Declared sizes in the zip directory say 1 KB; the real part inflates to 30 MB."""
    data = docs.replace_part(
        paper_docx.read_bytes(), "word/document.xml", b"<a/>" + b" " * (30 * 1024 * 1024)
    )
    # patch the uncompressed-size fields of that entry (local header + central directory) to 1024
    raw = bytearray(data)
    name = b"word/document.xml"
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = 0
        while (pos := raw.find(sig, pos)) >= 0:
            n = int.from_bytes(raw[pos + name_len_at : pos + name_len_at + 2], "little")
            if raw[pos + name_at : pos + name_at + n] == name:
                raw[pos + size_at : pos + size_at + 4] = (1024).to_bytes(4, "little")
            pos += 4
    with pytest.raises(InputError) as err:
        extract_bytes(bytes(raw), "liar.docx", Settings(max_unzipped_bytes=8 * 1024 * 1024))
    assert err.value.code in {"zip_bomb", "corrupt_file"}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion_laughs", "external_entity"])
def test_xml_entity_tricks_are_refused(paper_docx: Path, xml: bytes) -> None:
    data = docs.replace_part(paper_docx.read_bytes(), "word/document.xml", xml)
    with pytest.raises(InputError) as err:
        extract_bytes(data, "evil.docx", Settings())
    assert err.value.code == "unsafe_xml" and "DTD" in err.value.message


def test_truncated_docx(paper_docx: Path) -> None:
    data = paper_docx.read_bytes()
    with pytest.raises(InputError) as err:
        extract_bytes(data[: len(data) // 2], "cut.docx", Settings())
    assert err.value.code == "corrupt_file" and "损坏" in err.value.message


def test_docx_without_text(tmp_path: Path) -> None:
    empty = docs.make_docx(tmp_path / "empty.docx", [])
    with pytest.raises(InputError) as err:
        extract(empty, Settings())
    assert err.value.code == "empty_file"


def test_password_protected_docx_is_reported_as_encrypted(tmp_path: Path) -> None:
    from integrity.errors import EncryptedFile

    # Office stores a password-protected DOCX as an OLE2 container with an "EncryptedPackage" stream
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 1000
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 500
    )
    f = tmp_path / "locked.docx"
    f.write_bytes(ole)
    with pytest.raises(EncryptedFile) as err:
        extract(f, Settings())
    assert "加密" in err.value.message


def test_content_controls_are_read(tmp_path: Path, paper_docx: Path) -> None:
    import zipfile

    with zipfile.ZipFile(paper_docx) as z:
        xml = z.read("word/document.xml")
    sdt = (
        b"<w:sdt><w:sdtContent><w:p><w:r><w:t>\xe5\x86\x85\xe5\xae\xb9\xe6\x8e\xa7\xe4\xbb\xb6\xe4\xb8\xad"
        b"\xe7\x9a\x84\xe6\xae\xb5\xe8\x90\xbd</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    xml = xml.replace(b"<w:body>", b"<w:body>" + sdt, 1)
    data = docs.replace_part(paper_docx.read_bytes(), "word/document.xml", xml)
    doc = extract_bytes(data, "sdt.docx", Settings())
    assert doc.text.startswith("内容控件中的段落")
