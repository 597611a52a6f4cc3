"""Bulk import of a large corpus: resumable JSONL import (CLI) and paged import (API).

Why batches with a checkpoint: a province's corpus is 10^5-10^6 papers and takes hours to index; one
transaction for all of it would lose everything on an interruption. Each batch is its own corpus
transaction (index writes batched inside it); after it commits, the byte offset of the next unread line
is written atomically to a checkpoint file. A crash between the commit and the checkpoint repeats that
batch on resume, which is harmless because ``Corpus.add`` replaces documents by id: the final index is
exactly that of the documents in the file. The paged API works the same way with the page number as
the checkpoint: a page that was committed is recorded with the digest of its ids, a repeated PUT of the
same page is answered from the record, a changed page is applied again (replace by id).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from integrity.corpus.loaders import record_from_json
from integrity.corpus.store import Corpus, CorpusRecord
from integrity.errors import CorpusError

DEFAULT_BATCH = 500
IMPORT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
MAX_PAGE = 1_000_000


@dataclass
class Checkpoint:
    """Where a file import stands: the file it belongs to and the offset after the last committed batch."""

    source: str
    size: int
    head_sha1: str
    offset: int = 0
    records: int = 0
    batches: int = 0


def _head_sha1(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.sha1(fh.read(1 << 16)).hexdigest()


def _write_json(path: Path, obj: Any) -> None:
    """Atomic: a reader (or a resume after a crash) sees the old or the new file, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def default_checkpoint(corpus_dir: Path, source: Path) -> Path:
    digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:12]
    return corpus_dir / f".import-{source.name}-{digest}.json"


def load_checkpoint(path: Path, source: Path) -> Checkpoint:
    """The checkpoint of ``source`` if it belongs to this very file, else a fresh one."""
    st = source.stat()
    fresh = Checkpoint(str(source.resolve()), st.st_size, _head_sha1(source))
    if not path.is_file():
        return fresh
    try:
        cp = Checkpoint(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return fresh
    if (cp.source, cp.size, cp.head_sha1) != (
        fresh.source,
        fresh.size,
        fresh.head_sha1,
    ) or cp.offset > cp.size:
        return fresh  # another file, or this one changed: start over (replace by id keeps it exact)
    return cp


def _batches(path: Path, offset: int, batch: int) -> Iterator[tuple[list[CorpusRecord], int]]:
    """Records from byte ``offset`` in batches, each with the offset just after its last line."""
    out: list[CorpusRecord] = []
    with path.open("rb") as fh:
        fh.seek(offset)
        pos = offset
        lineno = 0
        while True:
            raw = fh.readline()
            if not raw:
                break
            pos += len(raw)
            lineno += 1
            if not raw.strip():
                continue
            where = f"{path.name} 偏移 {pos - len(raw)} 处的行"
            try:
                obj = json.loads(raw.decode("utf-8-sig" if pos == len(raw) else "utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CorpusError(f"{where} 不是有效的 JSON：{exc}", code="bad_record") from exc
            out.append(record_from_json(obj, where))
            if len(out) >= batch:
                yield out, pos
                out = []
        if out:
            yield out, pos


def count_lines(path: Path, offset: int = 0) -> int:
    """Non-empty lines from ``offset`` (the progress bar's total)."""
    n = 0
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            if raw.strip():
                n += 1
    return n


def import_jsonl(
    corpus: Corpus,
    source: Path,
    checkpoint: Path,
    *,
    batch: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> Checkpoint:
    """Import ``source`` in batches, resuming from ``checkpoint``; the checkpoint is removed when done."""
    if batch < 1:
        raise CorpusError(f"批大小应为正整数：{batch}")
    cp = load_checkpoint(checkpoint, source)
    corpus.lsh.bulk = corpus.reword.bulk = True
    try:
        for records, end in _batches(source, cp.offset, batch):
            corpus.add(records)
            cp.offset, cp.records, cp.batches = end, cp.records + len(records), cp.batches + 1
            _write_json(checkpoint, asdict(cp))
            if progress:
                progress(len(records))
    finally:
        corpus.lsh.bulk = corpus.reword.bulk = False
    corpus.lsh.compact()
    corpus.reword.compact()
    checkpoint.unlink(missing_ok=True)
    return cp


# ---------------------------------------------------------------------- paged import (API)
@dataclass
class PagedImport:
    """State of one paged import: which pages were committed, with how many documents."""

    id: str
    created_at: str
    updated_at: str
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    total_pages: int | None = None

    def summary(self) -> dict[str, Any]:
        nums = sorted(int(n) for n in self.pages)
        missing = (
            [n for n in range(1, self.total_pages + 1) if str(n) not in self.pages]
            if self.total_pages is not None
            else []
        )
        return {
            "id": self.id,
            "pages_received": len(nums),
            "pages": nums,
            "total_pages": self.total_pages,
            "missing_pages": missing[:1000],
            "documents": sum(int(p["documents"]) for p in self.pages.values()),
            "complete": self.total_pages is not None and not missing,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class PagedImports:
    """Paged imports of one corpus, kept as small JSON files in ``state_dir`` (one per import id)."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir

    def _path(self, import_id: str) -> Path:
        if not IMPORT_ID.match(import_id):
            raise CorpusError(
                f"无效的导入 ID：{import_id!r}（1–100 个字母、数字、点、下划线或连字符）",
                code="bad_import_id",
            )
        return self.dir / f"{import_id}.json"

    @contextmanager
    def _locked(self, import_id: str) -> Iterator[Path]:
        path = self._path(import_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / f".{import_id}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield path

    @staticmethod
    def _read(path: Path) -> PagedImport | None:
        if not path.is_file():
            return None
        return PagedImport(**json.loads(path.read_text(encoding="utf-8")))

    def get(self, import_id: str) -> PagedImport | None:
        return self._read(self._path(import_id))

    def put_page(
        self,
        corpus: Corpus,
        import_id: str,
        page: int,
        records: Sequence[CorpusRecord],
        total_pages: int | None = None,
    ) -> tuple[PagedImport, bool]:
        """Commit page ``page`` (1-based); returns the state and whether the page was (re)applied."""
        if not 1 <= page <= MAX_PAGE:
            raise CorpusError(f"页码超出范围：{page}（1–{MAX_PAGE}）", code="bad_page")
        if total_pages is not None and not page <= total_pages <= MAX_PAGE:
            raise CorpusError(f"总页数 {total_pages} 小于页码 {page} 或超过 {MAX_PAGE}", code="bad_page")
        digest = hashlib.sha256(
            json.dumps([asdict(r) for r in records], ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._locked(import_id) as path:
            state = self._read(path) or PagedImport(import_id, now, now)
            if total_pages is not None:
                state.total_pages = total_pages
            prev = state.pages.get(str(page))
            applied = prev is None or prev["sha256"] != digest
            if applied:
                corpus.add(records)
                state.pages[str(page)] = {"documents": len(records), "sha256": digest, "at": now}
            state.updated_at = now
            _write_json(path, asdict(state))
        return state, applied
