"""The reference corpus on disk: one SQLite file with documents, match keys and (by default) the indexes.

Why this layout: a corpus of 100k papers must reopen instantly in a fresh ``integrity check`` process,
so nothing is rebuilt on open — the LSH band index and the sentence fingerprint index are indexed
SQLite tables (or both in Redis / PostgreSQL, see ``index.py``) and each document keeps its normalised
match key and a compact offset map next to its text, so the aligner never re-normalises sources. Every
``add``/``remove`` is one transaction: a failed import leaves the corpus as it was. Fingerprint parameters
are fixed per corpus (stored in ``meta``) so a later change of settings cannot silently make queries miss
the stored bands. A corpus of the previous format is upgraded in place on open (``upgrade.py``).
"""

from __future__ import annotations

import builtins
import functools
import json
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np

from integrity.corpus.fingerprint import MinHasher, band_hashes, chunk_spans
from integrity.corpus.index import BandIndex, open_index
from integrity.corpus.upgrade import upgrade_in_place
from integrity.corpus.winnow import INDEX_KIND, MAX_DF, key_hashes
from integrity.errors import CorpusError
from integrity.settings import Settings, get_settings
from integrity.text.english import sentence_pair_hashes
from integrity.text.normalise import MatchKey, match_key

DB_NAME = "corpus.sqlite"
FORMAT_VERSION = 4  # 2: word tokens for Latin text + token ends in keymap (issue 11); 3: sentence
# fingerprints in the "fp" index on the corpus's backend instead of a table fp(h, doc) (issue 12);
# 4: the reworded-English index "enpairs" (issue 11)
UPGRADABLE_FORMATS = (2, 3)  # opened and upgraded in place (upgrade.py); older ones need a re-import
REWORD_INDEX = "enpairs"  # sorted content-stem pairs of English sentences (integrity/text/english.py)
MAX_DOC_CHARS = 2_000_000
WRITE_CACHE_KIB = 256 * 1024  # page cache while importing (random B-tree inserts); reset after
QUERY_STRIDE_DIV = 3  # query windows every chunk_chars / 3 characters (/4 found nothing more on dev)


@dataclass
class CorpusRecord:
    """One reference document as imported (``text`` is kept verbatim; offsets point into it)."""

    id: str
    title: str
    text: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None


@dataclass
class StoredDocument:
    """A document loaded for alignment: its record plus the match key and the key→text offset map."""

    rowid: int
    record: CorpusRecord
    key: MatchKey


@dataclass(frozen=True)
class FingerprintParams:
    num_perm: int
    bands: int
    rows: int
    chunk_chars: int
    shingle: int = 3
    seed: int = 1

    @classmethod
    def from_settings(cls, s: Settings) -> FingerprintParams:
        from datasketch.lsh import _optimal_param

        bands, rows = _optimal_param(s.lsh_threshold, s.minhash_perms, 0.5, 0.5)
        return cls(num_perm=s.minhash_perms, bands=int(bands), rows=int(rows), chunk_chars=s.chunk_chars)


F = TypeVar("F", bound=Callable[..., Any])


def _locked(fn: F) -> F:
    """Serialise use of the shared SQLite connection (one ``Corpus`` may serve several threads)."""

    @functools.wraps(fn)
    def wrapper(self: Corpus, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _pack_offsets(offsets: np.ndarray, ends: np.ndarray | None = None) -> bytes:
    """Key→text offsets are increasing with mostly unit steps: delta-encode and deflate (~0.1 B/char).
    Token lengths (1 for a CJK character, the word's length for a Latin word) follow the deltas."""
    if len(offsets) == 0:
        return b""
    deltas = np.diff(offsets.astype(np.int64), prepend=np.int64(0)).astype(np.uint32)
    lens = (ends.astype(np.int64) - offsets) if ends is not None else np.ones(len(offsets), dtype=np.int64)
    return zlib.compress(deltas.tobytes() + lens.astype(np.uint32).tobytes(), 6)


def _unpack_offsets(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, ends) of the key tokens."""
    if not blob:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    raw = np.frombuffer(zlib.decompress(blob), dtype=np.uint32)
    n = len(raw) // 2
    offsets = np.cumsum(raw[:n], dtype=np.int64)
    return offsets.astype(np.int32), (offsets + raw[n:]).astype(np.int32)


class Corpus:
    """A reference corpus directory. Use ``Corpus.open(...)`` as a context manager."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, settings: Settings, namespace: str) -> None:
        self.directory = directory
        self.conn = conn
        self.settings = settings
        self.namespace = namespace
        self._lock = threading.RLock()
        self.params = self._load_params()
        self.hasher = MinHasher(self.params.num_perm, self.params.shingle, self.params.seed)
        # The backend is fixed when the corpus is created (``meta``), like the fingerprint parameters.
        self.backend = self._meta("lsh_backend") or settings.lsh_backend
        self.lsh: BandIndex = open_index(self.backend, settings, conn, namespace)
        # sentence-level fingerprints (winnow.py) and reworded English (content-stem pairs of sentences,
        # text/english.py) on the same engine, so query keys are of one kind
        self.indexes: tuple[BandIndex, ...] = (self.lsh,)
        try:
            self.fp: BandIndex = self.open_index(INDEX_KIND)
            self.indexes = (self.lsh, self.fp)
            self.reword: BandIndex = self.open_index(REWORD_INDEX)
            self.indexes = (self.lsh, self.fp, self.reword)
            if self._meta("format_version") != str(FORMAT_VERSION):
                upgrade_in_place(conn, self.fp, self.reword, WRITE_CACHE_KIB)
        except BaseException:
            for index in self.indexes:
                index.close()
            raise

    def open_index(self, kind: str) -> BandIndex:
        """An index of this corpus on the engine of its LSH bands (``"fp"``: the sentence fingerprints)."""
        return open_index(self.backend, self.settings, self.conn, self.namespace, kind)

    # ------------------------------------------------------------------ open / close
    @classmethod
    def open(
        cls,
        directory: Path,
        settings: Settings | None = None,
        *,
        create: bool = False,
        namespace: str = "default",
    ) -> Corpus:
        settings = settings or get_settings()
        directory = Path(directory)
        db = directory / DB_NAME
        if not db.is_file():
            if not create:
                if directory.exists() and not directory.is_dir():
                    raise CorpusError(f"比对库路径不是目录：{directory}", code="corpus_not_found")
                raise CorpusError(
                    f"比对库不存在：{directory}（请先用 integrity corpus add --corpus {directory} 导入）",
                    code="corpus_not_found",
                )
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CorpusError(f"无法创建比对库目录 {directory}：{exc.strerror}") from exc
        try:
            conn = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise CorpusError(f"比对库已损坏或不是比对库：{db}（{exc}）", code="corpus_corrupt") from exc
        if not tables:
            if not create:
                conn.close()
                raise CorpusError(f"比对库为空或未初始化：{db}", code="corpus_corrupt")
            cls._init_schema(conn, settings, namespace)
        elif "meta" not in tables or "docs" not in tables:
            conn.close()
            raise CorpusError(f"比对库已损坏或不是比对库（缺少数据表）：{db}", code="corpus_corrupt")
        try:
            return cls(directory, conn, settings, namespace)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorpusError(f"比对库已损坏：{db}（{exc}）", code="corpus_corrupt") from exc
        except BaseException:  # e.g. an index engine unreachable, or another process upgrading the corpus
            conn.close()
            raise

    @staticmethod
    def _init_schema(conn: sqlite3.Connection, settings: Settings, namespace: str) -> None:
        p = FingerprintParams.from_settings(settings)
        conn.execute("BEGIN IMMEDIATE")
        # Another process may have created the schema between our look and this write lock: then the
        # corpus is already initialised and we use it as it is.
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            conn.execute("COMMIT")
            return
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(
            "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
            " authors TEXT NOT NULL, year INTEGER, chars INTEGER NOT NULL, key_chars INTEGER NOT NULL,"
            " chunks INTEGER NOT NULL, text BLOB NOT NULL, key BLOB NOT NULL, keymap BLOB NOT NULL,"
            " added_at TEXT NOT NULL)"
        )
        meta = {
            "format_version": str(FORMAT_VERSION),
            "corpus_id": uuid.uuid4().hex,
            "version": "0",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "lsh_backend": settings.lsh_backend,
            "namespace": namespace,
            "params": json.dumps(p.__dict__),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        conn.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _load_params(self) -> FingerprintParams:
        fmt = self._meta("format_version")
        raw = self._meta("params")
        if fmt is not None and fmt.isdigit() and int(fmt) < min(UPGRADABLE_FORMATS):
            raise CorpusError(
                f"比对库格式版本过旧：{fmt}（当前版本需要 {FORMAT_VERSION}：检测引擎已升级，英文按词比对、"
                f"新增句子级指纹索引和英文改写索引）。"
                f"请删除目录 {self.directory} 后用 integrity corpus add 重新导入",
                code="corpus_format_outdated",
            )
        upgradable = fmt is not None and fmt.isdigit() and int(fmt) in UPGRADABLE_FORMATS
        if (fmt != str(FORMAT_VERSION) and not upgradable) or raw is None:
            raise CorpusError(
                f"比对库格式版本不受支持：{fmt}（需要 {FORMAT_VERSION}）", code="corpus_corrupt"
            )
        try:
            return FingerprintParams(**json.loads(raw))
        except (TypeError, ValueError) as exc:
            raise CorpusError("比对库参数已损坏", code="corpus_corrupt") from exc

    def close(self) -> None:
        for index in self.indexes:
            index.close()
        self.conn.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @_locked
    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    # ------------------------------------------------------------------ fingerprints
    def chunk_bands(self, key: str) -> np.ndarray:
        """Band hashes of the stored (non-overlapping) chunks of a document key."""
        c = self.params.chunk_chars
        spans = chunk_spans(len(key), c, c)
        sigs = self.hasher.signatures(key, spans)
        return band_hashes(sigs, self.params.bands, self.params.rows)

    def query_bands(self, key: str) -> np.ndarray:
        """Band hashes of overlapping query windows (stride chunk/3: a stored chunk that lies inside a
        copied passage is matched by a window offset by at most chunk/6)."""
        c = self.params.chunk_chars
        spans = chunk_spans(len(key), c, max(1, c // QUERY_STRIDE_DIV))
        sigs = self.hasher.signatures(key, spans)
        return band_hashes(sigs, self.params.bands, self.params.rows)

    # ------------------------------------------------------------------ writes
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            for index in self.indexes:
                index.flush()
            self.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
            self.conn.execute("COMMIT")
            for index in self.indexes:
                index.commit()
        except BaseException:
            self.conn.execute("ROLLBACK")
            for index in self.indexes:
                index.rollback()
            raise
        finally:
            # back to SQLite's default page cache: a long-lived reader keeps no large cache (RSS)
            self.conn.execute("PRAGMA cache_size = -2000")

    def _remove_row(self, rowid: int, doc_id: str, key_blob: bytes, text_blob: bytes) -> None:
        key = zlib.decompress(key_blob).decode("utf-8")
        self.lsh.remove(rowid, doc_id, self.chunk_bands(key))
        self.fp.remove(rowid, doc_id, key_hashes(key))
        text = zlib.decompress(text_blob).decode("utf-8")
        self.reword.remove(rowid, doc_id, sentence_pair_hashes(text))
        self.conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))

    @_locked
    def add(self, records: Iterable[CorpusRecord], progress: Callable[[int], None] | None = None) -> int:
        """Add (or replace, by id) records in one transaction; returns how many were written."""
        n = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction():
            for rec in records:
                self._validate(rec)
                old = self.conn.execute(
                    "SELECT rowid, key, text FROM docs WHERE id = ?", (rec.id,)
                ).fetchone()
                if old is not None:
                    self._remove_row(int(old[0]), rec.id, old[1], old[2])
                mk = match_key(rec.text)
                bands = self.chunk_bands(mk.text)
                cur = self.conn.execute(
                    "INSERT INTO docs (id, title, authors, year, chars, key_chars, chunks, text, key, keymap,"
                    " added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rec.id,
                        rec.title,
                        json.dumps(rec.authors, ensure_ascii=False),
                        rec.year,
                        len(rec.text),
                        len(mk.text),
                        len(bands),
                        zlib.compress(rec.text.encode("utf-8"), 6),
                        zlib.compress(mk.text.encode("utf-8"), 6),
                        _pack_offsets(mk.offsets, mk.ends),
                        now,
                    ),
                )
                rowid = int(cur.lastrowid or 0)
                self.lsh.add(rowid, rec.id, bands)
                self.fp.add(rowid, rec.id, key_hashes(mk.text))
                self.reword.add(rowid, rec.id, sentence_pair_hashes(rec.text))
                n += 1
                if progress:
                    progress(1)
        return n

    @staticmethod
    def _validate(rec: CorpusRecord) -> None:
        if not isinstance(rec.id, str) or not rec.id.strip():
            raise CorpusError("比对库记录缺少 id", code="bad_record")
        if not isinstance(rec.text, str) or not rec.text.strip():
            raise CorpusError(f"比对库记录 {rec.id} 没有正文（text 为空）", code="bad_record")
        if len(rec.text) > MAX_DOC_CHARS:
            raise CorpusError(
                f"比对库记录 {rec.id} 过长：{len(rec.text)} 字（上限 {MAX_DOC_CHARS} 字）", code="bad_record"
            )

    @_locked
    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id (unknown ids are ignored); returns how many were removed."""
        n = 0
        with self._transaction():
            for doc_id in ids:
                row = self.conn.execute(
                    "SELECT rowid, key, text FROM docs WHERE id = ?", (doc_id,)
                ).fetchone()
                if row is not None:
                    self._remove_row(int(row[0]), doc_id, row[1], row[2])
                    n += 1
        return n

    # ------------------------------------------------------------------ reads
    @_locked
    def list(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT id, title, chars, authors, year FROM docs ORDER BY id")
        return [
            {"id": r[0], "title": r[1], "chars": r[2], "authors": json.loads(r[3]), "year": r[4]}
            for r in rows
        ]

    @_locked
    def get(self, doc_id: str) -> CorpusRecord | None:
        row = self.conn.execute(
            "SELECT id, title, text, authors, year FROM docs WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        return CorpusRecord(
            row[0], row[1], zlib.decompress(row[2]).decode("utf-8"), json.loads(row[3]), row[4]
        )

    @_locked
    def load(self, keys: Sequence[Any], *, full: bool = True) -> builtins.list[StoredDocument]:
        """Documents for alignment, by rowid (SQLite LSH) or by id (Redis LSH), in the given order.

        ``full=False`` reads only the match key (enough to align); ``complete`` then fetches the text
        and the offset map of the few documents that matched, so rejected candidates cost no inflating.
        """
        col = "rowid" if self.lsh.keys_are_rowids else "id"
        cols = "rowid, id, title, authors, year, key, chars" + (", text, keymap" if full else "")
        out: dict[Any, StoredDocument] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            q = f"SELECT {cols} FROM docs WHERE {col} IN ({','.join('?' * len(part))})"
            for r in self.conn.execute(q, part):
                text = zlib.decompress(r[7]).decode("utf-8") if full else ""
                empty = np.zeros(0, dtype=np.int32)
                offsets, ends = _unpack_offsets(r[8]) if full else (empty, empty)
                rec = CorpusRecord(r[1], r[2], text, json.loads(r[3]), r[4])
                key = MatchKey(zlib.decompress(r[5]).decode("utf-8"), offsets, int(r[6]), ends)
                out[r[0] if col == "rowid" else r[1]] = StoredDocument(int(r[0]), rec, key)
        return [out[k] for k in keys if k in out]

    @_locked
    def complete(self, doc: StoredDocument) -> StoredDocument:
        """A document from ``load(full=False)`` with its text and key offset map filled in."""
        row = self.conn.execute("SELECT text, keymap FROM docs WHERE rowid = ?", (doc.rowid,)).fetchone()
        if row is None:
            raise CorpusError(f"比对库文献已被删除：{doc.record.id}", code="doc_not_found")
        doc.record.text = zlib.decompress(row[0]).decode("utf-8")
        offsets, ends = _unpack_offsets(row[1])
        doc.key = MatchKey(doc.key.text, offsets, doc.key.original_length, ends)
        return doc

    @_locked
    def candidates(self, key: str, limit: int) -> builtins.list[tuple[Any, int]]:
        """Documents sharing LSH buckets with any query window, most shared buckets first."""
        if len(key) < self.params.shingle:
            return []
        hits = self.lsh.query(self.query_bands(key))
        return hits.most_common(limit)

    @_locked
    def sentence_candidates(self, key: str, limit: int) -> builtins.list[tuple[Any, int]]:
        """Documents sharing winnowed fingerprints with ``key`` (short copied sentences), most first;
        fingerprints held by more than ``MAX_DF`` documents are ignored. Keys as ``load`` expects them
        (the fingerprint index is on the LSH bands' engine, so its keys are of the same kind)."""
        return self.fp.query(key_hashes(key), max_df=MAX_DF).most_common(limit)

    @_locked
    def reword_candidates(self, text: str, limit: int) -> builtins.list[tuple[Any, int]]:
        """Documents sharing sorted content-stem pairs with the English sentences of ``text`` (reworded,
        translated or summarised copies, which keep few exact word runs), most shared pairs first; keys
        as ``load`` expects them."""
        hashes = sentence_pair_hashes(text)
        if len(hashes) == 0:
            return []
        return self.reword.query(hashes).most_common(limit)

    @_locked
    def describe(self) -> dict[str, Any]:
        return {
            "corpus_id": self._meta("corpus_id"),
            "version": int(self._meta("version") or 0),
            "documents": len(self),
            "lsh_backend": self.lsh.name,
        }

    @_locked
    def stats(self) -> dict[str, Any]:
        docs, chars, chunks = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(chars), 0), COALESCE(SUM(chunks), 0) FROM docs"
        ).fetchone()
        entries = self.lsh.entries()
        disk = sum(p.stat().st_size for p in self.directory.glob(DB_NAME + "*") if p.is_file())
        index_bytes = self.lsh.size_bytes()
        return {
            **self.describe(),
            "chars": int(chars),
            "chunks": int(chunks),
            "lsh_entries": entries,
            "params": dict(self.params.__dict__),
            "disk_bytes": disk,
            "index_bytes": int(index_bytes),
            "index_in_memory": self.lsh.in_memory,
            "index_bytes_per_document": round(index_bytes / docs, 1) if docs else 0.0,
            "fingerprint_entries": self.fp.entries(),
            "fingerprint_bytes_per_document": round(self.fp.size_bytes() / docs, 1) if docs else 0.0,
            "created_at": self._meta("created_at"),
        }
