"""``POST /v1/checks`` (202 + id), ``GET /v1/checks/{id}``, ``GET /v1/checks``."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from integrity.errors import IntegrityError
from integrity.settings import Settings
from service import audit
from service.auth import Forbidden, NotFound, Principal, require_key
from service.db import Database
from service.deps import get_db, get_queue, get_settings
from service.jobs import job_to_dict
from service.jobs import policy_version as job_policy_version
from service.models import Job, utcnow
from service.schemas import CheckMetadata
from service.storage import safe_name, upload_dir
from service.uploads import save_limited, sniff_type, too_large
from service.webhooks import validate_callback_url

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["checks"])


class Conflict(IntegrityError):
    code = "idempotency_conflict"
    http_status = 409


class QueueUnavailable(IntegrityError):
    code = "queue_unavailable"
    http_status = 503


def parse_metadata(raw: str | None) -> CheckMetadata:
    if not raw:
        return CheckMetadata()
    from service.boundedjson import BoundedJsonError, loads

    try:
        data = loads(raw)
    except BoundedJsonError as exc:
        raise IntegrityError(f"metadata {exc.message}", code="invalid_metadata", detail=exc.detail) from exc
    try:
        return CheckMetadata.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise IntegrityError(
            "metadata 字段有误：" + "；".join(f"{e['field']}: {e['message']}" for e in errors),
            code="invalid_metadata",
            detail={"errors": errors},
        ) from exc


def submit_job(
    *,
    kind: str,
    principal: Principal,
    settings: Settings,
    db: Database,
    queue: Any,
    upload: UploadFile,
    params: dict[str, Any],
    callback_url: str | None,
    idempotency_key: str | None,
    content_length: int | None,
    sniff: bool = True,
    policy_version: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store the upload and a queued job; returns (job view, replayed). Shared with other job kinds."""
    limit = settings.max_upload_bytes
    if content_length is not None and content_length > limit + 1024 * 1024:
        raise too_large(limit)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise IntegrityError("Idempotency-Key 长度须为 1 到 200 个字符", code="invalid_idempotency_key")
    if callback_url:
        validate_callback_url(callback_url, settings)

    job_id = secrets.token_hex(12)
    tmp_dir = settings.data_dir.resolve() / "uploads" / ".incoming"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        size, sha = save_limited(upload.file, tmp_path, limit)
        file_type = sniff_type(tmp_path) if sniff else None
        request_hash = hashlib.sha256(
            json.dumps([kind, sha, params, callback_url], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        if idempotency_key:
            existing = _find_idempotent(db, principal.tenant, idempotency_key)
            if existing is not None:
                return _replay(existing, request_hash), True
        name = safe_name(upload.filename, f"upload.{file_type or 'bin'}")
        dest_dir = upload_dir(settings, principal.tenant, job_id)
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / name
        shutil.move(tmp_path, dest)
    finally:
        tmp_path.unlink(missing_ok=True)

    job = Job(
        id=job_id,
        kind=kind,
        tenant=principal.tenant,
        key_id=principal.key_id,
        status="queued",
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        file_name=name,
        file_path=str(dest),
        file_sha256=sha,
        file_size=size,
        params={**params, "file_type": file_type},
        callback_url=callback_url,
        created_at=utcnow(),
    )
    try:
        with db.session() as s:
            s.add(job)
    except DbIntegrityError:  # a concurrent request with the same Idempotency-Key won
        shutil.rmtree(dest_dir, ignore_errors=True)
        existing = _find_idempotent(db, principal.tenant, idempotency_key or "")
        if existing is None:
            raise
        return _replay(existing, request_hash), True
    audit.record_by(
        db,
        principal,
        f"{kind}.submit",
        object_type=kind,
        object_id=job_id,
        file_sha256=sha,
        policy_version=policy_version or job_policy_version(None, params.get("metadata") or {}, settings),
        detail={"file_name": name, "file_size": size, "file_type": file_type},
    )
    try:
        published = queue.enqueue(job_id)
    except Exception as exc:
        if settings.queue_backend != "celery":
            log.exception("enqueue of %s failed", job_id)
            with db.session() as s:
                row = s.get(Job, job_id)
                if row is not None:
                    row.status = "failed"
                    row.finished_at = utcnow()
                    row.idempotency_key = None  # a retry with the same key must be accepted anew
                    row.error = {"code": "queue_unavailable", "message": "任务队列不可用，请稍后重新提交"}
            raise QueueUnavailable("任务队列不可用，请稍后重新提交") from exc
        # broker down: the job is stored and stays queued, unpublished; the sweeper publishes it later
        log.warning("broker unavailable, job %s left for the sweeper: %s", job_id, type(exc).__name__)
        published = False
    if published is not False:  # paused queues publish later (CeleryQueue.recover / in-process start-up)
        with db.session() as s:
            s.execute(update(Job).where(Job.id == job_id).values(enqueued_at=utcnow()))
    return job_to_dict(job), False


def _find_idempotent(db: Database, tenant: str, key: str) -> Job | None:
    with db.session() as s:
        return s.scalar(select(Job).where(Job.tenant == tenant, Job.idempotency_key == key))


def _replay(job: Job, request_hash: str) -> dict[str, Any]:
    if job.request_hash != request_hash:
        raise Conflict(
            "Idempotency-Key 已用于另一个不同的请求（文件或参数不同）",
            detail={"id": job.id},
        )
    return job_to_dict(job)


def accepted(view: dict[str, Any], replayed: bool, path: str) -> JSONResponse:
    body = {"id": view["id"], "status": view["status"], "status_url": f"{path}/{view['id']}"}
    headers = {"Location": body["status_url"]}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=202, headers=headers)


@router.post("/checks", status_code=202, summary="提交一篇论文进行检测（异步）")
def create_check(
    request: Request,
    file: Annotated[UploadFile, File(description="论文文件：PDF、DOCX 或 TXT")],
    metadata: Annotated[str | None, Form(description="JSON：applicant、claimed_level、journal …")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
    db: Database = Depends(get_db),
    queue: Any = Depends(get_queue),
) -> JSONResponse:
    meta = parse_metadata(metadata)
    if meta.add_to_corpus and not principal.can("reviewer"):  # corpus writes are for reviewers (README)
        raise Forbidden(
            "权限不足：add_to_corpus（将论文加入比对库）需要 reviewer 及以上角色，当前密钥角色为 "
            f"{principal.role}",
            detail={"required_role": "reviewer", "role": principal.role, "field": "metadata.add_to_corpus"},
        )
    if meta.callback_url and not principal.webhook_secret:
        # a signed-in person has no webhook secret: the callback would go out unsigned, so forgeable
        raise IntegrityError(
            "回调地址（metadata.callback_url）只能通过 API 密钥提交：网页登录用户没有签名密钥，"
            "回调无法签名。请在页面上查看结果，或由系统使用 API 密钥提交。",
            code="callback_requires_api_key",
        )
    policy = None
    if meta.verdict or meta.policy_id:  # a bad or unknown policy_id is refused now, not after the job ran
        from integrity.policy import load_policy

        policy = load_policy(meta.policy_id, settings)
    cl = request.headers.get("content-length")
    view, replayed = submit_job(
        kind="check",
        principal=principal,
        settings=settings,
        db=db,
        queue=queue,
        upload=file,
        params={"metadata": meta.model_dump(exclude_defaults=True)},
        policy_version=f"{policy.id}@{policy.version}" if policy else None,
        callback_url=meta.callback_url or principal.callback_url,
        idempotency_key=idempotency_key,
        content_length=int(cl) if cl and cl.isdigit() else None,
    )
    return accepted(view, replayed, "/v1/checks")


def load_job(db: Database, principal: Principal, job_id: str, kind: str) -> Job:
    """The job if it belongs to the caller's tenant; 404 otherwise (never reveal other tenants' ids)."""
    with db.session() as s:
        job = s.scalar(select(Job).where(Job.id == job_id, Job.tenant == principal.tenant, Job.kind == kind))
    if job is None:
        raise NotFound(f"检测任务不存在：{job_id}", detail={"id": job_id})
    return job


@router.get("/checks/{check_id}", summary="查询检测状态与结果")
def get_check(
    check_id: str,
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    job = load_job(db, principal, check_id, "check")
    if job.status == "done":
        audit.record_by(
            db,
            principal,
            "check.read",
            object_type="check",
            object_id=job.id,
            file_sha256=job.file_sha256,
            policy_version=job_policy_version(job.result, (job.params or {}).get("metadata") or {}, settings),
        )
    return job_to_dict(job)


@router.get("/checks", summary="列出本租户的检测任务")
def list_checks(
    principal: Principal = Depends(require_key("unit")),
    db: Database = Depends(get_db),
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    with db.session() as s:
        q = (
            select(Job)
            .where(Job.tenant == principal.tenant, Job.kind == "check")
            .order_by(Job.created_at.desc())
            .limit(limit)
        )
        if status:
            q = q.where(Job.status == status)
        jobs = list(s.scalars(q))
    return {"items": [history_item(j) for j in jobs]}


def history_item(job: Job) -> dict[str, Any]:
    """A list row: the job without its full result, plus what a clerk's history shows at a glance —
    applicant, total copy ratio, verdict and (for a batch paper) the batch and manifest row."""
    d = job_to_dict(job)
    result = d.pop("result", None) or {}
    params = job.params or {}
    meta = params.get("metadata") or {}
    verdict = result.get("verdict") or {}
    claims = (verdict.get("inputs") or {}).get("values") or {} if isinstance(verdict, dict) else {}
    d["applicant"] = meta.get("applicant") or claims.get("applicant")
    d["total_copy_ratio"] = (result.get("similarity") or {}).get("total_copy_ratio")
    d["verdict"] = (
        {
            "accepted": verdict.get("accepted"),
            "recognised_level": verdict.get("recognised_level"),
            "summary": verdict.get("summary"),
        }
        if verdict
        else None
    )
    d["batch_id"] = params.get("batch_id")
    d["batch_row"] = params.get("row")
    return d
