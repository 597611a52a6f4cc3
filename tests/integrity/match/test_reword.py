"""Issue 11: reworded English (shuffled words, synonyms, summaries) is found; same-topic text is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.match import compare
from integrity.match.reword import reword_align, reword_align_many
from integrity.settings import Settings
from integrity.text.english import content_stems, sentence_pair_hashes, sentences, stem

SOURCE = (
    "Sediment transport in braided rivers depends strongly on the discharge regime and on the grain "
    "size distribution of the riverbed. During seasonal floods, coarse gravel bars migrate downstream "
    "while fine sand is carried in suspension over long distances. Field measurements collected at "
    "twelve gauging stations show that bedload flux rises sharply once the shear stress exceeds a "
    "critical threshold. Vegetation growing on exposed bars stabilises the channel banks and reduces "
    "lateral erosion during moderate flows. Dams built upstream trap most of the incoming sediment, "
    "so the reaches below them become starved and incise into their own deposits. Restoration projects "
    "therefore release artificial pulses of gravel to rebuild spawning habitat for salmon. "
)
# the same sentences, words shuffled and swapped for synonyms: few runs of three words survive
REWORDED = (
    "Bedload transport of sediment in braided streams strongly depends upon grain size distribution "
    "of the bed and the regime of discharge. Coarse gravel bars move downstream in seasonal floods, "
    "whereas suspended fine sand travels long distances. Measurements in the field gathered at twelve "
    "stations for gauging reveal that flux of bedload increases sharply when shear stress goes beyond "
    "its threshold critical value. Bars exposed with growing vegetation stabilise banks of the channel "
    "and lower erosion laterally in moderate flows. Upstream dams trap incoming sediment mostly, hence "
    "reaches below become starved, incising their deposits. "
)
SAME_TOPIC = (
    "Rivers shape their valleys over thousands of years through erosion and deposition. Hydrologists "
    "model the discharge of a river from rainfall records and catchment area. Floods can damage "
    "bridges, farmland and towns, which is why many countries maintain levees. Salmon return to the "
    "gravel beds of the streams where they hatched in order to spawn. The grain of a sandstone reveals "
    "the environment in which it was deposited. Engineers inspect dams regularly for cracks and seepage. "
)
OWN = (
    "This report reviews the management of water resources in mountain regions. We interviewed local "
    "officials and farmers about irrigation schedules and the costs of maintaining canals. The results "
    "suggest that cooperation between villages matters more than the technology used. "
)


def test_stems_fold_inflections_and_drop_stopwords() -> None:
    assert stem("studies") == stem("study") == stem("studied")
    assert stem("rivers") == stem("river")
    assert content_stems("The rivers of the world") == [stem("rivers"), stem("world")]


def test_sentences_keep_offsets_into_the_text() -> None:
    text = "  First sentence about rivers.  Second one: floods and dams!\n\nA third about gravel."
    spans = [text[s.start : s.end] for s in sentences(text)]
    assert spans == ["First sentence about rivers", "Second one: floods and dams", "A third about gravel"]


def test_a_text_is_split_into_sentences_once() -> None:
    """A check splits its paper for reworded-candidate retrieval and again for alignment: the second call
    returns the first call's (immutable) result instead of a new pass over the text."""
    text = "Fresh text, unseen by other tests. " + REWORDED
    first = sentences(text)
    assert sentences(text) is first
    assert isinstance(first, tuple) and first


def test_reworded_sentences_align_but_same_topic_does_not() -> None:
    src = sentences(SOURCE)
    [f] = reword_align(sentences(REWORDED), src)
    assert f.q0 == 0 and f.q1 >= len(REWORDED.rstrip()) - 2
    assert f.s0 == 0 and SOURCE[f.s1 :].startswith(". Restoration")  # spans end at the last word
    assert reword_align(sentences(SAME_TOPIC), src) == []


def test_pair_hashes_survive_shuffles() -> None:
    a = sentence_pair_hashes("Gravel bars migrate downstream during floods.")
    b = sentence_pair_hashes("During floods, downstream migrate the gravel bars.")
    assert len(a) > 0 and set(a.tolist()) == set(b.tolist())


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Corpus]:
    with Corpus.open(tmp_path / "c", Settings(data_dir=tmp_path), create=True) as c:
        c.add(
            [
                CorpusRecord("rivers", "Braided rivers", SOURCE),
                CorpusRecord("topic", "Rivers in general", SAME_TOPIC * 2),
            ]
        )
        yield c


def test_reworded_english_passage_is_found_with_offsets(corpus: Corpus) -> None:
    paper = OWN + REWORDED + OWN.replace("This report", "The study")
    rep = compare(paper, corpus)
    assert [s.doc_id for s in rep.sources] == ["rivers"]
    [p] = rep.sources[0].passages
    start = paper.index(REWORDED)
    assert abs(p.start - start) <= 2
    assert abs(p.end - (start + len(REWORDED.rstrip()))) <= 2
    assert p.source_start == 0
    assert SOURCE[p.source_end :].strip().startswith("Restoration")
    assert p.language == "en"


def test_same_topic_english_paper_is_not_copying(corpus: Corpus) -> None:
    paper = OWN + SAME_TOPIC.replace("Rivers shape", "Streams carve") + OWN
    rep = compare(paper.replace("Salmon", "Trout"), corpus)
    assert rep.sources == [] or all(s.doc_id != "rivers" for s in rep.sources)
    assert rep.total_copy_ratio <= 0.05 or all(s.doc_id == "topic" for s in rep.sources)


def test_reword_index_follows_removal(corpus: Corpus) -> None:
    assert [k for k, _ in corpus.reword_candidates(REWORDED, 5)][:1]
    corpus.remove(["rivers"])
    loaded = corpus.load([k for k, _ in corpus.reword_candidates(REWORDED, 5)], full=False)
    assert all(d.record.id != "rivers" for d in loaded)


def test_stock_sentence_shared_by_many_sources_seeds_nothing() -> None:
    """A banner every web page carries is not evidence of copying from any one of them."""
    banner = (
        "This article needs additional citations for verification. Please help improve this article by "
        "adding citations to reliable sources. Unsourced material may be challenged and removed. "
    )
    pages = [sentences(banner + f"Page {i} is about topic number {i} and nothing else.") for i in range(5)]
    assert all(reword_align(sentences(banner), p) for p in pages[:1])  # one page alone: it aligns
    assert reword_align_many(sentences(banner + OWN), pages) == [[]] * 5
