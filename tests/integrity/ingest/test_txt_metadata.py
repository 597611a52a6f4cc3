"""TXT ingest (in-process, offsets = decoded text) and metadata / 参考文献 detection on plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity.errors import FileTooLarge, InputError, UnsupportedFileType
from integrity.ingest import extract, extract_bytes, sniff
from integrity.ingest.metadata import find_references
from integrity.ingest.quality import measure, unreadable_reason
from integrity.models import ExtractedDocument
from integrity.settings import Settings

PAPER = """中国沙漠　2020年第40卷增刊2期
干旱区植被恢复对土壤水分的影响
李明1，赵静2*
（1. 兰州大学 资源环境学院，甘肃 兰州 730000；2. 中国科学院 寒区旱区环境与工程研究所，甘肃 兰州 730000）
摘　要：以腾格里沙漠南缘为研究区，分析了不同恢复年限植被对土壤水分的影响。结果表明，
恢复年限越长，深层土壤水分亏缺越明显。
关键词：植被恢复；土壤水分；干旱区
中图分类号：S154　文献标志码：A　文章编号：1000-694X(2020)S2-0101-07
DOI：10.7522/j.issn.1000-694X.2020.00045
ISSN 1000-694X　CN 62-1070/P
引用格式：李明，赵静. 干旱区植被恢复对土壤水分的影响[J]. 中国沙漠，2020，40(S2)：101-107.
1 引言
植被恢复是干旱区生态建设的核心措施。本文的野外数据曾收入某学会论文集的附录，但这不改变发表载体。
2 结论
深层土壤水分亏缺随恢复年限增加。
参考文献：
[1] 王涛. 中国沙漠化研究[M]. 北京：科学出版社，2003.
[2] 张强. 土壤水分动态[J]. 地理学报，2015，70(3)：1-9.
作者简介：李明（1985—），男，博士，主要从事干旱区生态研究。
"""


def test_txt_offsets_are_the_decoded_file_text(tmp_path: Path) -> None:
    f = tmp_path / "paper.txt"
    f.write_bytes(PAPER.encode("gb18030"))
    doc = extract(f, Settings())
    assert doc.text == PAPER and doc.file_type == "txt" and doc.encoding is not None


def test_txt_metadata_every_field_with_source() -> None:
    doc = extract_bytes(PAPER.encode("utf-8"), "paper.txt", Settings())
    md = doc.metadata
    assert md.title is not None and (md.title.value, md.title.source) == (
        "干旱区植被恢复对土壤水分的影响",
        "text",
    )
    assert md.authors is not None and md.authors.value == ["李明", "赵静"]
    assert md.affiliations is not None and len(md.affiliations.value) == 2
    assert md.abstract is not None and md.abstract.value.startswith("以腾格里沙漠南缘")
    assert md.abstract.value.endswith("越明显。")
    assert md.keywords is not None and md.keywords.value == ["植被恢复", "土壤水分", "干旱区"]
    assert md.article_number is not None and md.article_number.value == "1000-694X(2020)S2-0101-07"
    assert md.doi is not None and md.doi.value == "10.7522/j.issn.1000-694X.2020.00045"
    assert md.issn is not None and md.issn.value == "1000-694X"
    assert md.cn is not None and md.cn.value == "62-1070/P"
    assert md.year is not None and md.year.value == 2020
    assert md.volume is not None and md.volume.value == "40"
    assert md.supplement is not None and md.supplement.value == "增刊"
    assert md.journal is not None and (md.journal.value, md.journal.source) == ("中国沙漠", "text")
    assert md.issue is not None and md.issue.value == "增刊2"


def test_citation_line_gives_volume_issue_pages() -> None:
    text = "某某研究\n王五\n引用格式：王五. 某某研究[J]. 测试学报，2019，12(S1)：33-40.\n摘要：正文。\n"
    md = extract_bytes(text.encode(), None, Settings()).metadata
    assert md.year is not None and md.year.value == 2019
    assert md.issue is not None and md.issue.value == "S1"
    assert md.pages is not None and md.pages.value == "33-40"
    assert md.supplement is not None and md.supplement.value.replace("（", "(").startswith("(S1")


def test_supplement_words_in_the_body_are_not_markers() -> None:
    text = "普通期刊论文\n摘要：本文讨论专刊与论文集的出版规律。\n关键词：出版\n正文提到增刊一词。\n"
    md = extract_bytes(text.encode(), None, Settings()).metadata
    assert md.supplement is None


def test_references_span_ends_before_author_bio() -> None:
    span = find_references(PAPER)
    assert span is not None
    section = PAPER[span[0] : span[1]]
    assert section.startswith("参考文献") and section.rstrip().endswith("70(3)：1-9.")
    assert "作者简介" not in section


def test_references_heading_variants_and_absence() -> None:
    body = "正文" * 200
    assert find_references(body) is None
    text = body + "\nREFERENCES\n[1] Smith J. A study. 2020.\n"
    span = find_references(text)
    assert span is not None and text[span[0] :].startswith("REFERENCES")
    inline = body + "\n参考文献：[1] 王五. 研究[J]. 2020.\n"
    span2 = find_references(inline)
    assert span2 is not None and inline[span2[0] :].startswith("参考文献")
    early = "参考文献\n" + body  # a heading at the very start is not the references section
    assert find_references(early) is None


def test_size_limit_names_the_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_bytes("中".encode() * 2000)
    with pytest.raises(FileTooLarge) as err:
        extract(f, Settings(max_upload_bytes=4096))
    assert "文件过大" in err.value.message and "上限" in err.value.message
    with pytest.raises(FileTooLarge):
        extract_bytes(b"x" * 5000, "big.txt", Settings(max_upload_bytes=4096))


@pytest.mark.parametrize(
    ("data", "name", "needle"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "paper.doc", "DOCX 或 PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "paper.wps", "WPS"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "paper.pdf", "PNG"),
        (b"{\\rtf1\\ansi hello}", "paper.docx", "RTF"),
    ],
)
def test_unsupported_types_sniffed_from_content(tmp_path: Path, data: bytes, name: str, needle: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(UnsupportedFileType) as err:
        extract(f, Settings())
    assert needle in err.value.message and err.value.http_status == 415


def test_sniff_kinds() -> None:
    assert sniff(b"  %PDF-1.7\n...") == "pdf"
    assert sniff("纯文本".encode()) == "txt"
    with pytest.raises(InputError):
        sniff(b"PK\x03\x04" + b"word/document.xml" + b"\0" * 50)  # truncated DOCX


def test_empty_and_binary_input() -> None:
    with pytest.raises(InputError) as err:
        extract_bytes(b"   \n", "empty.txt", Settings())
    assert err.value.code == "empty_file"


def test_quality_flags_mojibake_and_unmapped_but_not_english() -> None:
    gbk_as_latin1 = "中华人民共和国国家标准".encode("gbk").decode("latin-1") * 20
    assert unreadable_reason(measure(gbk_as_latin1), expect_chinese=True, min_cjk_ratio=0.2)
    cid = "(cid:1234)(cid:88)" * 50 + "正文"
    assert "ToUnicode" in (unreadable_reason(measure(cid), expect_chinese=True, min_cjk_ratio=0.2) or "")
    english = "The results show that the proposed model reduces prediction error in peak hours. " * 10
    assert unreadable_reason(measure(english), expect_chinese=True, min_cjk_ratio=0.2) is None
    chinese = "结果表明所提模型降低了高峰时段的预测误差。" * 10
    assert unreadable_reason(measure(chinese), expect_chinese=True, min_cjk_ratio=0.2) is None
    assert unreadable_reason(measure(""), expect_chinese=True, min_cjk_ratio=0.2) == "没有文字层"
    # valid CJK code points from a wrong font mapping: almost none of them are common characters
    shifted = "".join(chr(ord(c) + 37) if "\u4e00" <= c <= "\u9f00" else c for c in chinese * 3)
    reason = unreadable_reason(measure(shifted), expect_chinese=True, min_cjk_ratio=0.2)
    assert reason is not None and "常用汉字" in reason


def test_document_json_round_trip() -> None:
    from integrity.ingest.sandbox import document_from_json, document_to_json

    doc = extract_bytes(PAPER.encode(), "p.txt", Settings())
    back = document_from_json(document_to_json(doc))
    assert isinstance(back, ExtractedDocument)
    assert back.text == doc.text and back.references_span == doc.references_span
    assert back.metadata.to_dict() == doc.metadata.to_dict()


def test_txt_in_a_misdetected_encoding_is_unreadable_not_zero() -> None:
    from integrity.errors import UnreadableText

    chinese = "结果表明所提模型降低了高峰时段的预测误差，在早晚高峰时段的表现尤其突出。" * 12
    # GBK bytes read as Big5 (a classic mis-detection): valid CJK code points, none of them common
    wrong = chinese.encode("gbk").decode("big5", errors="replace")
    with pytest.raises(UnreadableText) as err:
        extract_bytes(wrong.encode("utf-8"), "wrong.txt", Settings())
    assert "乱码" in err.value.message and err.value.detail["text_layer"] == "unreadable"
    assert extract_bytes(chinese.encode("gbk"), "ok.txt", Settings()).text == chinese


@pytest.mark.parametrize("line", ["作者：王明远  李晓华", "作 者: 王明远，李晓华", "Authors: 王明远、李晓华"])
def test_labelled_author_line(line: str) -> None:
    affiliation = "（某某大学 计算机学院，甘肃 兰州 730000）"
    text = f"基于深度特征的数据处理方法研究\n{line}\n{affiliation}\n摘要：本文研究数据处理。\n"
    md = extract_bytes(text.encode("utf-8"), "paper.txt", Settings()).metadata
    assert md.authors is not None and md.authors.value == ["王明远", "李晓华"]
    assert md.affiliations is not None and md.affiliations.value == ["某某大学 计算机学院，甘肃 兰州 730000"]
