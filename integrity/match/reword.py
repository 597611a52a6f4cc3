"""Reworded English passages: sentence-level alignment after Sanchez-Perez, Sidorov and Gelbukh (PAN 2014).

Why next to the k-gram anchors of ``align``: random word operations, translation there and back and
summaries keep few exact runs of three words, but a copied sentence keeps most of its content words.
The method of the PAN 2014 text-alignment winner:

1. *seeding*: every sentence of both texts is a TF-IDF vector of its content stems (``english.py``;
   IDF over the sentences of the two texts); a sentence pair is a seed when its cosine and its Dice
   coefficient both exceed ``SEED_COS``/``SEED_DICE``;
2. *extension*: seeds are clustered by splitting, alternately in the paper and in the source, wherever
   more than ``GAP`` sentences lie between two consecutive seeds, until the clusters are stable; each
   cluster spans a passage in both texts;
3. *validation*: a passage counts when the TF-IDF cosine of its two sides exceeds ``VALID_COS`` (else
   its seeds are clustered again with a smaller gap), it holds at least ``MIN_SEEDS`` seeds and both
   sides are at least ``MIN_CHARS`` long (shorter copies are the anchors' job);
4. *summaries*: a summary condenses a long source region into a few sentences, so the seeds are also
   clustered with a wide source gap (``GAP_SUMMARY``); such a passage is kept when its source side is
   much longer than its paper side (``SUMMARY_RATIO``), in place of the ordinary passages it covers.

Offsets are character offsets into the two texts given (the decoded input and the source record).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from integrity.text.english import Sentence

Sentences = Sequence[Sentence]  # as ``english.sentences`` returns them (a cached tuple)

SEED_COS = 0.4
SEED_DICE = 0.4
GAP = 4  # sentences between two seeds of one passage (paper and source)
GAP_SUMMARY = 24  # in the source, for summaries
VALID_COS = 0.34
MIN_SEEDS = 2
MIN_CHARS = 150
SEED_BLOCK = 2048  # source sentences compared with the paper at once
SUMMARY_RATIO = 3.0  # a summary passage's source side is at least this many times its paper side
STOCK_SOURCES = 4  # a paper sentence seeding with this many candidate sources is a stock sentence


@dataclass
class Fragment:
    q0: int
    q1: int
    s0: int
    s1: int
    similarity: float  # TF-IDF cosine of the two sides
    seeds: int


class _Vectors:
    """TF-IDF weights of the sentences of both texts (IDF over those sentences), as (row, stem, weight)
    entries sorted by row, plus dense rows over the stems the two texts share (all a dot product
    needs). Plain numpy: the check path does not import scipy (tests/integrity/text/test_normalise.py)."""

    def __init__(self, qs: Sentences, ss: Sentences) -> None:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for r, sent in enumerate((*qs, *ss)):
            for w in sent.stems:
                cols.append(vocab.setdefault(w, len(vocab)))
                rows.append(r)
        n, nv, nq = len(qs) + len(ss), max(1, len(vocab)), len(qs)
        cells, tf = np.unique(np.asarray(rows, dtype=np.int64) * nv + np.asarray(cols), return_counts=True)
        self.row, self.col = cells // nv, cells % nv
        df = np.bincount(self.col, minlength=nv)
        idf = np.log(n / np.maximum(df, 1)) + 1.0
        self.w = tf * idf[self.col]
        self.nv = nv
        self.ptr = np.searchsorted(self.row, np.arange(n + 1))
        norms = np.sqrt(np.bincount(self.row, weights=self.w * self.w, minlength=n))
        self.qn, self.sn = norms[:nq], norms[nq:]
        lengths = np.diff(self.ptr).astype(np.float64)  # distinct stems per sentence
        self.ql, self.sl = lengths[:nq], lengths[nq:]
        in_q = np.zeros(nv, dtype=bool)
        in_q[self.col[self.row < nq]] = True
        in_s = np.zeros(nv, dtype=bool)
        in_s[self.col[self.row >= nq]] = True
        shared = np.full(nv, -1, dtype=np.int64)
        ids = np.nonzero(in_q & in_s)[0]
        shared[ids] = np.arange(len(ids))
        keep = shared[self.col] >= 0
        self.q = np.zeros((nq, len(ids)), dtype=np.float32)
        self.s = np.zeros((len(ss), len(ids)), dtype=np.float32)
        qk = keep & (self.row < nq)
        sk = keep & (self.row >= nq)
        self.q[self.row[qk], shared[self.col[qk]]] = self.w[qk]
        self.s[self.row[sk] - nq, shared[self.col[sk]]] = self.w[sk]
        self.nq = nq

    def _sum(self, r0: int, r1: int) -> np.ndarray:
        a, b = self.ptr[r0], self.ptr[r1 + 1]
        return np.bincount(self.col[a:b], weights=self.w[a:b], minlength=self.nv)

    def cosine(self, i0: int, i1: int, j0: int, j1: int) -> float:
        """Cosine of the summed TF-IDF vectors of paper sentences i0..i1 and source sentences j0..j1."""
        a = self._sum(i0, i1)
        b = self._sum(self.nq + j0, self.nq + j1)
        den = float(np.linalg.norm(a) * np.linalg.norm(b))
        return float(a @ b) / den if den else 0.0


def _seeds(v: _Vectors) -> list[tuple[int, int]]:
    if v.q.shape[1] == 0:
        return []
    out: list[tuple[int, int]] = []
    qb = (v.q > 0).astype(np.float32)
    for j0 in range(0, len(v.s), SEED_BLOCK):  # blocks of source sentences bound the memory
        s = v.s[j0 : j0 + SEED_BLOCK]
        cos = (v.q @ s.T) / np.maximum(np.outer(v.qn, v.sn[j0 : j0 + SEED_BLOCK]), 1e-12)
        inter = qb @ (s > 0).astype(np.float32).T
        dice = 2 * inter / np.maximum(v.ql[:, None] + v.sl[None, j0 : j0 + SEED_BLOCK], 1)
        qi, si = np.nonzero((cos > SEED_COS) & (dice > SEED_DICE))
        out += zip(qi.tolist(), (si + j0).tolist(), strict=True)
    return out


def _split(group: list[tuple[int, int]], axis: int, gap: int) -> list[list[tuple[int, int]]]:
    group = sorted(group, key=lambda p: (p[axis], p[1 - axis]))
    out = [[group[0]]]
    for p in group[1:]:
        if p[axis] - out[-1][-1][axis] > gap + 1:
            out.append([p])
        else:
            out[-1].append(p)
    return out


def _cluster(seeds: list[tuple[int, int]], gap_q: int, gap_s: int) -> list[list[tuple[int, int]]]:
    """Split alternately in the paper and in the source until no group splits any more."""
    groups = [seeds] if seeds else []
    while True:
        nxt = [s for g in groups for q in _split(g, 0, gap_q) for s in _split(q, 1, gap_s)]
        if len(nxt) == len(groups):
            return nxt
        groups = nxt


def _fragment(group: list[tuple[int, int]], qs: Sentences, ss: Sentences, v: _Vectors) -> Fragment:
    i0, i1 = min(p[0] for p in group), max(p[0] for p in group)
    j0, j1 = min(p[1] for p in group), max(p[1] for p in group)
    sim = v.cosine(i0, i1, j0, j1)
    return Fragment(qs[i0].start, qs[i1].end, ss[j0].start, ss[j1].end, sim, len(group))


def _extend(
    seeds: list[tuple[int, int]], qs: Sentences, ss: Sentences, v: _Vectors, gap_q: int, gap_s: int
) -> list[Fragment]:
    out: list[Fragment] = []
    for group in _cluster(seeds, gap_q, gap_s):
        f = _fragment(group, qs, ss, v)
        if f.similarity > VALID_COS:
            out.append(f)
        elif (gap_q > 0 or gap_s > 0) and len(group) > 1:  # not similar enough: again, tighter
            out += _extend(group, qs, ss, v, max(0, gap_q - 1), max(0, gap_s - 1))
    return out


def _long_enough(f: Fragment) -> bool:
    return f.seeds >= MIN_SEEDS and f.q1 - f.q0 >= MIN_CHARS and f.s1 - f.s0 >= MIN_CHARS


def _drop_overlaps(frags: list[Fragment]) -> list[Fragment]:
    """Of passages overlapping in the paper, the more similar (then longer) one is kept."""
    kept: list[Fragment] = []
    for f in sorted(frags, key=lambda f: (-f.similarity, -(f.q1 - f.q0))):
        if all(min(f.q1, k.q1) <= max(f.q0, k.q0) for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.q0)


def reword_align(qs: Sentences, ss: Sentences) -> list[Fragment]:
    """Reworded passages shared by a paper's sentences ``qs`` and a source's sentences ``ss``."""
    return reword_align_many(qs, [ss])[0]


def reword_align_many(qs: Sentences, sources: list[Sentences]) -> list[list[Fragment]]:
    """``reword_align`` against each of ``sources``. A paper sentence that seeds with
    ``STOCK_SOURCES`` or more of them is a stock sentence (a licence notice, a site banner, a formula
    of the field), not evidence of copying from any one of them, and seeds nothing (the same reasoning
    as the document-frequency cap of the fingerprint index)."""
    seeded = []
    for ss in sources:
        v = _Vectors(qs, ss) if qs and ss else None
        seeded.append((ss, v, _seeds(v) if v is not None else []))
    counts = Counter(i for _, _, seeds in seeded for i in {q for q, _ in seeds})
    stock = {i for i, n in counts.items() if n >= STOCK_SOURCES}
    out: list[list[Fragment]] = []
    for ss, v, seeds in seeded:
        seeds = [p for p in seeds if p[0] not in stock]
        out.append(_passages(qs, ss, v, seeds) if v is not None and len(seeds) >= MIN_SEEDS else [])
    return out


def _passages(qs: Sentences, ss: Sentences, v: _Vectors, seeds: list[tuple[int, int]]) -> list[Fragment]:
    frags = [f for f in _extend(seeds, qs, ss, v, GAP, GAP) if _long_enough(f)]
    summaries = [
        f
        for f in _extend(seeds, qs, ss, v, GAP, GAP_SUMMARY)
        if _long_enough(f) and f.s1 - f.s0 >= SUMMARY_RATIO * (f.q1 - f.q0)
    ]
    if summaries:
        frags = summaries + [f for f in frags if all(min(f.q1, s.q1) <= max(f.q0, s.q0) for s in summaries)]
    return _drop_overlaps(frags)
