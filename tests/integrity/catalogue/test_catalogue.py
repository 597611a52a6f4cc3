"""The shipped catalogue (corpora/catalogue/catalogue.sqlite): lookups and tiers by year, real journals."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from integrity.catalogue import Catalogue
from integrity.catalogue.build import build_catalogue
from integrity.errors import CatalogueError
from integrity.settings import Settings


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.open(Settings().catalogue_path)


def test_open_is_cached_per_process(catalogue: Catalogue) -> None:
    assert Catalogue.open(Settings().catalogue_path) is catalogue
    assert Catalogue.open(Settings()) is catalogue  # a Settings object is accepted (the service passes one)


def test_missing_or_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="不存在"):
        Catalogue.open(tmp_path / "nope.sqlite")
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(CatalogueError, match="损坏"):
        Catalogue.open(bad)


@pytest.mark.parametrize(
    ("query", "name", "how"),
    [
        ("1000-0364", "原子与分子物理学报", "issn"),
        ("ISSN 1000-7180", "微电子学与计算机", "issn"),
        ("CN 51-1199/O4", "原子与分子物理学报", "cn"),
        ("原子与分子物理学报", "原子与分子物理学报", "name"),
        ("原子與分子物理學報", "原子与分子物理学报", "name"),  # traditional characters
        ("徐州师范大学学报(自然科学版)", "江苏师范大学学报(自然科学版)", "former_name"),
        ("原子分子物理学报", "原子与分子物理学报", "fuzzy_name"),
        ("数学年刊·A辑", "数学年刊A辑(中文版)", "name_without_qualifier"),
        ("原子与分子物理学报 JOURNAL OF ATOMIC AND MOLECULAR PHYSICS", "原子与分子物理学报", "name"),
    ],
)
def test_lookup(catalogue: Catalogue, query: str, name: str, how: str) -> None:
    hits = catalogue.lookup(query)
    assert hits, query
    assert hits[0].journal.name == name
    assert hits[0].matched_by == how
    if how in ("fuzzy_name", "name_without_qualifier"):
        assert 0.6 < hits[0].score < 1.0
    else:
        assert hits[0].score == 1.0


def test_lookup_rejects_invalid_identifiers(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError, match="校验位"):
        catalogue.lookup("1000-0365")
    with pytest.raises(CatalogueError, match="格式不正确"):
        catalogue.lookup("CN 11-12/R")
    assert catalogue.lookup("完全不存在的某某某杂志社期刊编辑部") == []


@pytest.mark.parametrize(
    ("query", "year", "level", "edition"),
    [
        ("1000-7180", 2019, "core", "2017年版"),  # 微电子学与计算机: in the 2017 edition …
        ("1000-7180", 2024, "provincial", "2023年版"),  # … but not in 2023, nor CSCD/CSSCI
        ("1000-0364", 2024, "core", "2023年版"),
        ("1008-2336", 1995, "core", "1992年版"),  # 海洋石油: 1992 edition only
        ("1008-2336", 2019, "provincial", "2017年版"),
    ],
)
def test_tier_by_year(catalogue: Catalogue, query: str, year: int, level: str, edition: str) -> None:
    match = catalogue.lookup(query, year)[0]
    assert match.level is not None and match.level.level == level
    pku = next(t for t in match.tiers if t.list_id == "pku_core")
    assert pku.basis == edition
    assert pku.member is (level == "core")
    assert f"{year} 年适用 {edition}" in pku.reason


def test_in_force_rule_boundaries(catalogue: Catalogue) -> None:
    journal = catalogue.lookup("1000-7180")[0].journal
    tiers = {y: catalogue.tiers(journal, y) for y in (2022, 2023)}
    status = {y: next(t for t in ts if t.list_id == "pku_core") for y, ts in tiers.items()}
    assert status[2022].basis == "2020年版" and status[2023].basis == "2023年版"
    lagged = next(t for t in catalogue.tiers(journal, 2023, edition_lag=1) if t.list_id == "pku_core")
    assert lagged.basis == "2020年版"  # lag 1: the 2023 edition applies from 2024
    before = next(t for t in catalogue.tiers(journal, 1990) if t.list_id == "pku_core")
    assert before.member is None


def test_period_lists_unknown_before_and_assumed_after(catalogue: Catalogue) -> None:
    journal = catalogue.lookup("1000-0364")[0].journal
    cscd_2019 = next(t for t in catalogue.tiers(journal, 2019) if t.list_id == "cscd")
    assert cscd_2019.member is None and "无法判定" in cscd_2019.reason
    cssci_2024 = next(t for t in catalogue.tiers(journal, 2024) if t.list_id == "cssci")
    assert cssci_2024.assumed and cssci_2024.basis == "2021-2022"


def test_cssci_2025_joined_by_name(catalogue: Catalogue) -> None:
    match = catalogue.lookup("安徽大学学报(哲学社会科学版)", 2025)[0]
    cssci = next(t for t in match.tiers if t.list_id == "cssci")
    assert cssci.member is True and cssci.basis == "2025-2026"


def test_status_flags(catalogue: Catalogue) -> None:
    ceased = catalogue.lookup("1002-2287")[0].journal  # 中国邮政
    assert ceased.status == "ceased"
    merged = catalogue.lookup("中国管理信息化(会计版)")[0]
    assert merged.journal.status == "merged"
    electronic = catalogue.lookup("中华临床医师杂志(电子版)", 2020)[0]
    assert electronic.journal.excluded_kind == "electronic"
    assert electronic.level is not None and electronic.level.level is None
    warned = catalogue.lookup("Metals", 2020)[0]
    assert any(t.list_id == "cas_warning" and t.member for t in warned.tiers)


def test_to_dict_is_json_ready(catalogue: Catalogue) -> None:
    import json

    data = catalogue.lookup("1000-0364", 2019)[0].to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert data["journal"]["issn"] == "1000-0364" and "2017年版" in text
    assert data["level"]["level"] == "core"


def test_build_is_reproducible_from_shared_data(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue.sqlite"
    counts = build_catalogue(shared_dir / "data" / "catalogue", out)
    assert counts["journals"] == 10860
    built = Catalogue.open(out)
    shipped = Catalogue.open(Settings().catalogue_path)
    assert built.version == shipped.version
    assert len(built.journals) == len(shipped.journals)
    with sqlite3.connect(out) as a, sqlite3.connect(Settings().catalogue_path) as b:
        q = "SELECT list_id, COUNT(*) FROM memberships GROUP BY list_id ORDER BY list_id"
        assert a.execute(q).fetchall() == b.execute(q).fetchall()
    assert out.stat().st_size < 8 * 1024 * 1024


def test_build_without_registry_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cnki_journals"):
        build_catalogue(tmp_path, tmp_path / "x.sqlite")


@pytest.fixture()
def catalogue_copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue.sqlite"
    shutil.copy(Settings().catalogue_path, target)
    return target


def test_journal_lookup_cli() -> None:
    from typer.testing import CliRunner

    from integrity.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["journal", "lookup", "1000-7180", "--year", "2019"])
    assert r.exit_code == 0, r.output
    assert (
        "《微电子学与计算机》" in r.output and "2019 年认定：核心期刊" in r.output and "2017年版" in r.output
    )
    r = runner.invoke(app, ["journal", "lookup", "1000-7180", "--year", "2024"])
    assert "2024 年认定：省级期刊" in r.output and "未收录" in r.output
    r = runner.invoke(app, ["journal", "lookup", "原子与分子物理学报", "--format", "json"])
    data = __import__("json").loads(r.output)
    assert data[0]["journal"]["cn"] == "51-1199/O4"
    missing = runner.invoke(app, ["journal", "lookup", "完全不存在的某某某杂志社期刊编辑部"])
    assert missing.exit_code == 1 and "未在期刊目录中找到" in missing.output


def test_lookup_says_not_found_when_only_similar_names_are_shown(tmp_path: Path) -> None:
    """Issue 13: near names are not a hit: 未找到 first, then the similar names, exit code 1."""
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "integrity", "journal", "lookup", "计算机工程与应月"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, "INTEGRITY_DATA_DIR": str(tmp_path)},
    )
    assert r.returncode == 1, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert "未找到" in first and "计算机工程与应月" in first and "相似" in first
    assert "近似刊名" in r.stdout  # the candidates are still listed
    exact = subprocess.run(
        [sys.executable, "-m", "integrity", "journal", "lookup", "计算机工程"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, "INTEGRITY_DATA_DIR": str(tmp_path)},
    )
    assert exact.returncode == 0 and "未找到" not in exact.stdout
