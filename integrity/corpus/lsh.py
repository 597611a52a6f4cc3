"""Band tables (LSH bands, sentence fingerprints): in the corpus SQLite file (default) or in Redis (both
``BandIndex``, see ``index.py``).

Why not datasketch's ``MinHashLSH``: its in-memory index must be rebuilt (or unpickled) on every open and
its Redis storage pickles keys. Here a band bucket is a row ``(band_hash, doc)`` of an indexed SQLite
table, or a Redis set of plain document ids under ``{prefix}:{namespace}:lsh:{band_hash}``; opening a
corpus reads nothing, and a query is one indexed lookup per distinct band hash.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from integrity.errors import CorpusError

_SQL_BATCH = 900


class SqliteLsh:
    """Band rows in the corpus database; they share the document transaction."""

    keys_are_rowids = True
    name = "sqlite"
    in_memory = False
    bulk = False

    def __init__(self, conn: sqlite3.Connection, kind: str = "lsh") -> None:
        self.conn = conn
        self.table = "lsh" if kind == "lsh" else f"idx_{kind}"  # kind is validated by open_index
        self._pending: dict[int, np.ndarray] = {}
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} (h INTEGER NOT NULL, doc INTEGER NOT NULL,"
            " PRIMARY KEY (h, doc)) WITHOUT ROWID"
        )

    def add(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        """Buffered until ``flush`` (inside the same transaction): rows inserted in key order touch each
        B-tree page once per batch instead of once per row, which keeps large imports fast."""
        self._pending[rowid] = np.unique(hashes)

    def remove(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        if self._pending.pop(rowid, None) is not None:
            return
        vals = [(int(h), rowid) for h in np.unique(hashes)]
        self.conn.executemany(f"DELETE FROM {self.table} WHERE h = ? AND doc = ?", vals)

    def query(self, hashes: np.ndarray, max_df: int | None = None) -> Counter[Any]:
        """Number of distinct query band hashes each document shares (rows are unique per (h, doc))."""
        hits: Counter[Any] = Counter()
        uniq = [int(h) for h in np.unique(hashes)]
        for i in range(0, len(uniq), _SQL_BATCH):
            part = uniq[i : i + _SQL_BATCH]
            marks = ",".join("?" * len(part))
            if max_df is None:
                q = f"SELECT doc FROM {self.table} WHERE h IN ({marks})"
                hits.update(r[0] for r in self.conn.execute(q, part))
                continue
            by_hash: dict[int, list[int]] = {}
            for h, doc in self.conn.execute(f"SELECT h, doc FROM {self.table} WHERE h IN ({marks})", part):
                by_hash.setdefault(h, []).append(doc)
            for docs in by_hash.values():
                if len(docs) <= max_df:
                    hits.update(docs)
        return hits

    def entries(self) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0])

    def size_bytes(self) -> int:
        try:
            row = self.conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (self.table,)).fetchone()
            return int(row[0] or 0)
        except sqlite3.OperationalError:  # no dbstat: rows ~ 14 bytes, ~1.2 bytes of page overhead per byte
            return int(self.entries() * 14 * 1.2)

    def clear(self) -> None:
        self.conn.execute(f"DELETE FROM {self.table}")

    def close(self) -> None:
        """The connection belongs to the corpus."""

    def compact(self) -> None:
        """Nothing to do: the B-tree is always query-ready."""

    def flush(self) -> None:
        """Write the buffered rows in (hash, doc) order; called inside the open transaction."""
        from integrity.corpus.rows import write_sorted_rows

        write_sorted_rows(self.conn, self.table, self._pending)
        self._pending = {}

    def rollback(self) -> None:
        """The SQLite transaction rollback covers written rows; drop the buffered ones."""
        self._pending = {}

    def commit(self) -> None:
        """Nothing to do: committed with the SQLite transaction."""


class RedisLsh:
    """Band buckets as Redis sets of document ids. Writes of one ``add`` batch are journalled so a
    failed import can be undone (the SQLite document transaction rolls back on its own)."""

    keys_are_rowids = False
    name = "redis"
    in_memory = True
    bulk = False

    def __init__(self, url: str, prefix: str, namespace: str, kind: str = "lsh") -> None:
        import redis

        if not namespace or any(c in namespace for c in ": \n"):
            raise CorpusError(f"无效的命名空间（租户 ID）：{namespace!r}")
        self.prefix = f"{prefix}:{namespace}:"
        self.kind = kind
        try:
            self.r = redis.Redis.from_url(url, decode_responses=True)
            self.r.ping()
        except redis.RedisError as exc:
            raise CorpusError(f"无法连接 Redis（{url}）：{exc}", code="lsh_backend_unavailable") from exc
        self._pending: list[tuple[str, str, list[str]]] = []  # (op, doc_id, keys) not yet sent
        self._journal: list[tuple[str, str, list[str]]] = []  # sent in this batch, for undo

    def _keys(self, hashes: np.ndarray) -> list[str]:
        return [f"{self.prefix}{self.kind}:{int(h) & 0xFFFFFFFFFFFFFFFF:016x}" for h in np.unique(hashes)]

    def add(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        self._pending.append(("add", doc_id, self._keys(hashes)))
        if len(self._pending) >= 200:
            self.flush()

    def remove(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        self._pending.append(("rem", doc_id, self._keys(hashes)))
        if len(self._pending) >= 200:
            self.flush()

    def _apply(self, ops: Sequence[tuple[str, str, list[str]]], invert: bool = False) -> None:
        pipe = self.r.pipeline(transaction=False)
        for op, doc_id, keys in ops:
            add = (op == "add") != invert
            for k in keys:
                if add:
                    pipe.sadd(k, doc_id)
                else:
                    pipe.srem(k, doc_id)
        pipe.execute()

    def flush(self) -> None:
        import redis

        if not self._pending:
            return
        ops, self._pending = self._pending, []
        self._journal.extend(ops)
        try:
            self._apply(ops)
        except redis.RedisError as exc:
            raise CorpusError(f"写入 Redis LSH 索引失败：{exc}", code="lsh_backend_unavailable") from exc

    def rollback(self) -> None:
        self._pending = []
        ops, self._journal = self._journal, []
        if ops:
            self._apply(list(reversed(ops)), invert=True)

    def commit(self) -> None:
        self.flush()
        self._journal = []

    def query(self, hashes: np.ndarray, max_df: int | None = None) -> Counter[Any]:
        """Members of each distinct query hash's set; with ``max_df`` the sizes are read first (one
        pipelined ``SCARD`` round) so a stock phrase's large set is never transferred."""
        import redis

        keys = self._keys(hashes)
        hits: Counter[Any] = Counter()
        try:
            if max_df is not None:
                pipe = self.r.pipeline(transaction=False)
                for k in keys:
                    pipe.scard(k)
                keys = [k for k, n in zip(keys, pipe.execute(), strict=True) if 0 < int(n) <= max_df]
            pipe = self.r.pipeline(transaction=False)
            for k in keys:
                pipe.smembers(k)
            for members in pipe.execute():
                hits.update(members)
        except redis.RedisError as exc:
            raise CorpusError(f"查询 Redis LSH 索引失败：{exc}", code="lsh_backend_unavailable") from exc
        return hits

    def entries(self) -> int:
        total = 0
        for k in self._scan():
            total += int(self.r.scard(k))
        return total

    def _scan(self) -> Iterable[str]:
        return self.r.scan_iter(match=f"{self.prefix}{self.kind}:*", count=1000)

    def clear(self) -> None:
        batch: list[str] = []
        for k in self._scan():
            batch.append(k)
            if len(batch) >= 500:
                self.r.delete(*batch)
                batch = []
        if batch:
            self.r.delete(*batch)

    def size_bytes(self) -> int:
        """``MEMORY USAGE`` summed over this index's keys (exact, but a scan: for stats, not hot paths)."""
        total = 0
        keys = list(self._scan())
        for i in range(0, len(keys), 1000):
            pipe = self.r.pipeline(transaction=False)
            for k in keys[i : i + 1000]:
                pipe.memory_usage(k, samples=0)
            total += sum(int(v or 0) for v in pipe.execute())
        return total

    def close(self) -> None:
        self.r.close()

    def compact(self) -> None:
        """Nothing to do: sets are always query-ready."""
