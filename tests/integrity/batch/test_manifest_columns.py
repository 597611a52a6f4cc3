"""Manifest columns 期次 and 发表日期 reach the policy (a 2022 paper dated before the material cutoff is not
需核实 for want of a date); files in the zip that no row lists are reported; the README examples parse."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from integrity.batch import parse_manifest, run_batch, run_batch_path, write_summary_xlsx
from integrity.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_issue_and_date_columns_parse(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    csv = (
        "申报人,文件名,年份,期次,发表日期\n"
        "甲,a.txt,2022,2022年第3期,2022-06-15\n"
        "乙,b.txt,,增刊1,2022年7月1日\n"
        "丙,c.txt,2021,第5期,2022/06/15\n"
        "丁,d.txt,2022,,2022-13-40\n"
        "戊,e.txt,,,20220301\n"
    )
    rows, errors = parse_manifest(csv.encode(), "m.csv", settings)
    by = {r.applicant: r for r in rows}
    assert by["甲"].issue == "2022年第3期" and by["甲"].published_on == "2022-06-15"
    assert by["乙"].issue == "增刊1" and by["乙"].published_on == "2022-07-01" and by["乙"].year == 2022
    assert by["戊"].published_on == "2022-03-01"
    codes = {e.row: e.code for e in errors}
    assert codes == {4: "date_year_mismatch", 5: "bad_date"}
    assert "发表日期" in next(e.message for e in errors if e.row == 5)


def test_xlsx_date_cells_keep_the_day(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["申报人", "文件名", "年份", "期次", "发表日期"])
    ws.append(["甲", "a.txt", 2022, "增刊", datetime(2022, 6, 15)])
    buf = io.BytesIO()
    wb.save(buf)
    rows, errors = parse_manifest(buf.getvalue(), "m.xlsx", Settings(data_dir=tmp_path))
    assert not errors
    assert rows[0].published_on == "2022-06-15" and rows[0].year == 2022 and rows[0].issue == "增刊"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> dict[str, object]:
    from integrity.corpus import Corpus, CorpusRecord

    tmp = tmp_path_factory.mktemp("manifest-cols")
    settings = Settings(data_dir=tmp / "var")
    lines = (shared_dir / "data/abstracts/csl_abstracts.jsonl").open(encoding="utf-8")
    recs = [json.loads(next(lines)) for _ in range(12)]
    with Corpus.open(tmp / "corpus", settings, create=True) as c:
        c.add([CorpusRecord(id=r["id"], title=r["id"], text=r["text"]) for r in recs[:5]])
    z = tmp / "papers.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i, name in enumerate(("dated.txt", "undated.txt", "supplement.txt", "forgotten.txt")):
            zf.writestr(f"申报材料/{name}", f"引言\n{recs[6 + i]['text']}\n{recs[10]['text']}")
        zf.writestr("__MACOSX/申报材料/._dated.txt", b"junk")
        zf.writestr("申报材料/Thumbs.db", b"junk")
    manifest = tmp / "m.csv"
    manifest.write_text(
        "申报人,文件名,期刊,年份,期次,发表日期\n"
        "甲,dated.txt,中国护理管理,2022,2022年第3期,2022-03-01\n"
        "乙,undated.txt,中国护理管理,2022,2022年第3期,\n"
        "丙,supplement.txt,中国护理管理,2021,增刊1,2021-05-01\n",
        encoding="utf-8",
    )
    result = run_batch_path(z, manifest, tmp / "corpus", settings=settings)
    return {"result": result, "tmp": tmp}


def _codes(outcome: object) -> set[str]:
    return {str(f["code"]) for f in outcome.findings}  # type: ignore[attr-defined]


def test_date_column_decides_the_cutoff(batch: dict[str, object]) -> None:
    result = batch["result"]
    by = {o.row.applicant: o for o in result.outcomes}  # type: ignore[attr-defined]
    assert "cutoff_date_unverified" in _codes(by["乙"])  # 2022 without a date: must be verified
    assert "cutoff_date_unverified" not in _codes(by["甲"])  # the date answers it
    assert any("增刊" in f["message"] for f in by["丙"].findings)  # 期次 增刊1 reaches the policy


def test_unlisted_files_are_reported(batch: dict[str, object]) -> None:
    result = batch["result"]
    assert result.unlisted_files == ["申报材料/forgotten.txt"]  # type: ignore[attr-defined]
    assert result.to_dict()["unlisted_files"] == ["申报材料/forgotten.txt"]  # type: ignore[attr-defined]
    wb = load_workbook(io.BytesIO(write_summary_xlsx(result)))  # type: ignore[arg-type]
    texts = [str(c.value) for row in wb["清单问题"].iter_rows() for c in row if c.value]
    assert any("forgotten.txt" in t and "不在清单中" in t for t in texts)


def test_readme_example_manifests_parse(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    parsed = []
    for name in ("batch-manifest.csv", "batch-manifest.xlsx"):
        path = ROOT / "docs" / "examples" / name
        rows, errors = parse_manifest(path.read_bytes(), name, settings)
        assert not errors, errors
        assert rows and all(r.published_on and r.issue for r in rows)
        parsed.append([r.to_dict() for r in rows])
    assert parsed[0] == parsed[1]  # the CSV and the XLSX example say the same
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/examples/batch-manifest.csv" in readme and "发表日期" in readme


def test_run_batch_without_zip_lists_unlisted_from_folder(tmp_path: Path) -> None:
    from integrity.corpus import Corpus, CorpusRecord

    settings = Settings(data_dir=tmp_path / "var")
    with Corpus.open(tmp_path / "corpus", settings, create=True) as c:
        c.add([CorpusRecord(id="x", title="x", text="比对库中的一段文字，用于测试。" * 10)])
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.txt").write_text("引言\n" + "原创内容，讨论护理质量。" * 20, encoding="utf-8")
    (tmp_path / "p" / "b.txt").write_text("引言\n" + "另一篇原创内容。" * 20, encoding="utf-8")
    rows, errors = parse_manifest("申报人,文件名\n甲,a.txt\n".encode(), "m.csv", settings)
    result = run_batch(tmp_path / "p", rows, errors, tmp_path / "corpus", settings=settings)
    assert result.unlisted_files == ["b.txt"]
