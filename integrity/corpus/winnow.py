"""Sentence-level candidate retrieval: a winnowed k-gram fingerprint index (Schleimer et al. 2003).

Why, next to the MinHash/LSH bands: a band matches when a whole ~100-token window of the paper is similar
to a stored chunk, so one copied sentence inside an own paragraph (拼凑 from many papers) rarely makes a
candidate. Winnowing keeps, of every ``window`` consecutive k-gram hashes of a match key, the smallest;
two texts sharing any run of ``window + k - 1`` tokens are then guaranteed to share a fingerprint
(``K + WINDOW - 1 = 13`` tokens: 13 Chinese characters, the granularity CNKI-style checkers mark, or 13
English words). The index is one table ``fp(h, doc)`` in the corpus SQLite file (31-bit hashes, ~2 rows
per 9 tokens); a query is an indexed lookup of the paper's fingerprints, and documents are ranked by
how many distinct fingerprints they share, so retrieval never scans the corpus.

Surface (kept small so it can sit behind any index seam): ``WinnowIndex(conn)`` with ``add``,
``remove``, ``flush``, ``rollback``, ``query`` and ``entries``; ``fingerprints(key)`` is the pure function.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

import numpy as np

from integrity.corpus.fingerprint import kgram_hashes

K = 6  # tokens per hashed k-gram
WINDOW = 8  # k-grams per winnowing window: guarantee K + WINDOW - 1 = 13 tokens
MAX_DF = 64  # a fingerprint shared by more documents is a stock phrase, not evidence of copying
_MASK31 = np.uint64(0x7FFFFFFF)  # stored hashes fit SQLite's 4-byte integer encoding
_SQL_BATCH = 900


def fingerprints(key: str, k: int = K, window: int = WINDOW) -> np.ndarray:
    """Distinct winnowed fingerprints (31-bit, int64) of a match key."""
    h = kgram_hashes(key, k)
    if len(h) == 0:
        return np.zeros(0, dtype=np.int64)
    h = (h & _MASK31).astype(np.int64)
    if len(h) <= window:
        return np.unique(h[[int(np.argmin(h))]])
    win = np.lib.stride_tricks.sliding_window_view(h, window)
    pos = np.unique(win.argmin(axis=1) + np.arange(len(win)))
    return np.unique(h[pos])


class WinnowIndex:
    """``fp(h, doc)`` rows in the corpus database; writes share the document transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._pending: dict[int, np.ndarray] = {}
        conn.execute(
            "CREATE TABLE IF NOT EXISTS fp (h INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (h, doc))"
            " WITHOUT ROWID"
        )

    def add(self, rowid: int, key: str) -> None:
        """Buffered until ``flush`` so rows are inserted in key order (one B-tree pass per batch)."""
        self._pending[rowid] = fingerprints(key)

    def remove(self, rowid: int, key: str) -> None:
        if self._pending.pop(rowid, None) is not None:
            return
        self.conn.executemany(
            "DELETE FROM fp WHERE h = ? AND doc = ?", [(int(h), rowid) for h in fingerprints(key)]
        )

    def flush(self) -> None:
        from integrity.corpus.rows import write_sorted_rows

        write_sorted_rows(self.conn, "fp", self._pending)
        self._pending = {}

    def rollback(self) -> None:
        self._pending = {}

    def query(self, key: str, max_df: int = MAX_DF) -> Counter[Any]:
        """Rowids of documents by the number of distinct fingerprints they share with ``key``
        (fingerprints found in more than ``max_df`` documents are ignored)."""
        uniq = fingerprints(key).tolist()
        by_hash: dict[int, list[int]] = {}
        for i in range(0, len(uniq), _SQL_BATCH):
            part = uniq[i : i + _SQL_BATCH]
            q = f"SELECT h, doc FROM fp WHERE h IN ({','.join('?' * len(part))})"
            for h, doc in self.conn.execute(q, part):
                by_hash.setdefault(h, []).append(doc)
        hits: Counter[Any] = Counter()
        for docs in by_hash.values():
            if len(docs) <= max_df:
                hits.update(docs)
        return hits

    def entries(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM fp").fetchone()[0])

    def size_bytes(self) -> int:
        """Bytes of the ``fp`` table on disk (``dbstat``), else an estimate of ~20 bytes a row."""
        try:
            row = self.conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'fp'").fetchone()
            return int(row[0] or 0)
        except sqlite3.OperationalError:
            return int(self.entries() * 20)
