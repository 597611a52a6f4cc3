"""A real batch: the real engine on a tiny corpus of CSL abstracts, the CLI with its progress, the XLSX."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from integrity.batch import BatchResult, parse_manifest, run_batch, write_summary_xlsx
from integrity.batch.summary import safe_cell
from integrity.settings import Settings

ORIGINAL = (
    "这是一段完全原创的内容，讨论县级医院护理质量管理的实践经验与改进方向。"
    "我们在三年间收集了护理差错记录，并按科室进行分类统计和原因分析，提出了分级培训制度。"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> dict[str, object]:
    from integrity.corpus import Corpus, CorpusRecord

    tmp = tmp_path_factory.mktemp("batch")
    settings = Settings(data_dir=tmp / "var", cross_min_ratio=0.05)
    lines = (shared_dir / "data/abstracts/csl_abstracts.jsonl").open(encoding="utf-8")
    recs = [json.loads(next(lines)) for _ in range(40)]
    with Corpus.open(tmp / "corpus", settings, create=True) as c:
        c.add([CorpusRecord(id=r["id"], title=r.get("title") or r["id"], text=r["text"]) for r in recs[:30]])
    papers = tmp / "papers"
    papers.mkdir()
    # 张三 copies corpus source 0; 李四 copies the same source 0 (shared source) and 张三's own paragraph.
    zs_own = recs[35]["text"]
    (papers / "zs.txt").write_text(f"引言\n{recs[0]['text']}\n{zs_own}\n{ORIGINAL}", encoding="utf-8")
    (papers / "ls.txt").write_text(
        f"引言\n{recs[0]['text']}\n{zs_own}\n结论\n{recs[36]['text']}", encoding="utf-8"
    )
    (papers / "ww.txt").write_text(f"{ORIGINAL}\n{recs[37]['text']}", encoding="utf-8")
    (papers / "zl.txt").write_bytes((papers / "ww.txt").read_bytes())  # identical file, other applicant
    (papers / "bad.txt").write_bytes(b"")
    # 吴十 and 郑十一 both copy corpus source 1 but not each other: a shared source, not collusion.
    wu = "本研究调查了山区小学留守儿童的阅读习惯，发现家庭藏书数量与阅读时间显著相关，并提出图书漂流方案。"
    zheng = "本文分析了城市轨道交通站点周边土地利用变化，基于遥感影像测算了十年间建设用地扩张的速度与方向。"
    (papers / "wu.txt").write_text(f"{recs[1]['text']}\n{wu * 2}", encoding="utf-8")
    (papers / "zheng.txt").write_text(f"{recs[1]['text']}\n{zheng * 2}", encoding="utf-8")
    manifest = (
        "申报人,单位,论文题目,期刊,年份,申报级别,文件名\n"
        "张三,医院,论文甲,期刊A,2021,核心,zs.txt\n"
        "李四,学校,论文乙,期刊B,2021,省级,ls.txt\n"
        "王五,医院,论文丙,期刊C,2021,省级,ww.txt\n"
        '赵六,医院,=HYPERLINK("http://x"),期刊D,2021,省级,zl.txt\n'
        "钱七,医院,论文戊,期刊E,2021,省级,missing.txt\n"
        "孙八,医院,论文己,期刊F,2021,省级,bad.txt\n"
        "周九,医院,论文庚,期刊G,20xx,省级,ww2.txt\n"
        "吴十,学校,论文辛,期刊H,2021,省级,wu.txt\n"
        "郑十一,学校,论文壬,期刊I,2021,省级,zheng.txt\n"
    )
    (tmp / "manifest.csv").write_text(manifest, encoding="utf-8")
    rows, errors = parse_manifest(manifest.encode(), "manifest.csv", settings)
    ticks: list[tuple[int, int, str]] = []
    stored: list[str] = []
    result = run_batch(
        papers, rows, errors, tmp / "corpus", settings=settings,
        progress=lambda d, t, s: ticks.append((d, t, s)),
        on_result=lambda o, r: stored.append(r["paper"]["sha256"]),
    )  # fmt: skip
    return {"tmp": tmp, "settings": settings, "result": result, "ticks": ticks, "stored": stored}


def test_rows_are_checked_and_errors_are_per_row(world: dict[str, object]) -> None:
    result = world["result"]
    assert isinstance(result, BatchResult)
    by_row = {o.row.row: o for o in result.outcomes}
    assert by_row[2].status != "error" and by_row[2].total_copy_ratio and by_row[2].total_copy_ratio > 0.3
    assert by_row[2].top_sources[0]["doc_id"] == "csl-000001" or by_row[2].top_sources
    assert by_row[4].status != "error"
    assert by_row[6].status == "error" and by_row[6].error_code == "file_missing"
    assert by_row[7].status == "error" and by_row[7].error_code == "empty_file"
    assert [(e.row, e.code) for e in result.manifest_errors] == [(8, "bad_year")]
    assert result.counts()["rows"] == 9 and result.counts()["errors"] == 3
    assert len(world["stored"]) == 6  # type: ignore[arg-type]
    ticks = world["ticks"]
    assert ticks[-1][0] == ticks[-1][1]  # type: ignore[index]
    papers = len(world["result"].outcomes)  # type: ignore[attr-defined]
    assert {t for _, t, _ in ticks} == {papers}  # type: ignore[attr-defined]  # papers, not internal steps
    assert [d for d, _, s in ticks if s == "检测论文"] == list(range(papers + 1))  # type: ignore[attr-defined]


def test_cross_applicant_flags(world: dict[str, object]) -> None:
    result = world["result"]
    assert isinstance(result, BatchResult)
    kinds = {(f.kind, f.row_a, f.row_b) for f in result.cross_flags}
    assert ("same_file", 4, 5) in kinds
    assert ("mutual_copy", 2, 3) in kinds  # 李四 copies 张三's paper
    assert ("shared_source", 2, 3) in kinds  # both copy csl source 0
    assert ("shared_source", 9, 10) in kinds and ("mutual_copy", 9, 10) not in kinds
    assert not any(f.applicant_a == f.applicant_b for f in result.cross_flags)
    zs = next(o for o in result.outcomes if o.row.row == 2)
    assert any("李四" in line for line in zs.cross_flags)


def test_summary_workbook(world: dict[str, object]) -> None:
    tmp = world["tmp"]
    assert isinstance(tmp, Path)
    result = world["result"]
    assert isinstance(result, BatchResult)
    path = tmp / "summary.xlsx"
    write_summary_xlsx(result, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "按申报人", "交叉比对", "清单问题"]
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["行号", "申报人", "单位"] and "总文字复制比" in header
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert sorted(rows) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    ratio_col = header.index("总文字复制比")
    assert (
        isinstance(rows[2][ratio_col], float) and ws.cell(row=2, column=ratio_col + 1).number_format == "0.0%"
    )
    assert rows[5][3] == '\'=HYPERLINK("http://x")'  # never stored as a formula
    assert rows[6][10] == "出错" and "找不到文件" in str(rows[6][20])
    assert rows[8][10] == "清单错误"
    per = {r[0]: r for r in wb["按申报人"].iter_rows(min_row=2, values_only=True)}
    assert set(per) >= {"张三", "李四", "王五", "赵六", "钱七", "孙八"} and per["张三"][2] == 1
    assert wb["交叉比对"].max_row >= 4
    assert {r[0] for r in wb["清单问题"].iter_rows(min_row=2, values_only=True)} == {6, 7, 8}


def test_safe_cell() -> None:
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-2") == "'-2" and safe_cell(0.25) == 0.25 and safe_cell("论文\x01") == "论文"


def test_cli_batch_from_zip(world: dict[str, object]) -> None:
    import zipfile

    tmp = world["tmp"]
    assert isinstance(tmp, Path)
    z = tmp / "papers.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name in ("zs.txt", "ls.txt"):
            zf.write(tmp / "papers" / name, f"提交/{name}")
    manifest = tmp / "m2.csv"
    manifest.write_text("申报人,文件名\n张三,zs.txt\n李四,ls.txt\n李四,ls.txt\n", encoding="utf-8")
    out = tmp / "cli.xlsx"
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(tmp / "var")}
    proc = subprocess.run(
        [sys.executable, "-m", "integrity", "batch", str(z), "--manifest", str(manifest), "--corpus",
         str(tmp / "corpus"), "-o", str(out)],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "共 3 行" in proc.stderr and "出错 1" in proc.stderr and out.is_file()
    rows = list(load_workbook(out)["汇总"].iter_rows(min_row=2, values_only=True))
    assert [r[10] for r in rows][2] == "清单错误"


def test_result_round_trips_through_json(world: dict[str, object]) -> None:
    result = world["result"]
    assert isinstance(result, BatchResult)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    again = BatchResult.from_dict(data)
    assert again.to_dict() == data
    assert "file_path" not in data["outcomes"][0]
