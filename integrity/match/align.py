"""Exact alignment of a paper against one candidate source, on match keys.

How: hashed character k-grams of both keys; shared k-grams that continue on the same diagonal form
*anchors* (exact common substrings); anchors close in the paper and within the same region of the source
are chained into one *passage*. Tolerance comes from the chaining: a character edit or a replaced 2-char
synonym only breaks an anchor, it does not end the passage; reordered sentences stay within the
source region of the passage. A passage must have enough matched characters and density, so topical
phrases shared by unrelated papers ("本文研究了…的方法") do not count as copying.

Why passages, not fragments: reviewers (and PAN plagdet's granularity) want one passage per copied
segment, spanning it from its first to its last matched character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from integrity.corpus.fingerprint import kgram_hashes
from integrity.text.normalise import WORD_BASE

K = 5  # k-gram length for anchors (characters of the match key)
MAX_OCCURRENCES = 30  # k-grams repeated more often in one source are boilerplate, not evidence
GAP_Q = 60  # max unmatched key characters between chained anchors, in the paper
GAP_S = 80  # slack in the source beyond the passage's own extent (reordered sentences)
MIN_MATCHED = 22  # matched key characters for a passage to count
MIN_DENSITY = 0.3  # matched / spanned key characters
# Sentence level (issue 11): a shorter passage counts when it is dense — a copied sentence of >= 13
# characters (the granularity CNKI-style checkers mark), verbatim or with a word swapped
MIN_MATCHED_SHORT = 13
MIN_DENSITY_SHORT = 0.75
MIN_SHARED_KGRAMS = 6  # fewer shared k-grams cannot make MIN_MATCHED_SHORT characters of strong anchors
MAX_SOURCE_JUMP = 3000  # clusters overlapping in the paper merge if this close in the source
REORDER_STRETCH = 1.3  # a shuffled copy's source region is at most this much longer than in the paper
STRONG = 8  # anchors at least this long may start or bridge a passage
SHADOW = 0.8  # an anchor this much covered by longer anchors adds nothing
WEAK_SLACK = 12  # short anchors may extend a passage by this much at its edges
# Word tokens (English papers, issue 11): a word carries more than a Chinese character, and reworded
# English (word swaps, insertions) leaves shorter exact runs, so anchors are 3 words and 4 words may seed
K_WORDS = 3
STRONG_WORDS = 4


@dataclass
class Anchor:
    q0: int
    s0: int
    length: int  # characters

    @property
    def q1(self) -> int:
        return self.q0 + self.length

    @property
    def s1(self) -> int:
        return self.s0 + self.length


@dataclass
class Cluster:
    q0: int
    q1: int
    s0: int
    s1: int
    anchors: list[Anchor]

    def matched(self) -> int:
        """Key characters of the paper covered by anchors (union)."""
        total = 0
        end = -1
        for a in sorted(self.anchors, key=lambda a: a.q0):
            if a.q1 > end:
                total += a.q1 - max(a.q0, end)
                end = a.q1
        return total

    def matched_source(self) -> int:
        total = 0
        end = -1
        for a in sorted(self.anchors, key=lambda a: a.s0):
            if a.s1 > end:
                total += a.s1 - max(a.s0, end)
                end = a.s1
        return total


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in ``sorted_set`` (binary search; no hashing/unique pass)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    idx = np.searchsorted(sorted_set, values)
    idx[idx == len(sorted_set)] = 0
    return np.asarray(sorted_set[idx] == values)


def find_anchors(
    qh: np.ndarray, sh: np.ndarray, k: int = K, q_sorted: np.ndarray | None = None
) -> list[Anchor]:
    """Maximal runs of shared k-grams on one diagonal, as anchors of ``run + k - 1`` characters."""
    if len(qh) == 0 or len(sh) == 0:
        return []
    q_sorted = np.sort(qh) if q_sorted is None else q_sorted
    s_mask = _member(sh, q_sorted)
    if int(s_mask.sum()) < MIN_SHARED_KGRAMS:
        return []  # cannot reach MIN_MATCHED characters: skip the candidate cheaply
    s_idx = np.nonzero(s_mask)[0]
    s_vals = sh[s_idx]
    positions: dict[int, list[int]] = {}
    for j, h in zip(s_idx.tolist(), s_vals.tolist(), strict=True):
        positions.setdefault(h, []).append(j)
    q_idx = np.nonzero(_member(qh, np.sort(s_vals)))[0]
    runs: dict[int, list[int]] = {}  # diagonal (s - q) -> [q_start, q_last]
    out: list[Anchor] = []
    for i, h in zip(q_idx.tolist(), qh[q_idx].tolist(), strict=True):
        ps = positions.get(h)
        if not ps or len(ps) > MAX_OCCURRENCES:
            continue
        for j in ps:
            d = j - i
            run = runs.get(d)
            if run is not None and run[1] == i - 1:
                run[1] = i
            else:
                if run is not None:
                    out.append(Anchor(run[0], run[0] + d, run[1] - run[0] + k))
                runs[d] = [i, i]
    for d, run in runs.items():
        out.append(Anchor(run[0], run[0] + d, run[1] - run[0] + k))
    return out


def chain(anchors: list[Anchor], strong_len: int = STRONG) -> list[Cluster]:
    """Group anchors into passages: close in the paper and inside one region of the source.

    Passages are seeded by strong anchors only (long exact matches); short anchors — often common
    phrases that also occur elsewhere in the source — may only extend a passage when they fall inside
    its source region, so they cannot stretch it to unrelated places.
    """
    anchors = _drop_shadowed(anchors)
    strong = [a for a in anchors if a.length >= strong_len]
    weak = [a for a in anchors if a.length < strong_len]
    clusters: list[Cluster] = []
    for a in sorted(strong, key=lambda a: (a.q0, a.s0)):
        best: Cluster | None = None
        best_dist = 1 << 30
        for c in reversed(clusters):
            if a.q0 - c.q1 > GAP_Q:
                break
            slack = GAP_S + 2 * (c.q1 - c.q0)
            if a.s0 >= c.s0 - slack and a.s1 <= c.s1 + slack:
                dist = max(0, a.s0 - c.s1, c.s0 - a.s1)
                if dist < best_dist:
                    best, best_dist = c, dist
        if best is None:
            clusters.append(Cluster(a.q0, a.q1, a.s0, a.s1, [a]))
            continue
        _extend(best, a)
        clusters.sort(key=lambda c: c.q1)  # keep ordered by end so the early break above stays valid
    clusters = _merge_reordered(_merge_overlapping(clusters))
    if clusters and weak:
        for a in sorted(weak, key=lambda a: a.q0):
            for c in clusters:
                if (
                    c.q0 - WEAK_SLACK <= a.q0
                    and a.q1 <= c.q1 + WEAK_SLACK
                    and c.s0 - WEAK_SLACK <= a.s0
                    and (a.s1 <= c.s1 + WEAK_SLACK)
                ):
                    _extend(c, a)
                    break
    return clusters


def _drop_shadowed(anchors: list[Anchor]) -> list[Anchor]:
    """Drop anchors mostly covered, in the paper or in the source, by longer ones: a phrase repeated
    nearby would otherwise pull a passage's other end to the wrong place."""
    if not anchors:
        return anchors
    qn = max(a.q1 for a in anchors)
    sn = max(a.s1 for a in anchors)
    qcov = np.zeros(qn, dtype=bool)
    scov = np.zeros(sn, dtype=bool)
    keep: list[Anchor] = []
    for a in sorted(anchors, key=lambda a: -a.length):
        limit = SHADOW * a.length
        if qcov[a.q0 : a.q1].sum() >= limit or scov[a.s0 : a.s1].sum() >= limit:
            continue
        qcov[a.q0 : a.q1] = True
        scov[a.s0 : a.s1] = True
        keep.append(a)
    return keep


def _extend(c: Cluster, a: Anchor) -> None:
    c.anchors.append(a)
    c.q0 = min(c.q0, a.q0)
    c.q1 = max(c.q1, a.q1)
    c.s0 = min(c.s0, a.s0)
    c.s1 = max(c.s1, a.s1)


def _merge_reordered(clusters: list[Cluster]) -> list[Cluster]:
    """Merge runs of clusters that follow each other in the paper and together map onto one source
    region about as long as the run (a copied segment with its sentences shuffled). Clusters of the run
    mapping elsewhere (repeated text in the source) stay apart and are later dropped as overlaps."""
    clusters = sorted(clusters, key=lambda c: c.q0)
    out: list[Cluster] = []
    i = 0
    while i < len(clusters):
        j = i + 1
        while j < len(clusters) and clusters[j].q0 - max(c.q1 for c in clusters[i:j]) <= GAP_Q:
            j += 1
        run = clusters[i:j]
        i = j
        if len(run) == 1:
            out.append(run[0])
            continue
        width = REORDER_STRETCH * (max(c.q1 for c in run) - run[0].q0) + 2 * GAP_S
        best: list[Cluster] = []
        best_m = -1
        for start in sorted({c.s0 for c in run}):
            inside = [c for c in run if c.s0 >= start and c.s1 <= start + width]
            m = sum(c.matched() for c in inside)
            if m > best_m:
                best, best_m = inside, m
        if len(best) < 2:  # nothing to merge (e.g. a cluster wider in the source than the window)
            out.extend(run)
            continue
        merged = Cluster(best[0].q0, best[0].q1, best[0].s0, best[0].s1, [])
        for c in best:
            for a in c.anchors:
                _extend(merged, a)
        out.append(merged)
        out.extend(c for c in run if not any(c is b for b in best))
    return sorted(out, key=lambda c: c.q0)


def _merge_overlapping(clusters: list[Cluster]) -> list[Cluster]:
    """Clusters of one source that overlap or touch in the paper and in the source become one."""
    out: list[Cluster] = []
    for c in sorted(clusters, key=lambda c: c.q0):
        if out:
            p = out[-1]
            s_gap = max(0, c.s0 - p.s1, p.s0 - c.s1)
            overlap_q = c.q0 < p.q1
            if (overlap_q and s_gap <= MAX_SOURCE_JUMP) or (c.q0 <= p.q1 + K and s_gap <= GAP_S):
                p.anchors.extend(c.anchors)
                p.q1 = max(p.q1, c.q1)
                p.s0 = min(p.s0, c.s0)
                p.s1 = max(p.s1, c.s1)
                continue
        out.append(c)
    return out


def align(
    q_key: str,
    s_key: str,
    qh: np.ndarray | None = None,
    q_sorted: np.ndarray | None = None,
    *,
    words: bool = False,
) -> list[Cluster]:
    """Passages (as key-coordinate clusters) that the paper shares with one source; ``words``: the
    paper is mostly Latin words (``k_for``), so the word-token anchor parameters apply."""
    k = K_WORDS if words else K
    qh = kgram_hashes(q_key, k) if qh is None else qh
    sh = kgram_hashes(s_key, k)
    clusters = chain(find_anchors(qh, sh, k, q_sorted), STRONG_WORDS if words else STRONG)
    return [c for c in clusters if _counts(c)]


def mostly_words(key: str) -> bool:
    """More than half of the tokens are Latin words (an English paper)."""
    if not key:
        return False
    cp = np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32)
    return bool((cp >= WORD_BASE).mean() > 0.5)


def _counts(c: Cluster) -> bool:
    """Enough matched characters, densely enough, in the paper and in the source."""
    m, ms = c.matched(), c.matched_source()
    span, s_span = c.q1 - c.q0, c.s1 - c.s0
    if m >= MIN_MATCHED and m >= MIN_DENSITY * span and ms >= MIN_DENSITY * s_span:
        return True
    return m >= MIN_MATCHED_SHORT and m >= MIN_DENSITY_SHORT * span and ms >= MIN_DENSITY_SHORT * s_span
