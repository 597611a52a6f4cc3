from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from integrity.batch import parse_manifest, read_manifest
from integrity.errors import InputError
from integrity.settings import Settings

CSV = (
    "申报人,单位,论文题目,期刊,ISSN/CN,年份,申报级别,文件名\n"
    "张三,平凉市人民医院,论文一,中华医学杂志,ISSN 0376-2491 CN 11-2137/R,2021,核心,a.txt\n"
    "\n"
    "李四,平凉市第二中学,论文二,甘肃教育,,2020年,省级,sub/b.txt\n"
    ",无名单位,论文三,,,2020,省级,c.txt\n"
    "王五,单位,论文四,,,20x1,核心,d.txt\n"
    "赵六,单位,论文五,,,2021,国家级,e.txt\n"
    "钱七,单位,论文六,,,2021,省级,../etc/passwd\n"
    "孙八,单位,论文七,,,2021,省级,A.TXT\n"
    "张三,平凉市人民医院,论文一,中华医学杂志,,2021,核心,a2.txt\n"
    "周九,单位,论文八,,,2021,省级,\n"
)


def test_csv_rows_and_per_row_errors() -> None:
    rows, errors = parse_manifest(CSV.encode("utf-8-sig"), "m.csv")
    assert [r.row for r in rows] == [2, 4]
    a, b = rows
    assert (a.applicant, a.unit, a.issn, a.cn, a.year, a.claimed_level) == (
        "张三", "平凉市人民医院", "0376-2491", "11-2137/R", 2021, "core",
    )  # fmt: skip
    assert (b.file_name, b.year, b.claimed_level) == ("sub/b.txt", 2020, "provincial")
    by_row = {e.row: e.code for e in errors}
    assert by_row == {
        5: "missing_applicant",
        6: "bad_year",
        7: "bad_level",
        8: "bad_file_name",
        9: "duplicate_row",  # A.TXT vs a.txt
        10: "duplicate_row",  # same applicant, same title
        11: "missing_file_name",
    }
    assert all(e.message.startswith(f"第 {e.row} 行") for e in errors)


def test_gbk_csv_as_excel_saves_it() -> None:
    data = "申报人,文件名\n张三,论文.pdf\n".encode("gb18030")
    rows, errors = parse_manifest(data, "m.csv")
    assert not errors and rows[0].applicant == "张三" and rows[0].file_name == "论文.pdf"


def test_xlsx_with_english_headers_and_numeric_cells(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["applicant", "unit", "title", "journal", "issn", "cn", "year", "claimed_level", "file_name"])
    ws.append(["张三", "医院", "论文一", "期刊", "1234-5678", "62-1000/R", 2021, "core", "a.txt"])
    ws.append([None] * 9)
    ws.append(["李四", "学校", "论文二", "期刊", "bad", "", 2020.0, "provincial", "b.txt"])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    rows, errors = read_manifest(path)
    assert [r.row for r in rows] == [2] and rows[0].year == 2021 and rows[0].cn == "62-1000/R"
    assert [(e.row, e.code) for e in errors] == [(4, "bad_issn")]


def test_unusable_manifests_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        parse_manifest("单位,论文题目\n医院,论文\n".encode(), "m.csv")
    assert exc.value.code == "manifest_missing_column" and "申报人" in exc.value.message
    with pytest.raises(InputError) as exc:
        parse_manifest(b"PK\x03\x04garbage", "m.xlsx")
    assert exc.value.code == "manifest_unreadable"
    with pytest.raises(InputError) as exc:
        read_manifest(tmp_path / "none.csv")
    assert exc.value.code == "manifest_not_found"
    many = "申报人,文件名\n" + "".join(f"人{i},{i}.txt\n" for i in range(11))
    with pytest.raises(InputError) as exc:
        parse_manifest(many.encode(), "m.csv", Settings(batch_max_manifest_rows=10))
    assert exc.value.code == "manifest_too_many_rows" and "10" in exc.value.message
