"""Per-tenant reference corpus: add, list, delete documents (role reviewer and above)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from service import audit
from service.auth import NotFound, Principal, require_key
from service.check_job import open_corpus
from service.deps import get_db, get_settings, jsonable
from service.schemas import DOC_ID_MAX, DOC_ID_PATTERN, TITLE_MAX, CorpusAddIn, CorpusDocumentIn
from service.uploads import save_limited, sniff_type

router = APIRouter(prefix="/v1/corpus", tags=["corpus"])


def _summary(rec: Any) -> dict[str, Any]:
    d = jsonable(rec)
    if not isinstance(d, dict):
        return {"id": str(d)}
    text = d.pop("text", None)
    if text is not None and "chars" not in d:
        d["chars"] = len(text)
    return d


def corpus_records(documents: Any) -> list[Any]:
    """The core's records for documents posted as JSON (the documents route and paged imports)."""
    from integrity.corpus import CorpusRecord

    return [
        CorpusRecord(id=d.id, title=d.title, text=d.text, authors=list(d.authors), year=d.year)
        for d in documents
    ]


@router.post("/documents", status_code=201, summary="向本租户比对库添加文献")
def add_documents(
    body: CorpusAddIn,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    records = corpus_records(body.documents)
    with open_corpus(settings, principal.tenant) as corpus:
        outcome = corpus.add(records)
    ids = [d.id for d in body.documents]
    audit.record_by(
        db,
        principal,
        "corpus.add",
        object_type="corpus_document",
        object_id=ids[0] if len(ids) == 1 else f"{len(ids)} documents",
        detail={"ids": ids[:1000], "count": len(ids)},
    )
    out = jsonable(outcome)
    return {"added": len(ids), "ids": ids, **({"outcome": out} if isinstance(out, dict) else {})}


@router.post("/files", status_code=201, summary="上传一篇文献（PDF、DOCX、TXT）加入本租户比对库")
def add_file(
    file: Annotated[UploadFile, File(description="已发表文献：PDF、DOCX 或 TXT")],
    doc_id: Annotated[
        str,
        Form(alias="id", description="文献 ID（同 ID 覆盖）", max_length=DOC_ID_MAX, pattern=DOC_ID_PATTERN),
    ],
    title: Annotated[str | None, Form(description="标题，缺省用提取到的标题", max_length=TITLE_MAX)] = None,
    authors: Annotated[str | None, Form(description="作者，逗号或分号分隔")] = None,
    year: Annotated[int | None, Form(ge=1900, le=2100)] = None,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    """The file is parsed like a checked paper (sandboxed subprocess, same limits) and discarded."""
    from integrity.corpus import CorpusRecord
    from integrity.ingest import extract

    tmp_dir = Path(tempfile.mkdtemp(prefix="corpus-", dir=_incoming(settings)))
    try:
        path = tmp_dir / "upload"
        _, sha = save_limited(file.file, path, settings.max_upload_bytes)
        sniff_type(path)
        doc = extract(path, settings)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    names = [
        a.strip() for a in (authors or "").replace("；", ";").replace("，", ",").replace(";", ",").split(",")
    ]
    found_year = doc.metadata.value("year")
    meta = CorpusDocumentIn(  # extracted values are cut to the same limits as given ones
        id=doc_id,
        title=(title or str(doc.metadata.value("title") or file.filename or doc_id))[:TITLE_MAX],
        text=doc.text,
        authors=[a[:200] for a in names if a][:200]
        or [str(a)[:200] for a in doc.metadata.value("authors") or []][:200],
        year=year or (found_year if isinstance(found_year, int) and 1900 <= found_year <= 2100 else None),
    )
    with open_corpus(settings, principal.tenant) as corpus:
        corpus.add(
            [CorpusRecord(id=meta.id, title=meta.title, text=meta.text, authors=meta.authors, year=meta.year)]
        )
    audit.record_by(
        db,
        principal,
        "corpus.add",
        object_type="corpus_document",
        object_id=meta.id,
        file_sha256=sha,
        detail={"ids": [meta.id], "count": 1, "file_name": file.filename, "file_type": doc.file_type},
    )
    return {"id": meta.id, "title": meta.title, "chars": len(meta.text), "file_type": doc.file_type}


def _incoming(settings: Any) -> Path:
    path = Path(settings.data_dir).resolve() / "uploads" / ".incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


@router.get("/documents", summary="列出本租户比对库文献")
def list_documents(
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
) -> dict[str, Any]:
    with open_corpus(settings, principal.tenant) as corpus:
        items = [_summary(r) for r in corpus.list()]
    return {"items": items, "count": len(items)}


@router.delete("/documents/{doc_id}", summary="从本租户比对库删除文献")
def delete_document(
    doc_id: str,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    with open_corpus(settings, principal.tenant) as corpus:
        if not corpus.remove([doc_id]):
            raise NotFound(f"比对库中没有该文献：{doc_id}", detail={"doc_id": doc_id})
    audit.record_by(
        db,
        principal,
        "corpus.delete",
        object_type="corpus_document",
        object_id=doc_id,
    )
    return {"deleted": doc_id}
