"""PostgreSQL band index: packed segments keyed by band-hash bucket, on disk, hash-partitioned for sharding.

Why this layout: a 5,000-character paper has ~50 chunks x 32 bands = 1,600 band hashes, so 10^6 papers are
1.6 x 10^9 index entries. One Redis set member costs ~100 bytes of RAM (174 KB per paper measured), and
even a row ``(hash, doc)`` in a B-tree costs ~40 bytes on disk. Here the top ``bucket_bits`` of a band hash
choose a bucket; rows ``(bucket int4, gen int8, seg bytea)`` pack 8-byte entries (the low 32 bits of the
hash as a tag, the SQLite rowid of the document as uint32). The index lives on disk (RAM is PostgreSQL's
bounded buffer cache, not a per-document cost); a query fetches the rows of each distinct query bucket
through the primary key and matches tags with numpy.

Writes are insert-only, like an LSM tree: every flushed batch is one binary ``COPY`` of new rows under a
fresh generation number ``gen`` (no updates of existing rows, so a bulk import costs O(entries), not
O(table) per batch). ``compact()`` folds all generations of a bucket into one row (``gen = 0``); it runs
after a bulk import and automatically once ``AUTO_COMPACT_GENERATIONS`` batches have accumulated, so a
query reads few rows per bucket. A delete rewrites the rows holding the removed documents without them,
so the index stays exact. The 32-bit tag can collide only inside one bucket (probability
~ entries-per-bucket / 2^32 per query hash): a spurious candidate is then rejected by the aligner, never
a miss.

``INTEGRITY_LSH_PARTITIONS`` > 1 creates the table ``PARTITION BY HASH (bucket)``: every partition is a
separate table that can be moved to another node (``postgres_fdw`` foreign partitions, or Citus), and a
query's ``bucket = ANY(...)`` is answered by each partition's primary key.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np

from integrity.errors import CorpusError
from integrity.settings import Settings

ENTRY = np.dtype([("tag", "<u4"), ("doc", "<u4")])
_AUTO_FLUSH_ENTRIES = 4_000_000  # buffered entries before writing inside the open transaction (~100 MB)
AUTO_COMPACT_GENERATIONS = 32  # uncompacted batches after which a commit compacts (query reads <= 33 rows)


# A query reads a few thousand buckets by primary key. With stale statistics (right after a batch or a
# compaction, before autovacuum's ANALYZE) the planner estimated millions of rows and chose a sequential
# scan of the whole table (measured: 3.9 s instead of tens of ms at 30k documents), and JIT compiled
# each such plan for ~45 ms. Both are switched off for the read's own transaction only.
_READ_PLAN = "SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"

# A bucket row outgrows the 2 KB TOAST threshold near 10^6 documents at 22 bits (~380 entries): kept
# inline up to a page, a query reads one heap page per bucket instead of a TOAST index descent plus chunks.
_TABLE_OPTIONS = " WITH (fillfactor = 85, toast_tuple_target = 8160)"


def _int4_array(values: list[int]) -> str:
    """An ``int4[]`` literal: one string parameter instead of psycopg adapting thousands of ints."""
    return "{" + ",".join(map(str, values)) + "}"


def _split(hashes: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, tag) of signed 64-bit band hashes."""
    u = np.unique(hashes).view(np.uint64)
    return (u >> np.uint64(64 - bits)).astype(np.int64), (u & np.uint64(0xFFFFFFFF)).astype(np.uint32)


class PostgresLsh:
    """``BandIndex`` on PostgreSQL. Opened through ``integrity.corpus.index.open_index``."""

    keys_are_rowids = True
    name = "postgres"
    in_memory = False

    def __init__(self, url: str, schema: str, namespace: str, kind: str, bits: int, partitions: int) -> None:
        import psycopg

        if not namespace or any(c in namespace for c in ": \n\x00"):
            raise CorpusError(f"无效的命名空间（租户 ID）：{namespace!r}")
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            self.conn = psycopg.connect(url, autocommit=False, connect_timeout=10)
        except psycopg.Error as exc:
            raise CorpusError(
                f"无法连接 PostgreSQL 索引库（{_redact(url)}）：{exc}", code="lsh_backend_unavailable"
            ) from exc
        self.schema = schema
        key = f"{kind}:{namespace}"
        safe = "".join(c if c.isalnum() or c == "_" else "_" for c in namespace.lower())
        self.table = (
            f"{kind}_{safe}"
            if len(safe) + len(kind) <= 40
            else f"{kind}_{hashlib.sha1(key.encode()).hexdigest()[:16]}"
        )
        self.key = key
        self.bits, self.partitions = self._ensure(key, bits, partitions)
        self._adds: dict[int, np.ndarray] = {}
        self._removes: set[int] = set()
        self._remove_buckets: list[np.ndarray] = []
        self._buffered = 0
        self._dirty = False
        self._gens = 0
        self.bulk = False  # set by a bulk import: compact once at its end, not every 32 batches

    @classmethod
    def from_settings(cls, s: Settings, namespace: str, kind: str = "lsh") -> PostgresLsh:
        return cls(
            s.lsh_postgres_url, s.lsh_postgres_schema, namespace, kind, s.lsh_bucket_bits, s.lsh_partitions
        )

    # ------------------------------------------------------------------ schema
    def _q(self, sql: str) -> Any:
        from psycopg import sql as pgsql

        return pgsql.SQL(sql).format(s=pgsql.Identifier(self.schema), t=pgsql.Identifier(self.table))

    def _ensure(self, key: str, bits: int, partitions: int) -> tuple[int, int]:
        """Create the schema and this index's table once; its layout is then fixed (stored in ``meta``)."""
        import psycopg
        from psycopg import sql as pgsql

        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"integrity-lsh:{self.schema}",))
                cur.execute(self._q("CREATE SCHEMA IF NOT EXISTS {s}"))
                cur.execute(
                    self._q(
                        "CREATE TABLE IF NOT EXISTS {s}.meta (name text PRIMARY KEY, tbl text NOT NULL,"
                        " bucket_bits int NOT NULL, partitions int NOT NULL, gens int NOT NULL DEFAULT 0)"
                    )
                )
                cur.execute(self._q("SELECT bucket_bits, partitions FROM {s}.meta WHERE name = %s"), (key,))
                row = cur.fetchone()
                if row is not None:
                    self.conn.commit()
                    return int(row[0]), int(row[1])
                part = " PARTITION BY HASH (bucket)" if partitions > 1 else ""
                opts = "" if partitions > 1 else _TABLE_OPTIONS
                cur.execute(
                    self._q(
                        "CREATE TABLE IF NOT EXISTS {s}.{t} (bucket int4 NOT NULL, gen int8 NOT NULL,"
                        " seg bytea NOT NULL, PRIMARY KEY (bucket, gen))" + part + opts
                    )
                )
                for i in range(partitions if partitions > 1 else 0):
                    cur.execute(
                        pgsql.SQL(
                            "CREATE TABLE IF NOT EXISTS {s}.{p} PARTITION OF {s}.{t}"
                            " FOR VALUES WITH (MODULUS {m}, REMAINDER {r})" + _TABLE_OPTIONS
                        ).format(
                            s=pgsql.Identifier(self.schema),
                            p=pgsql.Identifier(f"{self.table}_p{i}"),
                            t=pgsql.Identifier(self.table),
                            m=pgsql.Literal(partitions),
                            r=pgsql.Literal(i),
                        )
                    )
                # random bytes do not compress: store segments without trying
                cur.execute(self._q("ALTER TABLE {s}.{t} ALTER COLUMN seg SET STORAGE EXTERNAL"))
                cur.execute(self._q("CREATE SEQUENCE IF NOT EXISTS {s}.gen_seq"))
                cur.execute(
                    self._q("INSERT INTO {s}.meta VALUES (%s, %s, %s, %s, 0)"),
                    (key, self.table, bits, partitions),
                )
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise CorpusError(f"无法创建 PostgreSQL 索引表：{exc}", code="lsh_backend_unavailable") from exc
        return bits, partitions

    # ------------------------------------------------------------------ writes
    def add(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        if rowid < 0 or rowid >= 1 << 32:
            raise CorpusError(f"文献行号超出索引范围：{rowid}")
        self._adds[rowid] = hashes
        self._buffered += hashes.size
        if self._buffered >= _AUTO_FLUSH_ENTRIES * (4 if self.bulk else 1):
            self.flush()

    def remove(self, rowid: int, doc_id: str, hashes: np.ndarray) -> None:
        if self._adds.pop(rowid, None) is not None:
            return
        self._removes.add(rowid)
        self._remove_buckets.append(_split(hashes, self.bits)[0])

    def flush(self) -> None:
        import psycopg

        if not self._adds and not self._removes:
            return
        try:
            with self.conn.cursor() as cur:
                self._dirty = True
                if self._removes:
                    self._flush_removes(cur)
                if self._adds:
                    self._flush_adds(cur)
        except psycopg.Error as exc:
            raise CorpusError(f"写入 PostgreSQL 索引失败：{exc}", code="lsh_backend_unavailable") from exc

    def _copy(
        self, cur: Any, buckets: np.ndarray, gens: np.ndarray, entries: np.ndarray, starts: np.ndarray
    ) -> None:
        """Append rows ``(buckets[i], gens[i], entries[starts[i]:starts[i + 1]])`` with one binary COPY."""
        target = self._q("COPY {s}.{t} (bucket, gen, seg) FROM STDIN (FORMAT BINARY)")
        with cur.copy(target) as cp:
            for chunk in copy_payload(buckets, gens, entries, starts):
                cp.write(chunk)

    def _flush_removes(self, cur: Any) -> None:
        buckets = np.unique(np.concatenate(self._remove_buckets)).tolist()
        gone = np.fromiter(self._removes, dtype=np.uint32, count=len(self._removes))
        self._removes, self._remove_buckets = set(), []
        cur.execute(_READ_PLAN)  # as in ``query``: a delete must not scan the whole table either
        cur.execute(
            self._q(
                "SELECT bucket, gen, seg FROM {s}.{t} WHERE bucket = ANY(%s::int4[])"
                " ORDER BY bucket, gen FOR UPDATE"
            ),
            (_int4_array(buckets),),
        )
        keep: list[tuple[int, int, np.ndarray]] = []
        drop: list[tuple[int, int]] = []
        for bucket, gen, seg in cur.fetchall():
            e = np.frombuffer(bytes(seg), dtype=ENTRY)
            k = e[~np.isin(e["doc"], gone)]
            if len(k) == len(e):
                continue
            drop.append((int(bucket), int(gen)))
            if len(k):
                keep.append((int(bucket), int(gen), k))
        if drop:
            cur.execute(
                self._q(
                    "DELETE FROM {s}.{t} t USING unnest(%s::int4[], %s::int8[]) AS d(b, g)"
                    " WHERE t.bucket = d.b AND t.gen = d.g"
                ),
                ([b for b, _ in drop], [g for _, g in drop]),
            )
        if keep:
            sizes = np.array([len(k) for _, _, k in keep], dtype=np.int64)
            self._copy(
                cur,
                np.array([b for b, _, _ in keep], dtype=np.int64),
                np.array([g for _, g, _ in keep], dtype=np.int64),
                np.concatenate([k for _, _, k in keep]),
                np.r_[0, np.cumsum(sizes)[:-1]],
            )

    def _flush_adds(self, cur: Any) -> None:
        adds, self._adds, self._buffered = self._adds, {}, 0
        parts = [(_split(h, self.bits), r) for r, h in adds.items()]
        buckets = np.concatenate([b for (b, _), _ in parts])
        entries = np.empty(len(buckets), dtype=ENTRY)
        entries["tag"] = np.concatenate([t for (_, t), _ in parts])
        entries["doc"] = np.concatenate([np.full(len(b), r, dtype=np.uint32) for (b, _), r in parts])
        order = np.argsort(buckets, kind="stable")
        buckets, entries = buckets[order], entries[order]
        starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
        cur.execute(self._q("SELECT nextval('{s}.gen_seq')"))
        gen = int(cur.fetchone()[0])
        cur.execute(
            self._q("UPDATE {s}.meta SET gens = gens + 1 WHERE name = %s RETURNING gens"), (self.key,)
        )
        self._gens = int(cur.fetchone()[0])
        self._copy(cur, buckets[starts], np.full(len(starts), gen, dtype=np.int64), entries, starts)

    def compact(self) -> None:
        """Fold every bucket's generations into one row (``gen = 0``), one table or partition at a time.

        Only when more than one generation exists: a compact index is left as it is. Each relation is
        rebuilt into a new table that then replaces it (see ``_compact_relation``), so the transient disk
        is one relation's compacted copy: with ``INTEGRITY_LSH_PARTITIONS`` = P, 1/P of the index."""
        import psycopg

        self.flush()
        if self._scalar("SELECT count(*) FROM (SELECT 1 FROM {s}.{t} WHERE gen > 0 LIMIT 1) x") == 0:
            return
        relations = (
            [(f"{self.table}_p{i}", i) for i in range(self.partitions)]
            if self.partitions > 1
            else [(self.table, None)]
        )
        try:
            for relation, remainder in relations:
                with self.conn.cursor() as cur:
                    self._compact_relation(cur, relation, remainder)
                self.conn.commit()
                self._vacuum(relation)
            with self.conn.cursor() as cur:
                cur.execute(self._q("UPDATE {s}.meta SET gens = 0 WHERE name = %s"), (self.key,))
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise CorpusError(f"整理 PostgreSQL 索引失败：{exc}", code="lsh_backend_unavailable") from exc
        self._gens = 0
        self._dirty = False

    def _compact_relation(self, cur: Any, relation: str, remainder: int | None) -> None:
        """Rebuild one table or partition with one row per bucket, inside the caller's transaction.

        Why a new table and not an in-place rewrite: the old one (uncompacted rows cost ~3x their
        entries) is dropped as a whole at commit, so the peak is old + compacted, with no temporary copy
        on top (the earlier copy-TRUNCATE-insert held old + copy + reinserted rows until commit: at 10^6
        documents more than this host's 74 GB of free disk). The lock first waits for writers in
        flight and keeps new ones out until commit (without it a batch committed during compaction was
        missing from the snapshot and then deleted); readers go on reading the old table until the swap, which
        for a partition includes ATTACH's scan of the new partition (1/P of the index)."""
        from psycopg import sql as pgsql

        names = {
            "s": pgsql.Identifier(self.schema),
            "t": pgsql.Identifier(self.table),
            "rel": pgsql.Identifier(relation),
            "new": pgsql.Identifier(f"{relation}_compact"),
        }

        def run(query: str, **more: Any) -> None:
            cur.execute(pgsql.SQL(query).format(**names, **more))

        # on the parent (a LOCK recurses to its partitions): self-conflicting, so two compactions queue
        # instead of deadlocking on the DETACH's lock upgrade; readers' ACCESS SHARE passes
        run("LOCK TABLE {s}.{t} IN SHARE ROW EXCLUSIVE MODE")
        # Read in primary-key order and aggregate as rows stream by: no sort or hash spill (with a sort,
        # 300M uncompacted rows at 10^6 documents spilled into temporary files and filled the disk).
        for setting in ("enable_sort", "enable_hashagg", "enable_seqscan", "jit"):
            cur.execute(f"SET LOCAL {setting} = off")
        run("DROP TABLE IF EXISTS {s}.{new}")
        run("CREATE TABLE {s}.{new} (LIKE {s}.{rel} INCLUDING ALL)" + _TABLE_OPTIONS)
        run(
            "INSERT INTO {s}.{new} (bucket, gen, seg)"
            " SELECT bucket, 0, string_agg(seg, ''::bytea) FROM {s}.{rel} GROUP BY bucket ORDER BY bucket"
        )
        if remainder is not None:
            run("ALTER TABLE {s}.{t} DETACH PARTITION {s}.{rel}")
        run("DROP TABLE {s}.{rel}")
        run("ALTER TABLE {s}.{new} RENAME TO {rel}")
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            (f'"{self.schema}"."{relation}"',),
        )
        pkey = pgsql.Identifier(cur.fetchone()[0])
        run(
            "ALTER TABLE {s}.{rel} RENAME CONSTRAINT {old} TO {pk}",
            old=pkey,
            pk=pgsql.Identifier(f"{relation}_pkey"),
        )
        if remainder is not None:
            run(
                "ALTER TABLE {s}.{t} ATTACH PARTITION {s}.{rel} FOR VALUES WITH (MODULUS {m}, REMAINDER {r})",
                m=pgsql.Literal(self.partitions),
                r=pgsql.Literal(remainder),
            )

    def _vacuum(self, relation: str) -> None:
        """One pass that sets the rebuilt rows' hint bits and statistics. Without it every query dirtied
        (and later wrote back) a few thousand pages it only read (measured at 100k documents: 3,500
        dirtied buffers per query), until autovacuum got there."""
        from psycopg import sql as pgsql

        self.conn.autocommit = True
        try:
            self.conn.execute(
                pgsql.SQL("VACUUM (FREEZE, ANALYZE) {s}.{rel}").format(
                    s=pgsql.Identifier(self.schema), rel=pgsql.Identifier(relation)
                )
            )
        finally:
            self.conn.autocommit = False

    def commit(self) -> None:
        self.flush()
        self.conn.commit()
        self._dirty = False
        if self._gens >= AUTO_COMPACT_GENERATIONS and not self.bulk:
            self.compact()

    def rollback(self) -> None:
        self._adds, self._removes, self._remove_buckets, self._buffered = {}, set(), [], 0
        self.conn.rollback()
        self._dirty = False

    # ------------------------------------------------------------------ reads
    def query(self, hashes: np.ndarray, max_df: int | None = None) -> Counter[Any]:
        """Documents sharing each distinct query band hash (matched on bucket and 32-bit tag); with
        ``max_df``, a (bucket, tag) held by more than ``max_df`` documents is dropped (``_df_cut``)."""
        import psycopg

        hits: Counter[Any] = Counter()
        if hashes.size == 0:
            return hits
        qb, qt = _split(hashes, self.bits)
        buckets = np.unique(qb)
        try:
            with self.conn.cursor(binary=True) as cur:
                cur.execute(_READ_PLAN)
                # One result row of three byte strings instead of one row per bucket, and the bucket list
                # as one array literal: psycopg's per-element adaptation of a 5,000-int list and per-row
                # decoding cost more client CPU (~20 ms) than the server's whole lookup.
                cur.execute(
                    self._q(
                        "SELECT string_agg(int4send(bucket), ''::bytea), string_agg(int4send(length(seg)),"
                        " ''::bytea), string_agg(seg, ''::bytea) FROM {s}.{t} WHERE bucket = ANY(%s::int4[])"
                    ),
                    (_int4_array(buckets.tolist()),),
                )
                row = cur.fetchone()
            if not self._dirty:
                self.conn.rollback()  # end the read transaction: no idle snapshot holding back vacuum
        except psycopg.Error as exc:
            if not self._dirty:
                self.conn.rollback()
            raise CorpusError(f"查询 PostgreSQL 索引失败：{exc}", code="lsh_backend_unavailable") from exc
        if row is None or row[2] is None:
            return hits
        # the three aggregates read the same rows in the same order: row i holds lens[i] entries
        lens = np.frombuffer(row[1], dtype=">i4") // ENTRY.itemsize
        e = np.frombuffer(row[2], dtype=ENTRY)
        # query tags sorted by (bucket, tag); a bucket holds 1 query tag, rarely 2-3
        order = np.lexsort((qt, qb))
        kb, kt = qb[order], qt[order]
        first = np.flatnonzero(np.r_[True, kb[1:] != kb[:-1]])
        mult = np.diff(np.r_[first, len(kb)])
        pos = np.searchsorted(buckets, np.frombuffer(row[0], dtype=">i4"))  # row → its query bucket
        tags = e["tag"]
        # Why per row, then repeated: at 10^6 documents a query reads ~1.8M entries, and an entry → bucket
        # index array plus gathers through it cost 10 ms of client CPU; one repeat of the rows' tags, 2 ms.
        match = tags == np.repeat(kt[first][pos], lens)
        ends = np.cumsum(lens)
        for k in range(1, int(mult.max())):  # rows whose bucket holds more than k query tags (few)
            rows = np.flatnonzero(mult[pos] > k)
            if len(rows) == 0:
                break
            at = np.concatenate([np.arange(ends[r] - lens[r], ends[r]) for r in rows.tolist()])
            match[at] |= tags[at] == np.repeat(kt[first[pos[rows]] + k], lens[rows])
        hit = np.flatnonzero(match)
        matched = e["doc"][hit]
        if max_df is not None:  # judge each (bucket, tag) on its own document frequency
            hit_bucket = buckets[pos[np.searchsorted(ends, hit, side="right")]]
            ekey = (hit_bucket.astype(np.uint64) << np.uint64(32)) | tags[hit].astype(np.uint64)
            matched = _df_cut(ekey, matched, max_df)
        docs, counts = np.unique(matched, return_counts=True)
        hits.update(dict(zip(docs.tolist(), counts.tolist(), strict=True)))
        return hits

    def _scalar(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self.conn.cursor() as cur:
            cur.execute(self._q(sql), params)
            row = cur.fetchone()
        if not self._dirty:
            self.conn.rollback()
        return int(row[0] or 0) if row else 0

    def entries(self) -> int:
        return self._scalar("SELECT COALESCE(SUM(length(seg)), 0) / 8 FROM {s}.{t}")

    def size_bytes(self) -> int:
        """Heap + TOAST + primary key of the table and its partitions (on disk)."""
        name = f'"{self.schema}"."{self.table}"'  # both validated: lower-case letters, digits, underscores
        return self._scalar(
            "SELECT pg_total_relation_size(%s::regclass) + COALESCE((SELECT"
            " SUM(pg_total_relation_size(relid)) FROM pg_partition_tree(%s::regclass)"
            " WHERE relid <> %s::regclass), 0)",
            (name, name, name),
        )

    def clear(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(self._q("TRUNCATE {s}.{t}"))
        self.conn.commit()

    def drop(self) -> None:
        """Remove this index's table and meta row (tests, benchmarks)."""
        with self.conn.cursor() as cur:
            cur.execute(self._q("DROP TABLE IF EXISTS {s}.{t} CASCADE"))
            cur.execute(self._q("DELETE FROM {s}.meta WHERE tbl = %s"), (self.table,))
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


_ROW_HEAD = np.dtype(
    [
        ("nfields", ">i2"),
        ("len_b", ">i4"),
        ("bucket", ">i4"),
        ("len_g", ">i4"),
        ("gen", ">i8"),
        ("len_s", ">i4"),
    ]
)  # 26 bytes, packed: the fixed part of one binary COPY row (bucket int4, gen int8, seg bytea)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header-extension length
_COPY_TRAILER = b"\xff\xff"
_PAYLOAD_ROWS = 1 << 18  # rows per written chunk (a few MB)


def copy_payload(
    buckets: np.ndarray, gens: np.ndarray, entries: np.ndarray, starts: np.ndarray
) -> Iterator[bytes]:
    """PostgreSQL binary ``COPY`` data for rows ``(bucket, gen, seg)`` where row i's ``seg`` is
    ``entries[starts[i]:starts[i + 1]]``, assembled with numpy.

    Why not ``Copy.write_row``: a bulk batch writes millions of short rows (a few entries per bucket before
    compaction), and psycopg's per-row Python adaptation cost ~2.5 µs each, 80 % of the client's build
    time. Here each chunk is two scatters into one byte buffer: the fixed 26-byte row heads, then the
    8-byte entries, each shifted by the heads written before it."""
    yield _COPY_HEADER
    n = len(starts)
    ends = np.r_[starts[1:], len(entries)].astype(np.int64)
    starts = starts.astype(np.int64)
    raw = entries.view(np.uint8).reshape(-1, ENTRY.itemsize)
    for r0 in range(0, n, _PAYLOAD_ROWS):
        r1 = min(n, r0 + _PAYLOAD_ROWS)
        counts = ends[r0:r1] - starts[r0:r1]
        head = np.empty(r1 - r0, dtype=_ROW_HEAD)
        head["nfields"], head["len_b"], head["len_g"] = 3, 4, 8
        head["bucket"], head["gen"], head["len_s"] = buckets[r0:r1], gens[r0:r1], counts * ENTRY.itemsize
        size = _ROW_HEAD.itemsize * (r1 - r0) + ENTRY.itemsize * int(counts.sum())
        out = np.empty(size, dtype=np.uint8)
        row_at = _ROW_HEAD.itemsize * np.arange(r1 - r0) + ENTRY.itemsize * (starts[r0:r1] - starts[r0])
        hb = head.view(np.uint8).reshape(-1, _ROW_HEAD.itemsize)
        for k in range(_ROW_HEAD.itemsize):
            out[row_at + k] = hb[:, k]
        e0, e1 = int(starts[r0]), int(ends[r1 - 1])
        # entry j of row i lands after row i's head: its offset in the entries plus i + 1 heads
        row_of = np.repeat(np.arange(r1 - r0), counts)
        entry_at = ENTRY.itemsize * np.arange(e1 - e0) + _ROW_HEAD.itemsize * (row_of + 1)
        for k in range(ENTRY.itemsize):
            out[entry_at + k] = raw[e0:e1, k]
        yield out.tobytes()
    yield _COPY_TRAILER


def _df_cut(keys: np.ndarray, docs: np.ndarray, max_df: int) -> np.ndarray:
    """Documents of the distinct (key, document) pairs whose key is held by at most ``max_df``
    documents (a key is ``bucket << 32 | tag``, so each query hash is judged on its own)."""
    if len(keys) == 0:
        return docs
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    first = np.r_[True, (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])]
    keys, docs = keys[first], docs[first]
    _, where, df = np.unique(keys, return_inverse=True, return_counts=True)
    return docs[df[where] <= max_df]


def _redact(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" in url and ":" in url.split("@", 1)[0].split("//", 1)[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url
