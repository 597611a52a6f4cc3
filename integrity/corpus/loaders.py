"""Turn ``corpus add`` inputs (TXT, PDF, DOCX, folders, JSONL) into ``CorpusRecord``s.

Why a generator that raises on the first bad input: ``Corpus.add`` consumes it inside one transaction,
so a bad file or a bad JSONL line aborts the whole import and the corpus stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from integrity.corpus.store import CorpusRecord
from integrity.errors import CorpusError, IntegrityError
from integrity.settings import Settings

DOC_SUFFIXES = {".txt", ".pdf", ".docx"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files to import: given files as they are, folders recursively (TXT/PDF/DOCX/JSONL, sorted)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            wanted = DOC_SUFFIXES | JSONL_SUFFIXES
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in wanted))
        elif p.is_file():
            out.append(p)
        else:
            raise CorpusError(f"找不到要导入的文件或目录：{p}", code="input_not_found")
    return out


def count_records(files: Sequence[Path]) -> int:
    """Number of records the files will yield (JSONL lines counted), for the progress bar."""
    n = 0
    for f in files:
        if f.suffix.lower() in JSONL_SUFFIXES:
            with f.open("rb") as fh:
                n += sum(1 for line in fh if line.strip())
        else:
            n += 1
    return n


def iter_records(files: Sequence[Path], settings: Settings) -> Iterator[CorpusRecord]:
    for f in files:
        if f.suffix.lower() in JSONL_SUFFIXES:
            yield from _jsonl_records(f)
        else:
            yield _document_record(f, settings)


def _jsonl_records(path: Path) -> Iterator[CorpusRecord]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            where = f"{path.name} 第 {lineno} 行"
            try:
                obj = json.loads(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CorpusError(f"{where} 不是有效的 JSON：{exc}", code="bad_record") from exc
            yield record_from_json(obj, where)


def record_from_json(obj: Any, where: str = "记录") -> CorpusRecord:
    """Validate one {"id","title","text"[,"authors","year"]} object."""
    if not isinstance(obj, dict):
        raise CorpusError(f"{where} 应为 JSON 对象", code="bad_record")
    doc_id, title, text = obj.get("id"), obj.get("title", ""), obj.get("text")
    if isinstance(doc_id, int):
        doc_id = str(doc_id)
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise CorpusError(f"{where} 缺少字符串字段 id", code="bad_record")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}（id={doc_id}）缺少非空字段 text", code="bad_record")
    if title is None:
        title = ""
    if not isinstance(title, str):
        raise CorpusError(f"{where}（id={doc_id}）字段 title 应为字符串", code="bad_record")
    authors = obj.get("authors") or []
    if isinstance(authors, str):
        authors = [
            a for a in authors.replace("，", ",").replace("；", ",").replace(";", ",").split(",") if a.strip()
        ]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise CorpusError(f"{where}（id={doc_id}）字段 authors 应为字符串列表", code="bad_record")
    year = obj.get("year")
    if year is not None:
        try:
            year = int(year)
        except (TypeError, ValueError) as exc:
            raise CorpusError(f"{where}（id={doc_id}）字段 year 应为整数", code="bad_record") from exc
    return CorpusRecord(doc_id.strip(), title.strip(), text, [a.strip() for a in authors], year)


def _document_record(path: Path, settings: Settings) -> CorpusRecord:
    from integrity.ingest import extract

    try:
        doc = extract(path, settings)
    except IntegrityError as exc:
        raise CorpusError(f"无法导入 {path}：{exc.message}", code=exc.code) from exc
    if not doc.text.strip():
        raise CorpusError(f"无法导入 {path}：没有可用的文字", code="bad_record")
    title = doc.metadata.value("title") or next(
        (ln.strip() for ln in doc.text.splitlines() if ln.strip()), ""
    )
    authors = doc.metadata.value("authors") or []
    year = doc.metadata.value("year")
    return CorpusRecord(
        path.stem, str(title)[:300], doc.text, list(authors), year if isinstance(year, int) else None
    )
