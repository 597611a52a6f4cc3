"""Paged bulk import into the tenant's corpus: ``PUT /v1/corpus/imports/{id}/pages/{n}``, ``GET`` its state.

Thin: the page bookkeeping (idempotent re-sends, resumable after any interruption) is
``integrity.corpus.imports.PagedImports``; this module only maps HTTP to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from service import audit
from service.auth import NotFound, Principal, require_key
from service.check_job import open_corpus
from service.deps import get_db, get_settings
from service.schemas import CorpusDocumentIn
from service.storage import corpus_dir

router = APIRouter(prefix="/v1/corpus/imports", tags=["corpus"])


class ImportPageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[CorpusDocumentIn] = Field(min_length=1, max_length=10000)
    total_pages: int | None = Field(
        default=None, ge=1, le=1_000_000, description="总页数（可选，用于报告缺页）"
    )


def _imports(settings: Any, tenant: str) -> Any:
    from integrity.corpus.imports import PagedImports

    return PagedImports(corpus_dir(settings, tenant).parent / f".imports-{tenant}")


@router.put("/{import_id}/pages/{page}", summary="分页批量导入：提交第 n 页（重复提交同一页不重复导入）")
def put_page(
    import_id: str,
    page: int,
    body: ImportPageIn,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
    db: Any = Depends(get_db),
) -> dict[str, Any]:
    from service.routers.corpus import corpus_records

    records = corpus_records(body.documents)
    imports = _imports(settings, principal.tenant)
    with open_corpus(settings, principal.tenant) as corpus:
        state, applied = imports.put_page(corpus, import_id, page, records, body.total_pages)
    if applied:
        audit.record_by(
            db,
            principal,
            "corpus.import_page",
            object_type="corpus_import",
            object_id=import_id,
            detail={"page": page, "count": len(records)},
        )
    return {**state.summary(), "page": page, "applied": applied}


@router.get("/{import_id}", summary="分页批量导入的进度")
def get_import(
    import_id: str,
    principal: Principal = Depends(require_key("reviewer")),
    settings: Any = Depends(get_settings),
) -> dict[str, Any]:
    state = _imports(settings, principal.tenant).get(import_id)
    if state is None:
        raise NotFound(f"没有该导入任务：{import_id}", detail={"import_id": import_id})
    summary: dict[str, Any] = state.summary()
    return summary
