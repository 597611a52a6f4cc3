"""A hole in the catalogue's edition history is unknown (需核实, naming the gap), never "not core"."""

from __future__ import annotations

from typing import Any

import pytest

from integrity.catalogue import Catalogue
from integrity.policy import assess, load_policy
from integrity.policy.model import Policy
from integrity.settings import Settings
from tests.integrity.policy.test_assess import codes, document, similarity


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.open(Settings().catalogue_path)


@pytest.fixture(scope="module")
def gansu() -> Policy:
    return load_policy(None, Settings())


def run(catalogue: Catalogue, policy: Policy, **claims: Any) -> dict[str, Any]:
    from integrity.models import PaperClaims

    return assess(document(), similarity(0.05), PaperClaims(**claims), policy, catalogue)


def test_edition_hole_is_unknown_not_a_drop(catalogue: Catalogue) -> None:
    journal = catalogue.by_issn("1000-3428")[0].journal  # 计算机工程: PKU 2008 and 2014, not 2011
    pku = next(t for t in catalogue.tiers(journal, 2012) if t.list_id == "pku_core")
    assert pku.member is None and pku.gap == "2011年版", pku
    assert "2008年版" in pku.reason and "2014年版" in pku.reason and "缺" in pku.reason
    assert next(t for t in catalogue.tiers(journal, 2009) if t.list_id == "pku_core").member is True


def test_claimed_core_in_a_gap_year_needs_review_not_rejection(catalogue: Catalogue, gansu: Policy) -> None:
    out = run(catalogue, gansu, issn="1000-3428", journal="计算机工程", year=2012, claimed_level="core")
    verdict, found = out["verdict"], codes(out)
    assert found.get("catalogue_gap") == "warning", verdict["findings"]
    assert "claimed_level_not_recognised" not in found
    gap = next(f for f in verdict["findings"] if f["code"] == "catalogue_gap")
    assert "2011年版" in gap["message"] and "计算机工程" in gap["message"]
    assert verdict["status"] == "review" and verdict["accepted"] is False
    assert verdict["summary"].startswith("需核实")


def test_no_gap_no_finding(catalogue: Catalogue, gansu: Policy) -> None:
    out = run(catalogue, gansu, issn="1000-3428", journal="计算机工程", year=2015, claimed_level="core")
    assert "catalogue_gap" not in codes(out) and out["verdict"]["accepted"] is True


def test_full_pku_2020_and_cssci_2021_lists_are_in_the_catalogue(catalogue: Catalogue) -> None:
    pku = catalogue.lists["pku_core"]
    assert "2020" in pku.source or "pku_core_2020" in pku.source, pku
    journals = catalogue.journals
    in_2020 = {
        jid
        for jid, j in journals.items()
        for m in j.memberships
        if m.list_id == "pku_core" and m.start_year == 2020
    }
    assert len(in_2020) >= 1980
    cssci_2021 = {
        jid
        for jid, j in journals.items()
        for m in j.memberships
        if m.list_id == "cssci" and (m.start_year, m.end_year) == (2021, 2022)
    }
    assert len(cssci_2021) >= 600
