"""Matching on real Chinese abstracts: partial copies in long papers, obfuscations, CNKI metrics."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.errors import InputError
from integrity.match import compare
from integrity.settings import Settings
from tests.integrity.corpus.conftest import load_abstracts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, records: list[CorpusRecord]) -> Iterator[Corpus]:
    d = tmp_path_factory.mktemp("corpus")
    s = Settings(data_dir=d)
    with Corpus.open(d / "c", s, create=True) as c:
        c.add(records)
    with Corpus.open(d / "c", s) as c:
        yield c


@pytest.fixture(scope="module")
def own_text(shared_dir: Path) -> str:
    """About 5,000 characters of abstracts that are not in the corpus."""
    return "\n".join(a["text"] for a in load_abstracts(shared_dir, 26, offset=2000))


def _segment(rec: CorpusRecord, start: int, length: int) -> str:
    """A sentence-aligned segment of ``rec`` of about ``length`` characters."""
    ends = [m.end() for m in re.finditer(r"[。.;；]", rec.text)]
    s = next(e for e in ends if e >= start)
    e = next(e for e in ends if e >= s + length)
    return rec.text[s:e]


def _insert(own: str, seg: str, at: float) -> tuple[str, int]:
    cut = own.index("\n", int(len(own) * at)) + 1
    return own[:cut] + seg + own[cut:], cut


def test_ten_percent_copy_inside_long_paper(
    corpus: Corpus, records: list[CorpusRecord], own_text: str
) -> None:
    seg = _segment(records[7], 400, 520)
    paper, at = _insert(own_text, seg, 0.5)
    rep = compare(paper, corpus)
    assert [s.doc_id for s in rep.sources] == ["doc-007"]
    truth = len(re.sub(r"\s", "", seg)) / len(re.sub(r"\s", "", paper))
    assert 0.08 < truth < 0.13
    assert abs(rep.total_copy_ratio - truth) < 0.01
    (p,) = rep.sources[0].passages
    assert abs(p.start - at) <= 3 and abs(p.end - (at + len(seg))) <= 3
    assert p.text == paper[p.start : p.end]
    src = records[7].text
    assert abs(p.source_start - src.index(seg)) <= 3 and p.source_text == src[p.source_start : p.source_end]
    assert rep.copied_chars == rep.sources[0].copied_chars
    assert rep.max_single_source_ratio == rep.sources[0].ratio


def test_no_copy_no_sources(corpus: Corpus, own_text: str) -> None:
    rep = compare(own_text, corpus)
    assert rep.total_copy_ratio < 0.02 and rep.total_chars > 4000


def _char_edit(seg: str, rate: float, rng: random.Random) -> str:
    out = []
    for ch in seg:
        r = rng.random()
        if r < rate / 3:
            continue
        if r < 2 * rate / 3:
            out.append(rng.choice("的了是在和有与"))
        elif r < rate:
            out.append(ch + rng.choice("之其而"))
            continue
        else:
            out.append(ch)
    return "".join(out)


def test_reordered_and_char_edited_copies_found(
    corpus: Corpus, records: list[CorpusRecord], own_text: str
) -> None:
    rng = random.Random(7)
    seg1 = _segment(records[3], 200, 400)
    sentences = [s for s in re.split(r"(?<=[。.;；])", seg1) if s]
    rng.shuffle(sentences)
    reordered = "".join(sentences)
    seg2 = _char_edit(_segment(records[12], 500, 350), 0.06, rng)
    paper, _ = _insert(own_text, reordered, 0.2)
    paper, _ = _insert(paper, seg2, 0.7)
    rep = compare(paper, corpus)
    by_id = {s.doc_id: s for s in rep.sources}
    assert set(by_id) == {"doc-003", "doc-012"}
    assert len(by_id["doc-003"].passages) == 1  # one passage per copied segment, not fragments
    assert by_id["doc-003"].copied_chars >= 0.9 * len(reordered)
    assert by_id["doc-012"].copied_chars >= 0.85 * len(seg2)


def test_traditional_and_pdf_line_breaks_still_match(
    corpus: Corpus, records: list[CorpusRecord], own_text: str
) -> None:
    import opencc

    seg = _segment(records[9], 100, 300)
    noisy = opencc.OpenCC("s2t").convert(seg).replace(",", "，")
    noisy = "\n".join(noisy[i : i + 37] for i in range(0, len(noisy), 37))
    paper, at = _insert(own_text, noisy, 0.3)
    rep = compare(paper, corpus)
    assert rep.sources[0].doc_id == "doc-009"
    (p,) = rep.sources[0].passages
    assert abs(p.start - at) <= 3 and abs(p.end - (at + len(noisy))) <= 3


def test_character_matched_by_two_sources_counts_once(
    tmp_path: Path, records: list[CorpusRecord], own_text: str
) -> None:
    seg = _segment(records[4], 300, 400)
    dup = CorpusRecord("dup", "转载", records[20].text[:500] + "\n" + seg, ["他人"], 2020)
    s = Settings(data_dir=tmp_path)
    with Corpus.open(tmp_path / "c", s, create=True) as c:
        c.add([*records[:10], dup])
        paper, _ = _insert(own_text, seg, 0.4)
        rep = compare(paper, c)
    # reported once (issue 11), the other source listed in also_in; the characters count once
    assert len(rep.sources) == 1 and rep.sources[0].doc_id in {"doc-004", "dup"}
    other = ({"doc-004", "dup"} - {rep.sources[0].doc_id}).pop()
    assert [a["doc_id"] for p in rep.sources[0].passages for a in p.also_in] == [other]
    assert rep.copied_chars == rep.sources[0].copied_chars


def test_excluding_references_and_self(corpus: Corpus, records: list[CorpusRecord], own_text: str) -> None:
    body_copy = _segment(records[5], 0, 300)
    ref_copy = _segment(records[15], 0, 250)
    paper, _ = _insert(own_text, body_copy, 0.3)
    paper = paper + "\n参考文献\n[1] 某作者. 某论文[J]. 某期刊, 2019.\n" + ref_copy + "\n"
    rep = compare(paper, corpus)
    # issue 11: the paper's own reference list is never counted as copying (a listed title is a citation)
    assert {s.doc_id for s in rep.sources} == {"doc-005"}
    start = paper.index("参考文献")
    assert all(p.end <= start for s in rep.sources for p in s.passages)
    assert rep.copy_ratio_excluding_references <= rep.total_copy_ratio
    assert rep.references_chars >= 250
    names = [s["name"] for s in rep.sections]
    assert "参考文献" in names
    refs = next(s for s in rep.sections if s["name"] == "参考文献")
    assert refs["copied_chars"] == 0
    # explicit span from ingest wins; self exclusion by author and by id
    rep2 = compare(paper, corpus, references_span=(start, len(paper)), self_authors=["作者 5"])
    assert rep2.copy_ratio_excluding_references == rep.copy_ratio_excluding_references
    s5 = next(s for s in rep2.sources if s.doc_id == "doc-005")
    assert s5.is_self
    assert rep2.copy_ratio_excluding_self < rep2.total_copy_ratio
    rep3 = compare(paper, corpus, exclude_doc_ids=["doc-005", "doc-015"], include_text=False)
    assert rep3.copy_ratio_excluding_self == 0.0 and rep3.total_copy_ratio == rep.total_copy_ratio
    assert all(p.text == "" for s in rep3.sources for p in s.passages)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_text"),
        ("   \n ", "empty_text"),
        ("123 456 789 ... 2024-01-02 3.14159 " * 5, "no_letters"),
        ("短文", "text_too_short"),
    ],
)
def test_bad_text_is_a_clear_input_error(corpus: Corpus, text: str, code: str) -> None:
    with pytest.raises(InputError) as ei:
        compare(text, corpus)
    assert ei.value.code == code


def test_quoted_with_citation_is_yinyong_and_cnki_counts(
    corpus: Corpus, records: list[CorpusRecord], own_text: str
) -> None:
    """引用: a copied quotation with a citation marker is left out of 去除引用文献复制比 only."""
    quote = _segment(records[6], 0, 120)
    body = _segment(records[7], 0, 200)
    half = len(own_text) // 2
    paper = own_text[:half] + "\n正如文献所述：“" + quote + "”[3]\n" + own_text[half:] + "\n" + body + "\n"
    rep = compare(paper, corpus)
    assert rep.quoted_chars >= 100
    assert rep.copy_ratio_excluding_references < rep.total_copy_ratio
    assert rep.copy_ratio_excluding_references == round(
        (rep.copied_chars - rep.quoted_chars) / rep.total_chars, 6
    )
    assert rep.paragraphs_total == sum(1 for line in paper.split("\n") if line.strip())
    assert 2 <= rep.paragraphs_suspect < rep.paragraphs_total
    assert rep.rear_overlap_chars >= 150  # the copy at the end of the paper
    assert rep.front_overlap_chars + rep.rear_overlap_chars <= rep.copied_chars
    d = rep.to_dict()
    for k in (
        "quoted_chars",
        "paragraphs_total",
        "paragraphs_suspect",
        "front_overlap_chars",
        "rear_overlap_chars",
    ):
        assert isinstance(d[k], int)


def test_english_paper_is_checked_on_words(tmp_path: Path) -> None:
    """Issue 11: an English paper is checked, not refused; passages carry their language."""
    src = (
        "Deep neural networks have achieved remarkable success in image classification. However, their "
        "robustness to adversarial perturbations remains poorly understood. In this paper we study how "
        "training with data augmentation affects the decision boundaries of convolutional networks. "
    ) * 2
    filler = "Our survey of regional hydrology covers rainfall, runoff and groundwater recharge in detail. "
    with Corpus.open(tmp_path / "c", Settings(data_dir=tmp_path), create=True) as c:
        c.add([CorpusRecord("en-1", "Robustness", src), CorpusRecord("en-2", "Other", filler * 5)])
        copied = src[:300].upper().replace("CLASSIFICATION.", "classifi-\ncation.")
        paper = (
            "Introduction. We begin with a summary of prior art in vision. " * 3
            + copied
            + " "
            + "Done. " * 20
        )
        rep = compare(paper, c)
    assert [s.doc_id for s in rep.sources] == ["en-1"]
    p = rep.sources[0].passages[0]
    assert p.language == "en"
    assert paper[p.start : p.end].lower().startswith("deep neural")
    assert 0.3 < rep.total_copy_ratio < 0.7
