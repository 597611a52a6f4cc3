"""ISSN checksum, CN format and name normalisation (the rules the build, import and verdict share)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrity.catalogue.identifiers import (
    check_cn,
    check_issn,
    is_electronic_cn,
    issn_check_digit,
    normalise_name,
    strip_trailing_qualifiers,
)


@pytest.mark.parametrize(
    ("raw", "valid", "canon"),
    [
        ("1000-0364", True, "1000-0364"),
        ("ISSN 1000-0364", True, "1000-0364"),
        ("10000364", True, "1000-0364"),
        ("１０００－０３６４", True, "1000-0364"),  # full-width
        ("1005-197x", True, "1005-197X"),
        ("1000-0365", False, "1000-0365"),  # wrong check digit
        ("1000-036", False, None),
        ("abcd-efgh", False, None),
    ],
)
def test_issn(raw: str, valid: bool, canon: str | None) -> None:
    result = check_issn(raw)
    assert result.valid is valid
    assert result.normalised == canon
    if not valid:
        assert "ISSN" in result.reason


def test_issn_wrong_check_digit_names_the_expected_one() -> None:
    assert "应为 4" in check_issn("1000-0365").reason


@pytest.mark.parametrize(
    ("raw", "valid", "canon", "internal"),
    [
        ("CN 11-1234/R", True, "11-1234/R", False),
        ("51-1199/O4", True, "51-1199/O4", False),
        ("cn32-1834/n", True, "32-1834/N", False),
        ("11-1234", False, None, False),  # no classification
        ("99-1234/R", False, "99-1234/R", False),  # no such region
        ("44-Q1116", False, None, True),  # internal permit number
        ("43(Q)第1001", False, None, True),
    ],
)
def test_cn(raw: str, valid: bool, canon: str | None, internal: bool) -> None:
    result = check_cn(raw)
    assert (result.valid, result.normalised, result.internal) == (valid, canon, internal)


def test_electronic_cn_range() -> None:
    assert is_electronic_cn("11-9147/R")
    assert not is_electronic_cn("11-1147/R")


def test_name_normalisation_unifies_spellings_but_not_editions() -> None:
    a = normalise_name("安徽大学学报.自然科学版")
    assert a == normalise_name("安徽大学学报（自然科学版）") == normalise_name("安徽大學學報(自然科學版)")
    assert a != normalise_name("安徽大学学报(哲学社会科学版)")


def test_qualifier_stripping_keeps_editions_and_places() -> None:
    assert strip_trailing_qualifiers("国际商务(对外经济贸易大学学报)") == ["国际商务"]
    assert strip_trailing_qualifiers("地理学报（台湾）") == []
    assert strip_trailing_qualifiers("西藏研究（藏文）", editions=False) == []
    assert strip_trailing_qualifiers("上海翻译（中英文）", editions=False) == ["上海翻译"]


@given(st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_issn_check_digit_round_trip(first7: str) -> None:
    check = issn_check_digit(first7)
    assert check_issn(f"{first7[:4]}-{first7[4:]}{check}").valid
    for wrong in "0123456789X":
        if wrong != check:
            assert not check_issn(f"{first7[:4]}-{first7[4:]}{wrong}").valid
