"""The ``batch`` job kind: a zip of papers + a parsed manifest, screened against the tenant's corpus.

The zip is unpacked with ``integrity.batch.safe_extract`` (traversal, bomb and count limits) into the
job's upload folder. Each paper's full result is stored as a ``check`` job of the same tenant with a
deterministic id (``<batch id>-<row>``), so its report is served by the ordinary report endpoints and a
re-run after a crash overwrites instead of duplicating. The batch job's own result is the summary JSON
(``BatchResult.to_dict``); the XLSX is regenerated from it on download.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from integrity.batch import BatchResult, ManifestRow, PaperOutcome, RowError, run_batch, safe_extract
from integrity.errors import InputError
from service.check_job import open_corpus
from service.jobs import JobContext, job_kind
from service.models import Job, utcnow
from service.storage import upload_dir

PROGRESS_EVERY_S = 0.5


def paper_check_id(batch_id: str, row: int) -> str:
    return f"{batch_id}-{row}"[:32]


@job_kind("batch")
def run_batch_job(ctx: JobContext) -> dict[str, Any]:
    if ctx.file_path is None or not ctx.file_path.is_file():
        raise InputError("上传的压缩包已不存在（可能已超过保存期限被删除）", code="upload_missing")
    settings = ctx.settings
    rows = [ManifestRow(**r) for r in ctx.params.get("rows") or []]
    errors = [RowError(**e) for e in ctx.params.get("manifest_errors") or []]
    work = upload_dir(settings, ctx.tenant, ctx.job_id) / "files"
    shutil.rmtree(work, ignore_errors=True)  # idempotent: a re-run starts from a clean folder
    safe_extract(ctx.file_path, work, settings)

    last = 0.0

    def progress(done: int, total: int, stage: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or done >= total:
            last = now
            ctx.set_progress(done=done, total=total, stage=stage, papers=len(rows))

    def store(outcome: PaperOutcome, result: dict[str, Any]) -> None:
        check_id = paper_check_id(ctx.job_id, outcome.row.row)
        outcome.check_id = check_id
        now = utcnow()
        with ctx.db.session() as s:
            s.merge(
                Job(
                    id=check_id,
                    kind="check",
                    tenant=ctx.tenant,
                    key_id=ctx.key_id,
                    status="done",
                    file_name=Path(outcome.file_path or outcome.row.file_name).name,
                    file_path=outcome.file_path,
                    file_sha256=outcome.sha256,
                    file_size=Path(outcome.file_path).stat().st_size if outcome.file_path else None,
                    params={
                        "batch_id": ctx.job_id,
                        "row": outcome.row.row,
                        "metadata": {"applicant": outcome.row.applicant},
                    },
                    result=result,
                    created_at=now,
                    started_at=now,
                    finished_at=now,
                )
            )

    with open_corpus(settings, ctx.tenant) as corpus:
        result: BatchResult = run_batch(
            work,
            rows,
            errors,
            corpus,
            policy_id=ctx.params.get("policy_id"),
            settings=settings,
            progress=progress,
            on_result=store,
        )
    return result.to_dict()
