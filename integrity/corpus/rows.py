"""Bulk writes of ``(h, doc)`` rows to the SQLite index tables (LSH bands and sentence fingerprints)."""

from __future__ import annotations

import sqlite3

import numpy as np


def write_sorted_rows(conn: sqlite3.Connection, table: str, pending: dict[int, np.ndarray]) -> None:
    """Insert ``(h, doc)`` rows for every document's hashes in key order: one B-tree pass per batch
    instead of a random insert per row (shared by the LSH bands and the sentence fingerprints)."""
    if not pending:
        return
    docs = np.concatenate([np.full(len(h), r, dtype=np.int64) for r, h in pending.items()])
    hashes = np.concatenate(list(pending.values()))
    order = np.lexsort((docs, hashes))
    rows = zip(hashes[order].tolist(), docs[order].tolist(), strict=True)
    conn.executemany(f"INSERT OR IGNORE INTO {table} (h, doc) VALUES (?, ?)", rows)
