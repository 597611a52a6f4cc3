"""The verdict with real journals from the shipped catalogue: every finding at once, each citing its rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from integrity.catalogue import Catalogue
from integrity.catalogue.importer import import_list
from integrity.models import (
    ExtractedDocument,
    MetaField,
    PaperClaims,
    SimilarityReport,
    SourceMatch,
)
from integrity.policy import assess, load_policy, normalise_person
from integrity.policy.model import Policy
from integrity.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def catalogue(settings: Settings) -> Catalogue:
    return Catalogue.open(settings.catalogue_path)


@pytest.fixture(scope="module")
def gansu(settings: Settings) -> Policy:
    return load_policy(None, settings)


def similarity(ratio: float, excluding_refs: float | None = None) -> SimilarityReport:
    copied = round(ratio * 10000)
    src = SourceMatch("s1", "来源", ratio, copied, [])
    refs = ratio if excluding_refs is None else excluding_refs
    return SimilarityReport(ratio, copied, 10000, refs, ratio, ratio, [src] if ratio else [])


def document(**meta: Any) -> ExtractedDocument:
    doc = ExtractedDocument(text="正文", file_type="txt")
    for key, value in meta.items():
        setattr(doc.metadata, key, MetaField(value, "first_page"))
    return doc


def run(
    catalogue: Catalogue,
    policy: Policy,
    ratio: float = 0.05,
    doc: ExtractedDocument | None = None,
    **claims: Any,
) -> dict[str, Any]:
    return assess(doc or document(), similarity(ratio), PaperClaims(**claims), policy, catalogue)


def codes(out: dict[str, Any]) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in out["verdict"]["findings"]}


# (case, claims, ratio, expected accepted, expected recognised level, {code: severity} that must appear)
CASES: list[tuple[str, dict[str, Any], float, bool, str | None, dict[str, str]]] = [
    (
        "core in 2019 (2017 edition), 14.9 %",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019, "claimed_level": "core"},
        0.149,
        True,
        "core",
        {},
    ),
    (
        "same core paper at 15.1 %: not core, but within the provincial 25 %",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019, "claimed_level": "core"},
        0.151,
        False,
        "provincial",
        {"copy_ratio_over_threshold": "reject"},
    ),
    (
        "15.1 % with no claimed level: accepted as provincial, the downgrade reported, not a rejection",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019},
        0.151,
        True,
        "provincial",
        {"copy_ratio_over_threshold": "info"},
    ),
    (
        "15.1 % claimed provincial: the core journal still meets the claim",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019, "claimed_level": "provincial"},
        0.151,
        True,
        "provincial",
        {"copy_ratio_over_threshold": "info"},
    ),
    (
        "26 % with no claimed level: over every threshold, rejected",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019},
        0.26,
        False,
        None,
        {"copy_ratio_over_threshold": "reject"},
    ),
    (
        "exactly 15.0 % is not over",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2019, "claimed_level": "core"},
        0.15,
        True,
        "core",
        {},
    ),
    (
        "same journal in 2021: the 2020 edition no longer lists it",
        {"journal": "微电子学与计算机", "year": 2021, "claimed_level": "core", "published_on": "2021-05-01"},
        0.1,
        False,
        "provincial",
        {"claimed_level_not_recognised": "reject"},
    ),
    (
        "not core in 2024 (dropped from the 2023 edition), and after the cutoff",
        {"journal": "微电子学与计算机", "issn": "1000-7180", "year": 2024, "claimed_level": "core"},
        0.1,
        False,
        "provincial",
        {"claimed_level_not_recognised": "reject", "published_after_cutoff": "reject"},
    ),
    (
        "provincial journal (CNKI + CN), 24 %",
        {"journal": "海洋石油", "cn": "31-1760/TE", "year": 2019},
        0.24,
        True,
        "provincial",
        {"provincial_by_registry": "info"},
    ),
    (
        "ceased journal",
        {"journal": "中国邮政", "issn": "1002-2287", "year": 2019},
        0.05,
        True,
        "provincial",
        {"journal_ceased": "warning"},
    ),
    (
        "invalid ISSN (check digit)",
        {"journal": "原子与分子物理学报", "issn": "1000-0365", "year": 2019},
        0.05,
        False,
        None,
        {"issn_invalid": "reject"},
    ),
    (
        "增刊 issue",
        {"journal": "原子与分子物理学报", "issn": "1000-0364", "year": 2019, "issue": "2019年增刊1"},
        0.05,
        False,
        None,
        {"supplement_issue": "reject"},
    ),
    (
        "name that matches no ISSN (suspected fake journal / 一号多刊)",
        {"journal": "海洋石油", "issn": "1000-0364", "year": 2019},
        0.05,
        False,
        None,
        {"journal_identity_mismatch": "reject"},
    ),
    (
        "unknown name with a real ISSN",
        {"journal": "国际前沿科学研究", "issn": "1000-0364", "year": 2019},
        0.05,
        False,
        None,
        {"journal_identity_mismatch": "reject"},
    ),
    (
        "a spelling variant of the name the ISSN belongs to",
        {"journal": "原子分子物理学报", "issn": "1000-0364", "year": 2019},
        0.05,
        True,
        "core",
        {"journal_name_variant": "info"},
    ),
    (
        "an extra edition under the same ISSN (一号多刊)",
        {"journal": "原子与分子物理学报(下旬刊)", "issn": "1000-0364", "year": 2019},
        0.05,
        False,
        None,
        {"journal_identity_mismatch": "reject"},
    ),
    (
        "merged journal: successor named with its level",
        {"journal": "中国管理信息化(会计版)", "year": 2019},
        0.05,
        True,
        "provincial",
        {"journal_merged": "warning"},
    ),
    (
        "name without the catalogue's qualifier (数学年刊A辑(中文版))",
        {"journal": "数学年刊·A辑", "year": 2019},
        0.05,
        True,
        "core",
        {"journal_name_without_qualifier": "info"},
    ),
    (
        "name shared by several editions, no ISSN",
        {"journal": "延边大学学报", "year": 2019},
        0.05,
        False,
        None,
        {"journal_edition_ambiguous": "warning"},
    ),
    (
        "name shared by several editions, resolved by the ISSN",
        {"journal": "延边大学学报", "issn": "1009-3311", "year": 2019},
        0.05,
        True,
        "provincial",
        {},
    ),
    (
        "core in 2023 only through CSSCI 2021-2022 carried forward (no 2023-2024 list)",
        {"journal": "新疆社会科学", "issn": "1009-5330", "year": 2023},
        0.05,
        False,
        "core",
        {"core_status_assumed": "warning", "published_after_cutoff": "reject"},
    ),
    (
        "journal not in the catalogue at all",
        {"journal": "环球学术前沿研究", "year": 2019},
        0.05,
        False,
        None,
        {"journal_not_found": "reject"},
    ),
    (
        "electronic journal",
        {"journal": "中华临床医师杂志(电子版)", "year": 2019},
        0.05,
        False,
        None,
        {"electronic_journal": "reject"},
    ),
    (
        "internal permit number instead of a CN",
        {"journal": "艺术与民俗", "cn": "44-Q1116", "year": 2019},
        0.05,
        False,
        None,
        {"internal_journal": "reject"},
    ),
    (
        "former name",
        {"journal": "徐州师范大学学报(自然科学版)", "year": 2019},
        0.05,
        True,
        "provincial",
        {"journal_former_name": "info"},
    ),
    (
        "cutoff year without a date",
        {"journal": "原子与分子物理学报", "year": 2022},
        0.05,
        True,
        "core",
        {"cutoff_date_unverified": "warning"},
    ),
    (
        "published after the cutoff date",
        {"journal": "原子与分子物理学报", "year": 2022, "published_on": "2022-10-15"},
        0.05,
        False,
        "core",
        {"published_after_cutoff": "reject"},
    ),
    (
        "no journal at all: a finding, not a failure",
        {},
        0.05,
        False,
        None,
        {"journal_metadata_missing": "warning"},
    ),
]


@pytest.mark.parametrize(
    ("case", "claims", "ratio", "accepted", "level", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_verdict_table(
    catalogue: Catalogue,
    gansu: Policy,
    case: str,
    claims: dict[str, Any],
    ratio: float,
    accepted: bool,
    level: str | None,
    expected: dict[str, str],
) -> None:
    out = run(catalogue, gansu, ratio, **claims)
    verdict = out["verdict"]
    found = codes(out)
    for code, severity in expected.items():
        assert found.get(code) == severity, (case, verdict["findings"])
    assert verdict["accepted"] is accepted, (case, verdict["summary"], verdict["findings"])
    assert verdict["recognised_level"] == level, (case, verdict["findings"])
    assert verdict["policy_id"] == "gansu-pingliang-2022" and verdict["policy_version"] == "1.1.0"
    assert verdict["summary"]
    for f in verdict["findings"]:
        assert "〔2022〕" in f["citation"] and "seeds/" not in f["citation"], f
        assert f["severity"] in ("reject", "warning", "info")
    if not accepted and any(s == "reject" for s in found.values()):
        assert "不予认可" in verdict["summary"]
    json.dumps(out, ensure_ascii=False)


def test_every_problem_is_reported_at_once(catalogue: Catalogue, gansu: Policy) -> None:
    doc = document(authors=["李四", "王五"])
    out = run(
        catalogue,
        gansu,
        0.30,
        doc=doc,
        journal="海洋石油",
        issn="1000-0365",
        cn="31-1760/TE",
        year=2023,
        issue="增刊",
        claimed_level="core",
        applicant="张三",
    )
    found = codes(out)
    for code in (
        "issn_invalid",
        "supplement_issue",
        "published_after_cutoff",
        "copy_ratio_over_threshold",
        "claimed_level_not_recognised",
        "applicant_not_author",
    ):
        assert found.get(code) == "reject", (code, out["verdict"]["findings"])
    assert out["verdict"]["counts"]["reject"] >= 6
    assert f"否决 {out['verdict']['counts']['reject']}" in out["verdict"]["summary"]


@pytest.mark.parametrize(
    ("applicant", "authors", "ok"),
    [
        ("张三", ["張 三", "李四"], True),  # traditional characters and a space
        ("张 三", ["张三1,2*", "李四"], True),  # footnote marks
        ("ZHANG San", ["zhang san"], True),
        ("San ZHANG", ["Zhang San", "Li Si"], True),
        ("Zhang Sanfeng", ["Zhang San"], False),
        ("张三", ["张三丰", "李四"], False),
        ("王五", ["李四"], False),
    ],
)
def test_applicant_authorship(
    catalogue: Catalogue, gansu: Policy, applicant: str, authors: list[str], ok: bool
) -> None:
    out = run(
        catalogue,
        gansu,
        0.05,
        doc=document(authors=authors),
        journal="海洋石油",
        year=2019,
        applicant=applicant,
    )
    found = codes(out)
    assert ("applicant_not_author" in found) is (not ok)
    if not ok:
        assert "伪造署名" in next(
            f["message"] for f in out["verdict"]["findings"] if f["code"] == "applicant_not_author"
        )
        assert found["applicant_not_author"] == "reject"
        # a paper whose authorship fails is recognised at no level (issue 13)
        assert out["verdict"]["recognised_level"] is None
        assert out["verdict"]["accepted"] is False
        assert "可认定级别：无" in out["verdict"]["summary"]
    else:
        assert out["verdict"]["recognised_level"] == "provincial"


def test_authors_unknown_is_a_warning(catalogue: Catalogue, gansu: Policy) -> None:
    out = run(catalogue, gansu, 0.05, journal="海洋石油", year=2019, applicant="张三")
    assert codes(out)["authors_unknown"] == "warning"


def test_normalise_person() -> None:
    assert normalise_person("張 三") == normalise_person("张三") == normalise_person("张三*")


def test_claims_win_over_extracted_and_inputs_say_where(catalogue: Catalogue, gansu: Policy) -> None:
    doc = document(journal="海洋石油", issn="1008-2336", year=2019, authors=["李四"])
    out = assess(doc, similarity(0.05), PaperClaims(year=1995), gansu, catalogue)
    inputs = out["verdict"]["inputs"]
    assert inputs["journal"] == {"value": "海洋石油", "source": "extracted:first_page"}
    assert inputs["year"] == {"value": 1995, "source": "claims"}
    assert inputs["copy_ratio"]["value"]["metric"] == "total_copy_ratio"
    assert inputs["catalogue_version"]["value"] == catalogue.version
    assert out["verdict"]["recognised_level"] == "core"  # 海洋石油 was in the 1992 edition
    assert out["journal"]["identified"] and out["journal"]["match"]["journal"]["issn"] == "1008-2336"


def test_extracted_supplement_marker(catalogue: Catalogue, gansu: Policy) -> None:
    doc = document(journal="原子与分子物理学报", year=2019, supplement="S1")
    assert (
        codes(assess(doc, similarity(0.05), PaperClaims(), gansu, catalogue))["supplement_issue"] == "reject"
    )


def test_same_input_same_verdict(catalogue: Catalogue, gansu: Policy) -> None:
    claims = {"journal": "微电子学与计算机", "year": 2019, "claimed_level": "core", "applicant": "李四"}
    doc = document(authors=["李四"])
    first = run(catalogue, gansu, 0.151, doc=doc, **claims)
    second = run(catalogue, gansu, 0.151, doc=doc, **claims)
    assert json.dumps(first, sort_keys=True, ensure_ascii=False) == json.dumps(
        second, sort_keys=True, ensure_ascii=False
    )


def test_metric_is_a_policy_field(catalogue: Catalogue, gansu: Policy) -> None:
    strict = gansu.model_copy(update={"copy_ratio_metric": "copy_ratio_excluding_references"})
    sim = similarity(0.20, excluding_refs=0.10)
    claims = PaperClaims(journal="原子与分子物理学报", year=2019, claimed_level="core")
    assert not assess(document(), sim, claims, gansu, catalogue)["verdict"]["accepted"]
    out = assess(document(), sim, claims, strict, catalogue)
    assert out["verdict"]["accepted"] and out["verdict"]["inputs"]["copy_ratio"]["value"]["value"] == 0.10


def test_title_grade_thresholds(catalogue: Catalogue, gansu: Policy) -> None:
    data = gansu.model_dump()
    data["thresholds_by_title_grade"] = {"正高": {"core": 0.10, "provincial": None}}
    policy = Policy.model_validate(data)
    claims = {"journal": "原子与分子物理学报", "year": 2019, "claimed_level": "core"}
    assert run(catalogue, policy, 0.12, **claims)["verdict"]["accepted"]
    out = run(catalogue, policy, 0.12, title_grade="正高", **claims)
    assert codes(out)["copy_ratio_over_threshold"] == "reject"


def test_qinghai_has_no_thresholds_and_notifies_once(catalogue: Catalogue, settings: Settings) -> None:
    qinghai = load_policy("qinghai-2022", settings)
    out = run(
        catalogue,
        qinghai,
        0.40,
        journal="原子与分子物理学报",
        year=2022,
        applicant="王五",
        doc=document(authors=["李四"]),
    )
    verdict = out["verdict"]
    assert verdict["policy_id"] == "qinghai-2022" and verdict["one_time_notification"] is True
    found = codes(out)
    assert found["no_threshold"] == "info" and "copy_ratio_over_threshold" not in found
    assert found["applicant_not_author"] == "reject"
    assert "一次性补正" in verdict["summary"]
    assert "cutoff_date_unverified" not in found  # cutoff is 2022-12-31: the whole year counts
    late = run(catalogue, qinghai, 0.1, journal="原子与分子物理学报", year=2023)
    assert codes(late)["published_after_cutoff"] == "reject"
    assert "青人社厅函〔2022〕600号" in next(
        f["citation"] for f in late["verdict"]["findings"] if f["code"] == "published_after_cutoff"
    )


def test_provincial_authority_list_counts_as_core_before_2018_07(
    tmp_path: Path, settings: Settings, gansu: Policy
) -> None:
    db = tmp_path / "catalogue.sqlite"
    shutil.copy(settings.catalogue_path, db)
    before = Catalogue.open(db)
    out = run(before, gansu, 0.05, journal="海洋石油", year=2016)
    assert out["verdict"]["recognised_level"] == "provincial" and "authority_list_missing" in codes(out)
    csv = tmp_path / "gansu.csv"
    csv.write_text(
        "# list_id: provincial_authority:gansu\n# title: 甘肃省权威期刊目录\n# kind: provincial_authority\n"
        "# version: test-1\n# source: test\nname,issn\n海洋石油,1008-2336\n",
        encoding="utf-8",
    )
    import_list(db, csv)
    cat = Catalogue.open(db)
    assert run(cat, gansu, 0.05, journal="海洋石油", year=2016)["verdict"]["recognised_level"] == "core"
    undecided = run(cat, gansu, 0.05, journal="海洋石油", year=2018)
    assert codes(undecided)["authority_date_unverified"] == "warning"
    early = run(cat, gansu, 0.05, journal="海洋石油", year=2018, published_on="2018-03-01")
    assert early["verdict"]["recognised_level"] == "core"
    late = run(cat, gansu, 0.05, journal="海洋石油", year=2018, published_on="2018-08-01")
    assert late["verdict"]["recognised_level"] == "provincial"


def test_not_in_cnki_needs_the_units_stamped_report(catalogue: Catalogue, gansu: Policy) -> None:
    out = run(catalogue, gansu, 0.05, journal="海洋石油", year=2019, in_cnki=False)
    assert codes(out)["cnki_report_required"] == "info"
    assert "加盖单位公章" in next(
        f["message"] for f in out["verdict"]["findings"] if f["code"] == "cnki_report_required"
    )


def test_electronic_journal_under_a_policy_that_accepts_them(
    catalogue: Catalogue, settings: Settings
) -> None:
    qinghai = load_policy("qinghai-2022", settings)
    assert not qinghai.exclude_electronic
    out = run(catalogue, qinghai, 0.05, journal="中华临床医师杂志(电子版)", year=2019)
    assert "electronic_journal" not in codes(out)
    assert out["verdict"]["recognised_level"] is not None


def test_bad_claims(catalogue: Catalogue, gansu: Policy) -> None:
    from integrity.errors import PolicyError

    with pytest.raises(PolicyError, match="申报级别"):
        run(catalogue, gansu, 0.05, journal="海洋石油", year=2019, claimed_level="national")
    out = run(catalogue, gansu, 0.05, journal="海洋石油", year=2019, published_on="2019-13-45")
    assert codes(out)["published_on_invalid"] == "warning"


@settings_(max_examples=60, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_core_paper_threshold_property(ratio: float) -> None:
    catalogue = Catalogue.open(Settings().catalogue_path)
    gansu = load_policy(None, Settings())
    out = run(catalogue, gansu, ratio, journal="原子与分子物理学报", year=2019, claimed_level="core")
    verdict = out["verdict"]
    assert verdict["accepted"] is (ratio <= 0.15)
    expected = "core" if ratio <= 0.15 else "provincial" if ratio <= 0.25 else None
    assert verdict["recognised_level"] == expected
