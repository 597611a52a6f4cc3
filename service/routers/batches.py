"""``POST /v1/batches`` (zip + manifest), ``GET /v1/batches/{id}``, ``/progress``, ``/summary.xlsx``.

The manifest is parsed here, before the job is queued: a manifest that cannot be read is refused at once
(422) and its per-row errors are returned with the 202, so a review office sees bad rows immediately.
The zip is checked for traversal, bombs and file count before it is accepted, and again when unpacked.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from integrity.batch import BatchResult, parse_manifest, write_summary_xlsx
from integrity.batch.manifest import MAX_MANIFEST_BYTES
from integrity.batch.zipsafe import validate_archive
from integrity.errors import InputError, IntegrityError
from integrity.settings import Settings
from service import audit
from service.auth import Principal, require_key
from service.db import Database
from service.deps import get_db, get_queue, get_settings
from service.jobs import job_to_dict
from service.models import Job
from service.routers.checks import accepted, load_job, submit_job

router = APIRouter(prefix="/v1/batches", tags=["batches"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BatchNotReady(IntegrityError):
    code = "batch_not_ready"
    http_status = 409


@router.post("", status_code=202, summary="提交批量筛查：论文压缩包 + 清单（CSV/XLSX）")
def create_batch(
    request: Request,
    file: Annotated[UploadFile, File(description="论文压缩包（zip）")],
    manifest: Annotated[UploadFile, File(description="清单 CSV 或 XLSX")],
    policy_id: Annotated[str | None, Form(description="政策 ID，默认见 INTEGRITY_DEFAULT_POLICY")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
    db: Database = Depends(get_db),
    queue: Any = Depends(get_queue),
) -> JSONResponse:
    if policy_id:  # a malformed or unknown policy is refused before anything is read or queued
        from integrity.policy import load_policy

        load_policy(policy_id, settings)
    data = manifest.file.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError(
            f"清单文件过大（上限 {MAX_MANIFEST_BYTES // 1024 // 1024} MB）", code="manifest_too_large"
        )
    rows, row_errors = parse_manifest(data, manifest.filename or "manifest", settings)
    _check_zip(file, settings)
    params = {
        "rows": [r.to_dict() for r in rows],
        "manifest_errors": [e.to_dict() for e in row_errors],
        "manifest_name": manifest.filename,
        "policy_id": policy_id,
    }
    view, replayed = submit_job(
        kind="batch",
        principal=principal,
        settings=settings.model_copy(update={"max_upload_bytes": settings.batch_max_upload_bytes}),
        db=db,
        queue=queue,
        upload=file,
        params=params,
        callback_url=principal.callback_url,
        idempotency_key=idempotency_key,
        content_length=None,
        sniff=False,
    )
    response = accepted(view, replayed, "/v1/batches")
    body = json.loads(bytes(response.body))
    body["progress_url"] = f"/v1/batches/{view['id']}/progress"
    body["summary_url"] = f"/v1/batches/{view['id']}/summary.xlsx"
    body["manifest"] = {"rows": len(rows), "errors": params["manifest_errors"]}
    keep = ("location", "idempotent-replayed")  # not content-length: the body grew
    return JSONResponse(
        body, status_code=202, headers={k: v for k, v in response.headers.items() if k in keep}
    )


def _check_zip(upload: UploadFile, settings: Settings) -> None:
    """Refuse an unsafe or broken zip before storing it (the job checks again while unpacking)."""
    f = upload.file
    try:
        f.seek(0)
        if f.read(4) != b"PK\x03\x04":
            raise InputError("论文文件须为 zip 压缩包", code="bad_archive")
        f.seek(0)
        validate_archive(f, settings)
    finally:
        f.seek(0)


@router.get("", summary="列出本租户的批量筛查")
def list_batches(
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    with db.session() as s:
        jobs = list(
            s.scalars(
                select(Job)
                .where(Job.tenant == principal.tenant, Job.kind == "batch")
                .order_by(Job.created_at.desc())
                .limit(limit)
            )
        )
    items = []
    for j in jobs:
        d = job_to_dict(j)
        d["counts"] = (j.result or {}).get("counts")
        d.pop("result", None)
        items.append(d)
    return {"items": items}


@router.get("/{batch_id}", summary="批量筛查的状态与结果")
def get_batch(
    batch_id: str,
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
) -> dict[str, Any]:
    job = load_job(db, principal, batch_id, "batch")
    d = job_to_dict(job)
    d["progress"] = _progress(job)
    d["manifest_errors"] = (job.params or {}).get("manifest_errors", [])
    return d


@router.get("/{batch_id}/progress", summary="批量筛查进度")
def get_progress(
    batch_id: str,
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
) -> dict[str, Any]:
    job = load_job(db, principal, batch_id, "batch")
    return {"id": job.id, "status": job.status, "error": job.error, **_progress(job)}


def _progress(job: Job) -> dict[str, Any]:
    p = dict(job.progress or {})
    papers = len((job.params or {}).get("rows") or [])
    done, total = int(p.get("done", 0)), int(p.get("total", 0) or papers)  # papers checked / papers
    if job.status == "done":
        done = total = max(total, 1)
    percent = round(100 * done / total, 1) if total else 0.0
    if job.status != "done":
        percent = min(percent, 99.0)  # all papers read, cross-check still running: not finished yet
    return {
        "done": done,
        "total": total,
        "percent": percent,
        "stage": p.get("stage") or {"queued": "排队中", "running": "检测中"}.get(job.status, job.status),
        "papers": papers,
    }


@router.get("/{batch_id}/summary.xlsx", summary="下载批量筛查汇总表（XLSX）")
def get_summary(
    batch_id: str,
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
) -> Response:
    job = load_job(db, principal, batch_id, "batch")
    if job.status != "done" or not job.result:
        raise BatchNotReady(f"批量筛查尚未完成（当前状态：{job.status}）", detail={"status": job.status})
    data = write_summary_xlsx(BatchResult.from_dict(job.result))
    audit.record_by(
        db,
        principal,
        "batch.summary",
        object_type="batch",
        object_id=job.id,
        file_sha256=job.file_sha256,
    )
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="batch-{job.id}-summary.xlsx"'},
    )
