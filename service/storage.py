"""Tenant-scoped local files: uploads and per-tenant corpora under ``settings.data_dir``, plus retention.

Paths are built only from validated tenant names and server-generated ids; the uploaded file name is
reduced to a safe basename. Uploads are deleted ``retention_days`` after their job finished; results
stay in the database.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from integrity.settings import Settings
from service.auth import validate_tenant
from service.db import Database
from service.models import Job, utcnow

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w.\-\u3000-\u9fff\uff00-\uffef]+")


def safe_name(name: str | None, default: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._")[:120]
    return base or default


def upload_dir(settings: Settings, tenant: str, job_id: str) -> Path:
    return settings.data_dir.resolve() / "uploads" / validate_tenant(tenant) / job_id


def corpus_dir(settings: Settings, tenant: str) -> Path:
    return settings.data_dir.resolve() / "corpora" / validate_tenant(tenant)


def purge_expired_uploads(db: Database, settings: Settings) -> int:
    """Delete uploaded files of jobs finished more than ``retention_days`` ago. Returns how many."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    purged = 0
    with db.session() as s:
        jobs = s.scalars(
            select(Job).where(
                Job.status.in_(("done", "failed")),
                Job.file_deleted_at.is_(None),
                Job.file_path.is_not(None),
                Job.finished_at < cutoff,
            )
        ).all()
        for job in jobs:
            path = Path(job.file_path or "")
            folder = upload_dir(settings, job.tenant, job.id)
            if path.parent == folder and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            job.file_deleted_at = utcnow()
            purged += 1
    incoming = settings.data_dir.resolve() / "uploads" / ".incoming"
    if incoming.is_dir():  # partial uploads of a process that died while receiving them
        stale = time.time() - 86400
        for leftover in incoming.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < stale:
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink()
    if purged:
        log.info("retention: deleted uploads of %d jobs older than %d days", purged, settings.retention_days)
    return purged
