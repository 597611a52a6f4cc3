"""Corpus format upgrades run on open, so a user with a big corpus never has to re-import it.

- Format 2 → 3 (issue 12): the sentence fingerprints moved from the table ``fp(h, doc)`` of the corpus
  SQLite file to the corpus's ``"fp"`` index on the engine of its LSH bands (``winnow.py``).
- Format 3 → 4 (issue 11): the reworded-English index ``"enpairs"`` (sorted content-stem pairs of each
  English sentence, ``text/english.py``) was added.

Each step re-derives one index for every document from what the corpus stores (the match key, or the
verbatim text) — the same pure function a fresh import uses, so the new index equals a fresh build
exactly — writes it through the ``BandIndex`` seam in batches, then records the new format (and drops
what the step replaces) in one SQLite commit.

Why it is safe to interrupt: a step holds the corpus write lock (``BEGIN IMMEDIATE``), and the format
number changes only in its final commit. A crash before that leaves the old format; the next open clears
the step's index (which may hold part of the entries on Redis/PostgreSQL; its key space belongs to this
corpus alone, like that of the LSH bands) and starts that step again. Another process opening the corpus
meanwhile waits for the lock (then ``corpus_busy``).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable

import numpy as np

from integrity.corpus.index import BandIndex
from integrity.corpus.winnow import key_hashes
from integrity.errors import CorpusError
from integrity.text.english import sentence_pair_hashes

UPGRADE_BATCH = 500  # documents per flushed batch (bounded memory on a big corpus)


def upgrade_in_place(
    conn: sqlite3.Connection, fp_index: BandIndex, reword_index: BandIndex, cache_kib: int = 2000
) -> None:
    """Bring a format-2 or format-3 corpus to format 4, one step after the other; a no-op once done."""
    _step(conn, 2, fp_index, lambda key, _text: key_hashes(key), "fingerprints", cache_kib, drop="fp")
    _step(conn, 3, reword_index, lambda _key, text: sentence_pair_hashes(text), "enpairs", cache_kib)


def _step(
    conn: sqlite3.Connection,
    source: int,
    index: BandIndex,
    derive: Callable[[str, str], np.ndarray],
    what: str,
    cache_kib: int,
    drop: str | None = None,
) -> None:
    """Fill ``index`` from every document (``derive(match_key, text)``) and move format ``source`` to
    ``source + 1``; nothing happens unless the corpus is at format ``source``."""
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise CorpusError(
            f"比对库正在由另一进程升级格式（{what} 索引），请稍后重试：{exc}", code="corpus_busy"
        ) from exc
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        if row is None or row[0] != str(source):  # not this step's format, or done while we waited
            conn.execute("COMMIT")
            return
        index.clear()
        index.bulk = True
        last = 0
        while True:
            q = "SELECT rowid, id, key, text FROM docs WHERE rowid > ? ORDER BY rowid LIMIT ?"
            rows = conn.execute(q, (last, UPGRADE_BATCH)).fetchall()
            if not rows:
                break
            for rowid, doc_id, key, text in rows:
                hashes = derive(zlib.decompress(key).decode("utf-8"), zlib.decompress(text).decode("utf-8"))
                index.add(int(rowid), str(doc_id), hashes)
            last = int(rows[-1][0])
            index.flush()
            index.commit()  # Redis/PostgreSQL: durable per batch (redone from scratch after a crash)
        index.bulk = False
        index.compact()
        if drop:
            conn.execute(f"DROP TABLE IF EXISTS {drop}")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(source + 1),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        index.rollback()
        index.bulk = False
        raise
    finally:
        conn.execute("PRAGMA cache_size = -2000")
