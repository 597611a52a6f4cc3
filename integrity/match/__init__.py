"""Similarity of a paper against the corpus: LSH candidates → exact alignment → CNKI-style figures.

``compare`` is what ``integrity check`` and the service call. All offsets it returns point into the
text it was given (the decoded input), and into each source record's verbatim text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from integrity.errors import InputError
from integrity.match.align import GAP_S, K_WORDS, Anchor, Cluster, K, align, mostly_words
from integrity.match.metrics import build_report, detect_references
from integrity.match.reword import Fragment, reword_align_many
from integrity.models import Passage, SimilarityReport
from integrity.text.english import sentences
from integrity.text.normalise import MatchKey, match_key, passage_language

if TYPE_CHECKING:
    from integrity.corpus import Corpus, StoredDocument

MAX_CANDIDATES = 12
MAX_SENTENCE_CANDIDATES = 20  # from the winnowed fingerprint index (sentences copied from many papers)
# English papers (issue 11): sources sharing sorted content-stem pairs (reworded, translated, summarised)
MAX_REWORD_CANDIDATES = 40
# share of a reworded passage's paper side covered by anchor passages that makes it redundant
EXACT_COVER = 0.8
MIN_REWORD_PAIRS = 4  # fewer shared content-stem pairs cannot make MIN_SEEDS sentence seeds
MIN_KEY_CHARS = 20
TIE = 1.03  # sources within 3 % of the best match for a stretch are reported too

SNAP_CHARS = 8
_SENTENCE_END = ("。", ".", "!", "?", "！", "？", "；", ";", "\n")
_TRAILING_PUNCT = re.compile(r"[^\w\s]{1,2}")


def compare(
    text: str,
    corpus: Corpus,
    *,
    references_span: tuple[int, int] | None = None,
    exclude_doc_ids: Sequence[str] = (),
    self_authors: Sequence[str] = (),
    include_text: bool = True,
) -> SimilarityReport:
    """Compare ``text`` with ``corpus`` and return the similarity report (see integrity/models.py)."""
    from integrity.corpus.fingerprint import kgram_hashes

    if not text or not text.strip():
        raise InputError("没有可检测的文字：文本为空", code="empty_text")
    if not any(ch.isalpha() for ch in text):
        raise InputError(
            "未检测到文字：文件中没有任何汉字或字母（中英文论文均可检测），请检查文件内容或编码",
            code="no_letters",
        )
    key = match_key(text)
    if len(key.text) < MIN_KEY_CHARS:
        raise InputError(
            f"可检测文字过少：{len(key.text)} 字（至少需要 {MIN_KEY_CHARS} 字）", code="text_too_short"
        )
    if references_span is None:
        references_span = detect_references(text)
    words = mostly_words(key.text)
    qh = kgram_hashes(key.text, K_WORDS if words else K)
    q_sorted = np.sort(qh)
    candidates = [c for c, _ in corpus.candidates(key.text, MAX_CANDIDATES)]
    more = corpus.sentence_candidates(key.text, MAX_SENTENCE_CANDIDATES)
    reworded = (
        [c for c, n in corpus.reword_candidates(text, MAX_REWORD_CANDIDATES) if n >= MIN_REWORD_PAIRS]
        if words
        else []
    )
    more += [(c, 0) for c in reworded]
    seen = set(candidates)
    for c, _ in more:
        if c not in seen:
            seen.add(c)
            candidates.append(c)
    reword_keys = set(reworded)
    docs = [(d, False) for d in corpus.load([c for c in candidates if c not in reword_keys], full=False)]
    docs += [(d, True) for d in corpus.load([c for c in candidates if c in reword_keys], full=False)]
    completed: dict[int, StoredDocument] = {}

    def full(doc: StoredDocument) -> StoredDocument:
        # keyed by the object, not the rowid: with base corpora two sources can share a rowid
        if id(doc) not in completed:
            completed[id(doc)] = corpus.complete(doc)
        return completed[id(doc)]

    q_sentences = sentences(text) if reworded else ()
    rdocs = [full(d) for d, r in docs if r]
    rfrags = dict(
        zip(
            (id(d) for d in rdocs),
            reword_align_many(q_sentences, [sentences(d.record.text) for d in rdocs]),
            strict=True,
        )
    )
    found: list[tuple[StoredDocument, list[Cluster]]] = []
    for doc, reword in docs:
        clusters = align(key.text, doc.key.text, qh, q_sorted, words=words)
        if reword:
            src = full(doc)
            clusters = _with_reworded(clusters, rfrags[id(src)], key, src.key)
        if clusters:
            found.append((doc, clusters))
    kept, dup = _resolve_overlaps(found)

    per_source = []
    for doc, cl in kept:
        passages = []
        for c in cl:
            p = _to_passage(c, key, full(doc), text, include_text)
            p.also_in = [_also_in(c2, full(d2)) for d2, c2 in dup.get(id(c), [])]
            passages.append(p)
        if references_span is not None:  # the paper's own reference list is never counted as copying
            passages = _outside(passages, references_span)
        if passages:
            per_source.append((full(doc), passages))
    return build_report(
        text,
        per_source,
        references_span=references_span,
        exclude_doc_ids=exclude_doc_ids,
        self_authors=self_authors,
    )


def _with_reworded(
    clusters: list[Cluster], frags: list[Fragment], key: MatchKey, skey: MatchKey
) -> list[Cluster]:
    """Reworded passages (character offsets, ``reword.py``) joined with the anchor passages of the same
    source: an anchor passage overlapping a reworded one in the paper and in the source becomes part of
    it; a reworded passage that anchor passages already cover (``EXACT_COVER``) adds nothing but looser
    boundaries and is left out. A reworded passage weighs its similarity times its length
    (``Cluster.matched`` ranks sources)."""
    out = list(clusters)
    for f in frags:
        q0, q1 = (int(x) for x in np.searchsorted(key.offsets, [f.q0, f.q1]))
        s0, s1 = (int(x) for x in np.searchsorted(skey.offsets, [f.s0, f.s1]))
        if q1 <= q0 or s1 <= s0:
            continue
        exact = sum(max(0, min(c.q1, q1) - max(c.q0, q0)) for c in out)
        if exact >= EXACT_COVER * (q1 - q0):
            continue  # the anchors already explain it, with exact boundaries
        weight = max(1, round(f.similarity * min(q1 - q0, s1 - s0)))
        merged = Cluster(q0, q1, s0, s1, [Anchor(q0, s0, weight)])
        rest = []
        for c in out:
            if min(c.q1, q1) > max(c.q0, q0) and min(c.s1, s1 + GAP_S) > max(c.s0, s0 - GAP_S):
                merged.anchors += c.anchors
                merged.q0, merged.q1 = min(merged.q0, c.q0), max(merged.q1, c.q1)
                merged.s0, merged.s1 = min(merged.s0, c.s0), max(merged.s1, c.s1)
            else:
                rest.append(c)
        out = [*rest, merged]
    return sorted(out, key=lambda c: c.q0)


def _resolve_overlaps(
    found: list[tuple[StoredDocument, list[Cluster]]],
) -> tuple[list[tuple[StoredDocument, list[Cluster]]], dict[int, list[tuple[StoredDocument, Cluster]]]]:
    """A stretch of the paper is attributed to the source that explains it best: a passage lying mostly
    (>50 %) inside clearly stronger passages is dropped (also a second, weaker alignment of the same
    stretch to another place of the same source). When several sources hold the same text (equally
    strong, within ``TIE``), the passage is reported once, under the source that explains most of the
    paper overall, and the others are listed in its ``also_in`` (returned here keyed by ``id(cluster)``);
    the character counts once either way, as in CNKI."""
    totals = [sum(c.matched() for c in cl) for _, cl in found]
    items = [(c.matched(), i, c) for i, (_, cl) in enumerate(found) for c in cl]
    items.sort(key=lambda t: (-t[0], -totals[t[1]], found[t[1]][0].record.id))
    taken: list[tuple[int, int, int, int, Cluster]] = []  # (q0, q1, source index, matched, cluster)
    keep: dict[int, list[Cluster]] = {}
    dup: dict[int, list[tuple[StoredDocument, Cluster]]] = {}
    for m, i, c in items:
        span = c.q1 - c.q0
        overlap = sum(
            max(0, min(c.q1, e) - max(c.q0, s)) for s, e, j, tm, _ in taken if j == i or tm > TIE * m
        )
        if overlap > 0.5 * span:
            continue
        twin = next(
            (
                tc
                for s, e, j, _tm, tc in taken
                if j != i and max(0, min(c.q1, e) - max(c.q0, s)) > 0.5 * max(span, e - s)
            ),
            None,
        )
        if twin is not None:
            dup.setdefault(id(twin), []).append((found[i][0], c))
            continue
        taken.append((c.q0, c.q1, i, m, c))
        keep.setdefault(i, []).append(c)
    _prefer_unused_source_regions(found, keep, dup)
    kept = [(found[i][0], sorted(cl, key=lambda c: c.q0)) for i, cl in sorted(keep.items()) if cl]
    return kept, dup


def _prefer_unused_source_regions(
    found: list[tuple[StoredDocument, list[Cluster]]],
    keep: dict[int, list[Cluster]],
    dup: dict[int, list[tuple[StoredDocument, Cluster]]],
) -> None:
    """A source region is copied once: when the source chosen for a duplicated passage has that region
    already matched by another passage of the paper, a twin source where the region is free is the
    better attribution (swapped in place)."""
    index = {id(d): i for i, (d, _) in enumerate(found)}

    def used(i: int, c: Cluster) -> bool:
        return any(o is not c and min(c.s1, o.s1) - max(c.s0, o.s0) > 0 for o in keep.get(i, []))

    for i in list(keep):
        for c in list(keep[i]):
            twins = dup.get(id(c))
            if not twins or not used(i, c):
                continue
            for n, (doc, alt) in enumerate(twins):
                j = index[id(doc)]
                if not used(j, alt):
                    keep[i].remove(c)
                    keep.setdefault(j, []).append(alt)
                    dup[id(alt)] = [(found[i][0], c), *twins[:n], *twins[n + 1 :]]
                    del dup[id(c)]
                    break


def _outside(passages: list[Passage], span: tuple[int, int]) -> list[Passage]:
    """Passages clipped to lie outside ``span`` (a passage inside it is dropped)."""
    rs, re_ = span
    out = []
    for p in passages:
        if p.start >= rs and p.end <= re_:
            continue
        if p.start < rs < p.end:
            p.end = rs
            p.text = p.text[: rs - p.start] if p.text else p.text
        elif p.start < re_ < p.end and p.start >= rs:
            p.text = p.text[re_ - p.start :] if p.text else p.text
            p.start = re_
        out.append(p)
    return out


def _also_in(c: Cluster, doc: StoredDocument) -> dict[str, Any]:
    s_start, s_end = doc.key.span_to_original(c.s0, c.s1)
    return {"doc_id": doc.record.id, "title": doc.record.title, "source_start": s_start, "source_end": s_end}


def _extend_punct(text: str, end: int) -> int:
    """Include the punctuation that closes a copied sentence (it is part of the copied segment)."""
    m = _TRAILING_PUNCT.match(text, end)
    return m.end() if m else end


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a passage to the sentence it starts and ends in when the boundary is only a few characters
    away: copying is done sentence by sentence, and an edit next to the boundary should not shorten
    the reported passage. Also takes in the punctuation that closes the last sentence."""
    if SNAP_CHARS:
        head = text[max(0, start - SNAP_CHARS) : start]
        cut = max(head.rfind(c) for c in _SENTENCE_END)
        if cut >= 0:
            start = start - len(head) + cut + 1
            while start < end and text[start].isspace():
                start += 1
        tail = text[end : end + SNAP_CHARS]
        hits = [i for i in (tail.find(c) for c in _SENTENCE_END) if i >= 0]
        if hits:
            end = end + min(hits) + (0 if tail[min(hits)] == "\n" else 1)
    return start, _extend_punct(text, end)


def _to_passage(c: Cluster, key: MatchKey, doc: StoredDocument, text: str, include_text: bool) -> Passage:
    start, end = key.span_to_original(c.q0, c.q1)
    s_start, s_end = doc.key.span_to_original(c.s0, c.s1)
    start, end = _snap(text, start, end)
    s_start, s_end = _snap(doc.record.text, s_start, s_end)
    return Passage(
        start=start,
        end=end,
        source_start=s_start,
        source_end=s_end,
        text=text[start:end] if include_text else "",
        source_text=doc.record.text[s_start:s_end] if include_text else "",
        language=passage_language(text[start:end]),
    )
