"""The ``check`` job kind: the same pipeline as ``integrity check`` on the tenant's corpus.

It calls the lower-level functions of ``integrity.check`` (extract → compare_document → build_result)
instead of ``check_paper`` only to open the corpus with ``namespace=tenant`` (Redis LSH keys are
per tenant); the JSON is built by the same ``build_result`` the CLI uses.
"""

from __future__ import annotations

from typing import Any

from integrity.errors import InputError
from service.jobs import JobContext, job_kind
from service.schemas import CheckMetadata
from service.storage import corpus_dir


def open_corpus(settings: Any, tenant: str, create: bool = True) -> Any:
    """Open (creating on first use) the tenant's corpus.

    Opening is serialised per tenant with an exclusive file lock: two jobs of a new tenant starting at
    once (threads or Celery processes on one volume) would otherwise both initialise its schema.
    """
    import fcntl

    from integrity.corpus import Corpus

    directory = corpus_dir(settings, tenant)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (directory.parent / f".{tenant}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return Corpus.open(directory, settings, create=create, namespace=tenant)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@job_kind("check")
def run_check(ctx: JobContext) -> dict[str, Any]:
    from integrity.check import build_result, compare_document, search_corpora
    from integrity.ingest import extract

    if ctx.file_path is None or not ctx.file_path.is_file():
        raise InputError("上传的文件已不存在（可能已超过保存期限被删除）", code="upload_missing")
    meta = CheckMetadata.model_validate(ctx.params.get("metadata") or {})
    options = meta.to_options()
    settings = ctx.settings
    doc = extract(ctx.file_path, settings)
    with (
        open_corpus(settings, ctx.tenant) as corpus,
        search_corpora(corpus, f"本单位比对库（{ctx.tenant}）", settings) as searched,
    ):
        similarity = compare_document(doc, searched, options)
        corpus_info = searched.describe()
        result = build_result(ctx.file_path, doc, similarity, options, settings, corpus_info)
        if meta.add_to_corpus:
            add_checked_paper(corpus, ctx, doc)
    return result


def add_checked_paper(corpus: Any, ctx: JobContext, doc: Any) -> None:
    """Add the checked paper to the tenant corpus (``add_to_corpus``), id ``check-<job id>``."""
    from integrity.corpus import CorpusRecord

    title = doc.metadata.value("title") or ctx.file_name or ctx.job_id
    authors = doc.metadata.value("authors") or []
    year = doc.metadata.value("year")
    doc_id = f"check-{ctx.job_id}"
    corpus.add([CorpusRecord(id=doc_id, title=str(title), text=doc.text, authors=list(authors), year=year)])
    from service import audit

    audit.record(
        ctx.db,
        tenant=ctx.tenant,
        key_id=ctx.key_id,
        action="corpus.add",
        object_type="corpus_document",
        object_id=doc_id,
        detail={"ids": [doc_id], "count": 1, "from_check": ctx.job_id},
    )
