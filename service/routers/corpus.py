"""Per-tenant reference corpus: add, list, delete documents (role reviewer and above)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from service import audit
from service.auth import NotFound, Principal, require_key
from service.check_job import open_corpus
from service.deps import get_db, get_settings, jsonable
from service.schemas import CorpusAddIn

router = APIRouter(prefix="/v1/corpus", tags=["corpus"])


def _summary(rec: Any) -> dict[str, Any]:
    d = jsonable(rec)
    if not isinstance(d, dict):
        return {"id": str(d)}
    text = d.pop("text", None)
    if text is not None and "chars" not in d:
        d["chars"] = len(text)
    return d


@router.post("/documents", status_code=201, summary="向本租户比对库添加文献")
def add_documents(
    body: CorpusAddIn,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    from integrity.corpus import CorpusRecord

    records = [
        CorpusRecord(id=d.id, title=d.title, text=d.text, authors=list(d.authors), year=d.year)
        for d in body.documents
    ]
    with open_corpus(settings, principal.tenant) as corpus:
        outcome = corpus.add(records)
    ids = [d.id for d in body.documents]
    audit.record(
        db,
        tenant=principal.tenant,
        key_id=principal.key_id,
        role=principal.role,
        action="corpus.add",
        object_type="corpus_document",
        object_id=ids[0] if len(ids) == 1 else f"{len(ids)} documents",
        detail={"ids": ids[:1000], "count": len(ids)},
    )
    out = jsonable(outcome)
    return {"added": len(ids), "ids": ids, **({"outcome": out} if isinstance(out, dict) else {})}


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
    audit.record(
        db,
        tenant=principal.tenant,
        key_id=principal.key_id,
        role=principal.role,
        action="corpus.delete",
        object_type="corpus_document",
        object_id=doc_id,
    )
    return {"deleted": doc_id}
