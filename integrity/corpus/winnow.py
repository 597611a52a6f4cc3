"""Sentence-level candidate retrieval: winnowed k-gram fingerprints (Schleimer et al. 2003).

Why, next to the MinHash/LSH bands: a band matches when a whole ~100-token window of the paper is similar
to a stored chunk, so one copied sentence inside an own paragraph (拼凑 from many papers) rarely makes a
candidate. Winnowing keeps, of every ``window`` consecutive k-gram hashes of a match key, the smallest;
two texts sharing any run of ``window + k - 1`` tokens are then guaranteed to share a fingerprint
(``K + WINDOW - 1 = 13`` tokens: 13 Chinese characters, the granularity CNKI-style checkers mark, or 13
English words). The fingerprints are stored in the corpus's ``"fp"`` index (``index.open_index(...,
kind="fp")``), on the same engine as the LSH bands (SQLite table ``idx_fp``, Redis keys
``<prefix>:<ns>:fp:…``, PostgreSQL table ``fp_<ns>``); a query looks up the paper's fingerprints there and
ranks documents by how many distinct fingerprints they share (``BandIndex.query(..., max_df=MAX_DF)``),
so retrieval never scans the corpus. This module is pure: it only computes the hashes.
"""

from __future__ import annotations

import numpy as np

from integrity.corpus.fingerprint import kgram_hashes

K = 6  # tokens per hashed k-gram
WINDOW = 8  # k-grams per winnowing window: guarantee K + WINDOW - 1 = 13 tokens
MAX_DF = 64  # a fingerprint shared by more documents is a stock phrase, not evidence of copying
INDEX_KIND = "fp"  # the corpus index (``open_index`` kind) holding the fingerprints
_MASK31 = np.uint64(0x7FFFFFFF)
_TOP = np.uint64(1 << 63)


def fingerprints(key: str, k: int = K, window: int = WINDOW) -> np.ndarray:
    """Distinct winnowed fingerprints (31-bit, int64, ascending) of a match key."""
    h = kgram_hashes(key, k)
    if len(h) == 0:
        return np.zeros(0, dtype=np.int64)
    h = (h & _MASK31).astype(np.int64)
    if len(h) <= window:
        return np.unique(h[[int(np.argmin(h))]])
    win = np.lib.stride_tricks.sliding_window_view(h, window)
    pos = np.unique(win.argmin(axis=1) + np.arange(len(win)))
    return np.unique(h[pos])


def index_hashes(fps: np.ndarray) -> np.ndarray:
    """The 64-bit hashes under which 31-bit fingerprints are stored in a ``BandIndex``.

    Why not the fingerprint itself: the PostgreSQL backend buckets by the top bits of a hash and keeps
    its low 32 bits as a tag, so a 31-bit value would put every fingerprint in bucket 0. ``f`` becomes
    ``f << 33 | f`` with the top bit flipped: the top bits spread over all buckets, the tag is ``f``
    itself (no two fingerprints collide in a bucket), the map is one-to-one (nothing is lost), and it
    preserves order as signed int64, so SQLite visits the rows in the same order as before (ties in
    the ranking are broken the same way)."""
    u = np.asarray(fps, dtype=np.int64).astype(np.uint64)
    return (((u << np.uint64(33)) | u) ^ _TOP).view(np.int64)


def key_hashes(key: str) -> np.ndarray:
    """``index_hashes(fingerprints(key))``: what a document adds to, and a query looks up in, the index."""
    return index_hashes(fingerprints(key))
