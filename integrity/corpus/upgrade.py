"""Corpus format upgrades run on open, so a user with a big corpus never has to re-import it.

Format 2 → 3 (issue 12): the sentence fingerprints moved from the table ``fp(h, doc)`` of the corpus
SQLite file to the corpus's ``"fp"`` index on the engine of its LSH bands (``winnow.py``). The upgrade
re-derives every document's fingerprints from its stored match key — the same pure function a fresh
import uses, so the new index equals a fresh build exactly — writes them through the ``BandIndex``
seam in batches, then drops the old table and records format 3 in one SQLite commit.

Why it is safe to interrupt: the whole upgrade holds the corpus write lock (``BEGIN IMMEDIATE``), and the
old table and ``format_version = 2`` disappear only in its final commit. A crash before that leaves a
format-2 corpus; the next open clears the ``"fp"`` index (which may hold part of the entries on
Redis/PostgreSQL; its key space belongs to this corpus alone, like that of the LSH bands) and starts
again. Another process opening the corpus meanwhile waits for the lock (then ``corpus_busy``).
"""

from __future__ import annotations

import sqlite3
import zlib

from integrity.corpus.index import BandIndex
from integrity.corpus.winnow import key_hashes
from integrity.errors import CorpusError

UPGRADE_BATCH = 500  # documents per flushed batch (bounded memory on a big corpus)


def upgrade_2_to_3(conn: sqlite3.Connection, fp_index: BandIndex, cache_kib: int = 2000) -> None:
    """Move a format-2 corpus's sentence fingerprints into ``fp_index``; a no-op once done."""
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise CorpusError(
            f"比对库正在由另一进程升级格式（句子指纹迁入索引后端），请稍后重试：{exc}", code="corpus_busy"
        ) from exc
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        if row is None or row[0] != "2":  # another process finished the upgrade while we waited
            conn.execute("COMMIT")
            return
        fp_index.clear()
        fp_index.bulk = True
        last = 0
        while True:
            q = "SELECT rowid, id, key FROM docs WHERE rowid > ? ORDER BY rowid LIMIT ?"
            rows = conn.execute(q, (last, UPGRADE_BATCH)).fetchall()
            if not rows:
                break
            for rowid, doc_id, key in rows:
                fp_index.add(int(rowid), str(doc_id), key_hashes(zlib.decompress(key).decode("utf-8")))
            last = int(rows[-1][0])
            fp_index.flush()
            fp_index.commit()  # Redis/PostgreSQL: durable per batch (redone from scratch after a crash)
        fp_index.bulk = False
        fp_index.compact()
        conn.execute("DROP TABLE IF EXISTS fp")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'format_version'")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        fp_index.rollback()
        fp_index.bulk = False
        raise
    finally:
        conn.execute("PRAGMA cache_size = -2000")
