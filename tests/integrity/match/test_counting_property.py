"""Issue 11: copy_ratio_excluding_references keeps the total as denominator, so it never exceeds the total
(it was seen at 95.2 % against a total of 91.0 %), whatever the passages, quotes and reference list."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.match.metrics import build_report
from integrity.models import Passage

_ALPHABET = st.sampled_from([*"研究方法结果表明本文“”[]1（）张三2019，。 \n", "参考文献"])


def _doc(i: int) -> Any:
    rec = SimpleNamespace(id=f"d{i}", title="t", authors=[], year=None)
    return SimpleNamespace(record=rec)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_ALPHABET, min_size=1, max_size=120).map("".join),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200), st.integers(0, 80)), max_size=8),
    st.one_of(st.none(), st.tuples(st.integers(0, 200), st.integers(0, 60))),
)
def test_excluding_references_never_exceeds_total(
    text: str, spans: list[tuple[int, int, int]], refs: tuple[int, int] | None
) -> None:
    n = len(text)
    per: dict[int, list[Passage]] = {}
    for src, a, length in spans:
        s, e = min(a, n), min(a + length, n)
        if e > s:
            per.setdefault(src, []).append(Passage(s, e, 0, e - s))
    ref_span = (min(refs[0], n), n) if refs else None
    rep = build_report(
        text,
        [(_doc(i), ps) for i, ps in per.items()],
        references_span=ref_span,
        exclude_doc_ids=[],
        self_authors=[],
    )
    assert 0.0 <= rep.copy_ratio_excluding_references <= rep.total_copy_ratio <= 1.0
    assert 0 <= rep.quoted_chars <= rep.copied_chars <= rep.total_chars
    assert rep.front_overlap_chars + rep.rear_overlap_chars <= rep.copied_chars
    assert 0 <= rep.paragraphs_suspect <= rep.paragraphs_total
