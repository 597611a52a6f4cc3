"""Collusion in a batch changes both rows' status; masthead and boilerplate are not collusion (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from integrity.batch import BatchResult, parse_manifest, run_batch, write_summary_xlsx
from integrity.settings import Settings

HEAD = (
    "原子与分子物理学报　2019年第36卷第2期\n"
    "ISSN 1000-0364　CN 51-1199/O4\n"
    "{title}\n"
    "李明1，赵静2*\n"
    "（1. 兰州大学 物理科学与技术学院，甘肃 兰州 730000；2. 西北师范大学 化学化工学院，甘肃 兰州 730070）\n"
    "关键词：氢吸附；第一性原理；密度泛函理论；表面科学；储氢材料\n"
    "1 引言\n"
)
REFS = (
    "2 结论\n参考文献：\n"
    "[1] 王涛. 储氢材料的原理与应用[M]. 北京：科学出版社，2003.\n"
    "[2] 张伟，刘洋. 金属表面氢吸附的密度泛函研究[J]. 物理学报，2015，64(3)：1-10.\n"
    "[3] 陈刚. 分子动力学模拟方法及其在材料科学中的应用[J]. 计算物理，2012，29(1)：20-31.\n"
    "[4] 李强，王芳. 第一性原理计算在催化研究中的进展[J]. 化学进展，2018，30(5)：600-612.\n"
)
BODY = (
    "本文研究了高压条件下氢分子在金属表面的吸附与解离过程，采用密度泛函理论计算了不同覆盖度下的吸附能，"
    "结果表明解离能垒随着表面应变的增加而显著降低，这一规律为储氢材料的设计提供了理论依据。"
    "进一步的分子动力学模拟显示，温度升高会加快氢原子在晶格间隙中的扩散速度，并改变其择优占位。"
    "我们还比较了铂、钯、镍三种金属表面的差异，发现钯表面的吸附最为稳定，且对应变最为敏感。"
)
OTHER = (
    "我们对西北干旱区三十个气象站六十年的降水序列进行了趋势检验，发现冬季降水呈现显著增加趋势，"
    "夏季降水的年际波动增大，极端降水事件的频率与强度均有所上升，对区域水资源管理提出了新的挑战。"
    "进一步利用再分析资料讨论了水汽输送的变化，指出西风带水汽输送增强是降水增加的主要原因之一。"
    "研究结果可为干旱区农业灌溉规划和生态保护提供参考，今后还需结合更高分辨率的模式进行验证。"
)
THIRD = (
    "本研究调查了山区小学留守儿童的阅读习惯，发现家庭藏书数量与阅读时间显著相关，并提出图书漂流方案。"
    "问卷覆盖了六个县的四十所学校，共回收有效问卷三千余份，并对部分教师和家长进行了深度访谈。"
    "结果显示，学校图书角的开放时间与学生借阅频次密切相关，而家长陪伴阅读的比例普遍偏低。"
    "据此建议完善乡村学校图书配置标准，并通过志愿者项目弥补家庭阅读指导的不足。"
)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[BatchResult, Path]:
    from integrity.corpus import Corpus, CorpusRecord

    tmp = tmp_path_factory.mktemp("collusion")
    settings = Settings(data_dir=tmp / "var", min_corpus_documents=0)
    with Corpus.open(tmp / "corpus", settings, create=True) as c:
        c.add([CorpusRecord(id="x", title="无关", text=THIRD)])
    papers = tmp / "papers"
    papers.mkdir()
    # 李明 and 赵静 hand in the same paper (one extra sentence): collusion, whoever wrote it.
    (papers / "a.txt").write_text(HEAD.format(title="金属表面氢吸附的第一性原理研究") + BODY + REFS, "utf-8")
    (papers / "b.txt").write_text(
        HEAD.format(title="金属表面氢吸附的第一性原理研究")
        + BODY
        + "本文的计算均在课题组服务器上完成。\n"
        + REFS,
        "utf-8",
    )
    # 李明's second paper shares only masthead, affiliations, keywords, headings and references with a.txt
    (papers / "c.txt").write_text(HEAD.format(title="西北干旱区降水趋势研究") + OTHER + REFS, "utf-8")
    manifest = (
        "申报人,单位,论文题目,期刊,ISSN,年份,申报级别,文件名\n"
        "李明,兰州大学,金属表面氢吸附,原子与分子物理学报,1000-0364,2019,核心,a.txt\n"
        "赵静,西北师范大学,金属表面氢吸附,原子与分子物理学报,1000-0364,2019,核心,b.txt\n"
        "赵静,西北师范大学,西北干旱区降水,原子与分子物理学报,1000-0364,2019,核心,c.txt\n"
    )
    rows, errors = parse_manifest(manifest.encode(), "manifest.csv", settings)
    assert not errors
    result = run_batch(papers, rows, errors, tmp / "corpus", settings=settings)
    return result, tmp


def test_near_identical_papers_of_two_applicants_both_need_review(batch: tuple[BatchResult, Path]) -> None:
    result, _ = batch
    by_row = {o.row.row: o for o in result.outcomes}
    for row, other in ((2, "赵静"), (3, "李明")):
        o = by_row[row]
        assert o.status == "review", (o.status, o.findings, o.cross_flags)
        cross = [f for f in o.findings if f["code"] == "cross_applicant_overlap"]
        assert cross and other in cross[0]["message"] and cross[0]["severity"] == "warning"
        assert "seeds/" not in cross[0]["citation"]


def test_boilerplate_is_left_out_of_the_cross_comparison(batch: tuple[BatchResult, Path]) -> None:
    result, _ = batch
    pairs = {(f.row_a, f.row_b) for f in result.cross_flags}
    assert (2, 4) not in pairs and (3, 4) not in pairs, result.cross_flags
    c = next(o for o in result.outcomes if o.row.row == 4)
    assert c.status == "accepted", (c.findings, c.cross_flags)


def test_cross_sheet_shows_the_matched_text_with_a_filter(batch: tuple[BatchResult, Path]) -> None:
    result, tmp = batch
    write_summary_xlsx(result, tmp / "s.xlsx")
    ws = load_workbook(tmp / "s.xlsx")["交叉比对"]
    header = [c.value for c in ws[1]]
    assert "重复内容" in header and ws.auto_filter.ref
    texts = [r[header.index("重复内容")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert any("密度泛函理论计算了不同覆盖度" in str(t) for t in texts)
    assert not any("兰州大学" in str(t) or "参考文献" in str(t) for t in texts)
