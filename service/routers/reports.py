"""Reports of checks (HTML/PDF) and their public verification.

- ``GET /v1/checks/{id}/report.html|.pdf`` — the tenant's own checks only (404 for others).
- ``GET /v1/reports/{code}/verify`` and the page ``GET /verify/{code}`` — public: whoever holds a printed
  report can confirm it. Every issued code is stored in the append-only audit trail
  (``action = report.issue``, ``object_id = code``); verification also recomputes the HMAC from the stored
  result, so a report whose figures were altered, or a code never issued, is not confirmed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from integrity.errors import IntegrityError
from integrity.report import render_report
from integrity.report import verify as rv
from integrity.settings import Settings
from service import audit
from service.auth import NotFound, Principal, require_key
from service.db import Database
from service.deps import get_db, get_settings
from service.models import AuditEvent, Job
from service.routers.checks import load_job

log = logging.getLogger(__name__)
router = APIRouter(tags=["reports"])
ISSUE_ACTION = "report.issue"


class CheckNotReady(IntegrityError):
    code = "check_not_ready"
    http_status = 409


@router.get("/v1/checks/{check_id}/report.{fmt}", summary="检测报告单（html、pdf、txt，见报告格式注册表）")
def report(
    check_id: str,
    fmt: str,
    principal: Principal = Depends(require_key("unit")),
    settings: Settings = Depends(get_settings),
    db: Database = Depends(get_db),
) -> Response:
    """One route for every registered format (integrity/report/registry.py); report.html and report.pdf
    keep their old URLs."""
    from integrity.report.registry import get

    renderer = get(fmt)
    data = _issue(check_id, renderer.fmt, principal, settings, db)
    headers = _report_headers() if renderer.fmt == "html" else {"X-Content-Type-Options": "nosniff"}
    if renderer.download:
        headers["Content-Disposition"] = f'attachment; filename="report-{check_id}.{renderer.fmt}"'
    return Response(data, media_type=renderer.media_type, headers=headers)


def _report_headers() -> dict[str, str]:
    # The report is static: no script may run in it, and it loads nothing from elsewhere.
    return {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff",
    }


def _issue(check_id: str, fmt: str, principal: Principal, settings: Settings, db: Database) -> bytes:
    job = load_job(db, principal, check_id, "check")
    if job.status != "done" or not job.result:
        raise CheckNotReady(
            f"检测尚未完成，暂不能生成报告（当前状态：{job.status}）", detail={"status": job.status}
        )
    result = job.result
    code = rv.verification_code(result, rv.signing_key(settings))
    _record_issue(db, job, code, fmt, tenant=principal.tenant, key_id=principal.key_id, role=principal.role)
    text = _paper_text(job, settings)
    return render_report(result, text, fmt=fmt, code=code, settings=settings)


def _record_issue(
    db: Database, job: Job, code: str, fmt: str, *, tenant: str, key_id: str | None, role: str | None
) -> None:
    """Store the issued code once (the audit trail is append-only: re-issuing the same code is a no-op)."""
    with db.session() as s:
        issued = s.scalar(
            select(AuditEvent.id).where(AuditEvent.action == ISSUE_ACTION, AuditEvent.object_id == code)
        )
    if issued is None:
        audit.record(
            db,
            tenant=tenant,
            key_id=key_id,
            role=role,
            action=ISSUE_ACTION,
            object_type="report",
            object_id=code,
            file_sha256=job.file_sha256,
            detail={"check_id": job.id, "digest": rv.result_digest(job.result or {}), "format": fmt},
        )


def register_cli_report(result: dict[str, Any], settings: Settings, fmt: str) -> str:
    """Register a report made by ``integrity report --register`` in this installation's service database,
    so its code verifies online: the result is stored as a finished check of ``admin_tenant``."""
    from service.models import utcnow

    code = rv.verification_code(result, rv.signing_key(settings))
    paper = result.get("paper") or {}
    now = utcnow()
    job = Job(
        id="cli-" + rv.result_digest(result)[:28],
        kind="check",
        tenant=settings.admin_tenant,
        status="done",
        file_name=paper.get("file_name"),
        file_sha256=paper.get("sha256"),
        params={"source": "cli"},
        result=result,
        created_at=now,
        started_at=now,
        finished_at=now,
    )
    db = Database(settings)
    try:
        db.upgrade()
        with db.session() as s:
            if s.get(Job, job.id) is None:
                s.add(job)
        _record_issue(db, job, code, fmt, tenant=settings.admin_tenant, key_id=None, role="cli")
    finally:
        db.dispose()
    return code


def _paper_text(job: Job, settings: Settings) -> str | None:
    """The uploaded paper's text for highlighting, while the upload is kept (cached beside it)."""
    from integrity.check import _sha256
    from integrity.ingest import extract

    if not job.file_path or job.file_deleted_at is not None:
        return None
    path = Path(job.file_path)
    cache = path.with_name(path.name + ".report-text")
    try:
        if cache.is_file():
            return cache.read_text(encoding="utf-8")
        if not path.is_file() or (job.file_sha256 and _sha256(path) != job.file_sha256):
            return None
        text = extract(path, settings).text
        cache.write_text(text, encoding="utf-8")
        return text
    except (IntegrityError, OSError) as exc:  # the report still renders, with passages only
        log.warning("no paper text for report of %s: %s", job.id, exc)
        return None


def display_time(when: Any, settings: Settings) -> str:
    from integrity.report.html import display_time as show

    return show(when, settings)


def verification(code: str, settings: Settings, db: Database) -> dict[str, Any]:
    """What the public may learn from a valid code: the figures and verdict of that report."""
    norm = rv.normalise_code(code)
    if len(norm) != rv.CODE_LENGTH:
        raise NotFound("验证码格式不正确", code="report_not_found")
    with db.session() as s:
        event = s.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == ISSUE_ACTION, AuditEvent.object_id == norm)
            .order_by(AuditEvent.id)
            .limit(1)
        )
        job = s.get(Job, str((event.detail or {}).get("check_id"))) if event is not None else None
    if (event is None or job is None or not job.result) and rv.is_offline_code(norm):
        raise NotFound(
            "这是离线报告的验证码：离线报告未登记到核验服务，无法在线核验，请向出具报告的单位核实",
            code="offline_report",
        )
    if event is None or job is None or not job.result:
        raise NotFound("未找到该验证码对应的报告：报告可能是伪造的", code="report_not_found")
    result = job.result
    valid = rv.check_code(result, norm, rv.signing_key(settings))
    sim = result.get("similarity") or {}
    verdict = result.get("verdict") or {}
    meta = (result.get("paper") or {}).get("metadata") or {}
    title = (meta.get("title") or {}).get("value") if isinstance(meta.get("title"), dict) else None
    return {
        "valid": valid,
        "code": rv.format_code(norm),
        "issued_at": event.at.isoformat() if event.at else None,
        "issued_at_display": display_time(event.at, settings) if event.at else None,
        "digest": rv.result_digest(result),
        "paper": {
            "title": title or job.file_name,
            "file_name": job.file_name,
            "sha256": (result.get("paper") or {}).get("sha256"),
        },
        "similarity": {
            k: sim.get(k)
            for k in (
                "total_copy_ratio",
                "copy_ratio_excluding_references",
                "copy_ratio_excluding_self",
                "max_single_source_ratio",
                "copied_chars",
                "total_chars",
            )
        },
        "verdict": {k: verdict.get(k) for k in ("accepted", "summary", "recognised_level", "policy_id")}
        if verdict
        else None,
    }


@router.get("/v1/reports/{code}/verify", summary="核验报告验证码（公开）")
def verify_report(
    code: str, settings: Settings = Depends(get_settings), db: Database = Depends(get_db)
) -> dict[str, Any]:
    return verification(code, settings, db)


@router.get("/verify/{code}", include_in_schema=False, response_class=HTMLResponse)
def verify_page(code: str, request: Request) -> HTMLResponse:
    from service.web import render_verify_page

    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    try:
        data: dict[str, Any] | None = verification(code, settings, db)
        status = 200
    except IntegrityError:
        data, status = None, 404
    return HTMLResponse(render_verify_page(code, data), status_code=status)
