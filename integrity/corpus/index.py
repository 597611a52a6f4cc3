"""The band-index contract: what the corpus store needs from any index backend, and the one factory.

Why a ``Protocol`` and one factory: the store, the CLI, the API and the benchmarks talk to an index only
through ``BandIndex``; which engine holds it (the corpus SQLite file, Redis, PostgreSQL) is decided here
from the settings and recorded in the corpus ``meta`` table, and no other module names a backend. A
``kind`` selects one of several independent indexes of the same corpus (``"lsh"``: chunk band hashes,
``"fp"``: the winnowed sentence fingerprints of ``winnow.py``), each with its own table / key space on the
same engine, so a corpus on PostgreSQL or Redis keeps all its index entries there.

Contract of the write methods: ``add``/``remove`` may buffer; ``flush`` writes the buffer inside the open
corpus transaction; ``commit`` makes it durable after the SQLite commit; ``rollback`` undoes everything
since the last ``commit``. A delete followed by a re-add leaves exactly the entries of the new version.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from typing import Any, Protocol, runtime_checkable

import numpy as np

from integrity.errors import CorpusError
from integrity.settings import Settings

BACKENDS = ("sqlite", "redis", "postgres")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@runtime_checkable
class BandIndex(Protocol):
    """A multimap band hash → document key, with batched writes and a transactional contract."""

    name: str
    """Engine name, reported by ``Corpus.describe`` (data, never branched on outside this package)."""
    keys_are_rowids: bool
    """``True``: query results are SQLite rowids of ``docs``; ``False``: document ids."""
    in_memory: bool
    """``True`` when the index lives in RAM (Redis); ``False`` when it is read from disk."""
    bulk: bool
    """Set during a bulk import: the backend may defer maintenance to ``compact`` at its end."""

    def add(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None: ...

    def remove(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None: ...

    def query(self, hashes: np.ndarray, max_df: int | None = None) -> Counter[Any]:
        """How many distinct query hashes each document key shares. With ``max_df``, a query hash held
        by more than ``max_df`` documents counts for nobody (a stock phrase, not evidence of copying);
        the cut is exact on every backend, so all engines return the same counts."""
        ...

    def flush(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def entries(self) -> int: ...

    def size_bytes(self) -> int:
        """Bytes the index occupies in its engine (disk for SQLite/PostgreSQL, RAM for Redis)."""
        ...

    def compact(self) -> None:
        """Bring the layout back to its query-optimal form (after a bulk import); may be a no-op."""
        ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


def open_index(
    backend: str, settings: Settings, conn: sqlite3.Connection, namespace: str, kind: str = "lsh"
) -> BandIndex:
    """The index ``kind`` of a corpus on ``backend`` (the name stored in the corpus ``meta``)."""
    if not _KIND.match(kind):
        raise CorpusError(f"无效的索引类型：{kind!r}")
    if backend == "sqlite":
        from integrity.corpus.lsh import SqliteLsh

        return SqliteLsh(conn, kind)
    if backend == "redis":
        from integrity.corpus.lsh import RedisLsh

        return RedisLsh(settings.redis_url, settings.redis_key_prefix, namespace, kind)
    if backend == "postgres":
        from integrity.corpus.pg_index import PostgresLsh

        return PostgresLsh.from_settings(settings, namespace, kind)
    raise CorpusError(
        f"未知的索引后端：{backend!r}（可选 {'、'.join(BACKENDS)}）", code="lsh_backend_unavailable"
    )
