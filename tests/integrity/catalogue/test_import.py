"""``integrity catalogue import``: validated, versioned, all-or-nothing imports (on a catalogue copy)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrity.catalogue import Catalogue
from integrity.catalogue.importer import import_list
from integrity.cli import app
from integrity.errors import CatalogueError
from integrity.settings import Settings

AUTHORITY = """# list_id: provincial_authority:gansu
# title: 甘肃省权威期刊目录
# kind: provincial_authority
# version: 2017
# source: test fixture
# snapshot: 2017-06-01
name,issn,cn,start_year,end_year,status,ceased_year,successor,former_names,electronic,grade,note
海洋石油,1008-2336,31-1760/TE,,,,,,,,,
甘肃某某研究,,62-1999/C,,,,,,甘肃某某通讯,,,
"""


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue.sqlite"
    shutil.copy(Settings().catalogue_path, target)
    return target


def _write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_adds_list_and_new_journals(db: Path, tmp_path: Path) -> None:
    before = Catalogue.open(db).version
    result = import_list(db, _write(tmp_path, AUTHORITY))
    assert (result.rows, result.matched, result.created) == (2, 1, 1)
    cat = Catalogue.open(db)
    assert cat.version != before and "imports-" in cat.version
    assert cat.lists["provincial_authority:gansu"].version == "2017"
    match = cat.lookup("海洋石油", 2016)[0]
    tier = next(t for t in match.tiers if t.list_id == "provincial_authority:gansu")
    assert tier.member is True
    new = cat.lookup("甘肃某某通讯", 2016)[0]  # former name given in the file
    assert new.journal.name == "甘肃某某研究" and new.matched_by == "former_name"


def test_reimport_same_content_is_noop_and_changed_content_needs_new_version(
    db: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, AUTHORITY)
    import_list(db, path)
    assert import_list(db, path).unchanged
    changed = _write(tmp_path, AUTHORITY.replace("海洋石油,1008-2336,31-1760/TE", "石油学报,,"), "b.csv")
    with pytest.raises(CatalogueError, match="提高 version"):
        import_list(db, changed)
    result = import_list(db, changed, {"version": "2018"})
    assert result.version == "2018"
    journal = Catalogue.open(db).lookup("海洋石油")[0].journal
    assert not any(m.list_id == "provincial_authority:gansu" for m in journal.memberships)  # replaced


def test_bad_rows_change_nothing_and_name_the_line(db: Path, tmp_path: Path) -> None:
    bad = AUTHORITY + "假期刊,1000-0365,,,,,,,,,,\n坏年份,,,1800,,,,,,,,\n"
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT COUNT(*) FROM journals").fetchone()
    with pytest.raises(CatalogueError) as err:
        import_list(db, _write(tmp_path, bad))
    assert "第 10 行" in err.value.message and "校验位" in err.value.message
    assert "第 11 行" in err.value.message
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM journals").fetchone() == before
        assert conn.execute("SELECT COUNT(*) FROM lists WHERE list_id LIKE 'provincial%'").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (AUTHORITY.replace("# version: 2017\n", ""), "version"),
        (AUTHORITY.replace("provincial_authority\n", "nonsense\n"), "kind"),
        (AUTHORITY.replace("provincial_authority:gansu", "pku_core"), "内置名录"),
        ("# list_id: x\nfoo,bar\n1,2\n", "name"),
        (AUTHORITY.replace(",note", ",note,extra"), "未知列"),
    ],
)
def test_metadata_and_header_validation(db: Path, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        import_list(db, _write(tmp_path, text))


def test_registry_import_sets_ceased_year_and_successor(db: Path, tmp_path: Path) -> None:
    text = """name,issn,cn,status,ceased_year,successor,electronic
中国邮政,1002-2287,11-2685/TN,停刊,2015,,否
中国管理信息化(会计版),1673-0194,22-1359/TP,合并,,中国管理信息化,0
"""
    result = import_list(
        db,
        _write(tmp_path, text),
        {
            "list_id": "registry:test",
            "title": "测试登记",
            "kind": "registry",
            "version": "1",
            "source": "test",
        },
    )
    assert result.matched == 2
    cat = Catalogue.open(db)
    ceased = cat.lookup("1002-2287")[0].journal
    assert (ceased.status, ceased.ceased_year) == ("ceased", 2015)
    merged = cat.lookup("中国管理信息化(会计版)")[0]
    assert merged.successor is not None and merged.successor.name == "中国管理信息化"
    level = cat.level(cat.lookup("中国管理信息化")[0].journal, 2020)
    assert level.level == "provincial"


def test_cli_import_and_stats(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _write(tmp_path, AUTHORITY)
    result = runner.invoke(app, ["catalogue", "import", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "已导入名录 provincial_authority:gansu" in result.output
    stats = runner.invoke(app, ["catalogue", "stats", "--db", str(db)])
    assert "甘肃省权威期刊目录" in stats.output


@pytest.mark.parametrize("name", ["registry_example.csv", "provincial_example.csv"])
def test_shipped_examples_import(db: Path, name: str) -> None:
    example = Settings().catalogue_path.parent / "examples" / name
    result = import_list(db, example)
    assert result.rows == 2 and not result.unchanged
    cat = Catalogue.open(db)
    if name.startswith("registry"):
        assert cat.lookup("1002-2287")[0].journal.ceased_year == 2015
        journal = cat.lookup("1000-0364")[0].journal
        evidence = cat.level(journal, 2019).provincial_evidence
        assert evidence is not None and "期刊登记导出示例" in evidence
    else:
        level = cat.level(cat.lookup("某省示例通讯")[0].journal, 2020)
        assert level.level == "provincial" and "省级期刊目录示例" in (level.provincial_evidence or "")
