from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from integrity.report import render_report
from integrity.report.html import build_context, render_html
from integrity.settings import Settings
from tests.integrity.report.sample import COPIED, OWN, REF, TEXT, result


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, report_signing_key=SecretStr("t" * 32), public_base_url="https://check.example.cn"
    )


def test_report_has_cnki_figures_sources_and_verdict(settings: Settings) -> None:
    html = render_html(result(), TEXT, settings=settings, issued_at=datetime(2026, 1, 2, tzinfo=UTC))
    for label in ("总文字复制比", "去除引用文献复制比", "去除本人文献复制比", "单篇最大文字复制比"):
        assert label in html
    for figure in ("31.0%", "25.0%", "20.0%", "18.0%"):
        assert figure in html
    assert "重复字数：<b>60</b>" in html and "总字数：<b>190</b>" in html
    assert "学术诚信研究" in html and "张三旧作（本人文献）" in html
    assert "不予认定" in html and "平工信发〔2022〕138号 附件1 第四条" in html and "疑似增刊论文" in html
    assert "2026-01-02 08:00:00（北京时间）" in html
    assert "单位盖章" in html
    assert "核心期刊" in html  # journal level shown in Chinese


def test_passages_are_highlighted_by_kind_with_source_numbers(settings: Settings) -> None:
    html = render_html(result(), TEXT, settings=settings)
    marks = re.findall(r'<mark class="(\w+)">(.*?)</mark><sup class="src">\[([\d,]+)\]</sup>', html)
    assert ("copy", COPIED, "1") in marks
    assert ("self", OWN, "2") in marks
    assert ("ref", REF, "3") in marks


def test_paper_text_is_escaped(settings: Settings) -> None:
    html = render_html(result(), TEXT, settings=settings)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_without_text_only_passages_are_shown(settings: Settings) -> None:
    html = render_html(result(), None, settings=settings)
    assert 'id="fulltext"' not in html
    assert "本报告未附论文全文" in html
    assert COPIED in html  # from the passage text carried in the result


def test_overlapping_passages_list_every_source(settings: Settings) -> None:
    r = result()
    p = dict(r["similarity"]["sources"][0]["passages"][0])
    r["similarity"]["sources"][2]["passages"].append(p)  # source 3 also matches the copied passage
    ctx = build_context(r, TEXT, settings=settings)
    assert ctx.segments is not None
    copied = [s for s in ctx.segments if s.text == COPIED]
    assert copied and copied[0].sources == [1, 3]
    assert "".join(s.text for s in ctx.segments) == TEXT


def test_sections_are_derived_from_headings(settings: Settings) -> None:
    ctx = build_context(result(), TEXT, settings=settings)
    names = [s["name"] for s in ctx.sections]
    assert names == ["前置部分", "摘要", "1 引言", "2 方法", "3 结论", "参考文献"]
    by_name = {s["name"]: s for s in ctx.sections}
    assert by_name["1 引言"]["copied_chars"] == len(COPIED)
    assert by_name["2 方法"]["copied_chars"] == 0  # own paper is not counted as copied
    assert by_name["参考文献"]["copied_chars"] == len(REF.replace(" ", ""))
    assert 0 < by_name["1 引言"]["ratio"] < 1


def test_engine_sections_win(settings: Settings) -> None:
    r = result()
    r["similarity"]["sections"] = [{"title": "正文", "ratio": 0.4, "copied_chars": 40, "total_chars": 100}]
    ctx = build_context(r, TEXT, settings=settings)
    assert ctx.sections == [{"name": "正文", "ratio": 0.4, "copied_chars": 40, "total_chars": 100}]


def test_verification_block(settings: Settings) -> None:
    ctx = build_context(result(), TEXT, settings=settings)
    assert ctx.verify_url == f"https://check.example.cn/verify/{ctx.code}"
    html = render_html(result(), TEXT, settings=settings)
    assert ctx.code_display in html and ctx.verify_url in html and ctx.digest in html
    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html.replace(ctx.verify_url, "")  # self-contained: no external resources


def test_clean_result_and_bad_format(settings: Settings) -> None:
    r = result()
    r["similarity"].update(sources=[], total_copy_ratio=0.0)
    r["verdict"].update(accepted=True, findings=[], summary="认可：按核心期刊论文认定，总文字复制比 0.0%")
    html = render_report(r, TEXT, settings=settings).decode("utf-8")
    assert "未发现相似来源" in html and "未发现问题" in html
    assert html.count("认可：按核心期刊论文认定") == 1 and "认定通过：认可" not in html  # verdict line once
    with pytest.raises(Exception, match="不支持的报告格式"):
        render_report(r, fmt="docx", settings=settings)


def test_catalogue_shaped_journal_check(settings: Settings) -> None:
    r = result()
    r["journal"] = {
        "identified": True,
        "match": {
            "matched_by": "name",
            "journal": {"name": "计算机工程", "issn": "1000-3428", "cn": "31-1289/TP", "status": "active"},
        },
        "level": {"level": "core", "core_basis": ["北大核心 2020年版"], "reasons": ["理由一"]},
        "catalogue_version": "2023-11-30",
    }
    rows = dict(build_context(r, TEXT, settings=settings).journal_rows)
    assert rows["目录核验"].startswith("已在期刊目录中找到") and rows["期刊级别"] == "核心期刊"
    assert rows["ISSN / CN"] == "1000-3428 / 31-1289/TP" and rows["出版状态"] == "正常出版"
    r["journal"] = {"identified": False, "match": None, "level": {}, "candidates": []}
    rows = dict(build_context(r, TEXT, settings=settings).journal_rows)
    assert "疑似假刊" in rows["目录核验"]


def test_passages_say_whether_they_were_copied_verbatim_or_reworded(settings: Settings) -> None:
    r = result()
    html = render_html(r, TEXT, settings=settings)
    assert 'class="wording-verbatim">原文照搬</b>（词语重合 100.0%，改动 0 词）' in html
    reworded = "本研究给出了一种依据深度学习的图像辨识办法，试验结果显示此方法拥有较高的正确率。"
    source = "本文提出了一种基于深度学习的图像识别方法，实验结果表明该方法具有较高的准确率。"
    passage = r["similarity"]["sources"][0]["passages"][0]
    passage.update(text=reworded, source_text=source)
    html = render_html(r, None, settings=settings)
    assert 'class="wording-reworded">改写</b>' in html


def test_cnki_paragraph_and_front_rear_counts_are_shown(settings: Settings) -> None:
    """Issue 11: 总段落数, 疑似段落数, 前部/后部重合字数, 引用 in the HTML (so the PDF) and text report."""
    from integrity.report.text import render_text

    r = result()
    r["similarity"].update(
        paragraphs_total=12,
        paragraphs_suspect=3,
        front_overlap_chars=41,
        rear_overlap_chars=7,
        quoted_chars=9,
        references_chars=55,
    )
    html = render_html(r, TEXT, settings=settings)
    for label in (
        "总段落数：<b>12</b>",
        "疑似段落数：<b>3</b>",
        "前部重合字数：<b>41</b>",
        "后部重合字数：<b>7</b>",
    ):
        assert label in html
    text = render_text(r)
    assert "总段落数：12" in text and "后部重合字数：7" in text and "引用字数：9" in text
