"""Job leases and the sweeper: the job row in the database is the truth, the broker only a hint.

Why: a Redis broker restarted without persistence forgets queued messages, a worker killed with
``kill -9`` leaves its job ``running`` until the broker's visibility timeout (hours), and a database
outage makes a worker give up. So

- a worker that runs a job holds a *lease* (``jobs.lease_owner``, ``jobs.lease_expires_at``) which a
  heartbeat thread renews every third of ``INTEGRITY_JOB_LEASE_S``;
- API processes (Celery mode) sweep every ``INTEGRITY_JOB_SWEEP_INTERVAL_S``: running jobs whose lease
  expired and queued jobs whose publication is older than ``INTEGRITY_JOB_PUBLISH_STALE_S`` (or that were
  never published) are claimed with one conditional ``UPDATE … RETURNING`` — so two sweepers never
  publish the same job twice — and published again.

A duplicate message is harmless: ``execute_job`` skips finished jobs and jobs leased by another
runner, completion writes only once, and results are deterministic.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, or_, update

from integrity.settings import Settings
from service.db import Database
from service.models import Job, utcnow

log = logging.getLogger(__name__)


def new_owner(task_id: str | None = None) -> str:
    """A lease owner id. A Celery task id is used as is: it survives the task's retries and its
    redelivery after a killed prefork child (the message's earlier holder is gone), while a duplicate
    message published by the sweeper has a task id of its own. Otherwise host, process and a random id."""
    if task_id:
        return f"task:{task_id}"[:200]
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


class Heartbeat:
    """Renews a job's lease until stopped. A failed renewal (database down) is retried next beat; the
    lease then may expire and the job be republished, which is safe."""

    def __init__(self, db: Database, job_id: str, owner: str, lease_s: float):
        self.db, self.job_id, self.owner, self.lease_s = db, job_id, owner, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                with self.db.session() as s:
                    s.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.lease_owner == self.owner, Job.status == "running")
                        .values(lease_expires_at=utcnow() + timedelta(seconds=self.lease_s))
                    )
            except Exception as exc:
                log.warning("job %s: lease renewal failed: %s", self.job_id, exc)


def claim_stale(db: Database, settings: Settings) -> list[str]:
    """Atomically take the jobs that need publishing again and mark them published now.

    The ``WHERE`` is re-checked on each row under its row lock (PostgreSQL) or the database lock
    (SQLite), so of two concurrent sweepers only one gets a given job.
    """
    now = utcnow()
    publish_cutoff = now - timedelta(seconds=settings.job_publish_stale_s)
    # never-published rows: leave the request that is committing right now a moment to publish itself
    fresh_cutoff = now - timedelta(seconds=min(60.0, settings.job_publish_stale_s))
    legacy_cutoff = now - timedelta(seconds=settings.task_time_limit_s)
    with db.session() as s:
        expired = s.scalars(
            update(Job)
            .where(
                Job.status == "running",
                or_(
                    Job.lease_expires_at < now,
                    and_(Job.lease_expires_at.is_(None), Job.started_at < legacy_cutoff),
                ),
            )
            .values(status="queued", lease_owner=None, lease_expires_at=None, enqueued_at=now)
            .returning(Job.id)
        ).all()
    with db.session() as s:
        stale = s.scalars(
            update(Job)
            .where(
                Job.status == "queued",
                or_(
                    Job.enqueued_at < publish_cutoff,
                    and_(Job.enqueued_at.is_(None), Job.created_at < fresh_cutoff),
                ),
            )
            .values(enqueued_at=now)
            .returning(Job.id)
        ).all()
    return list(expired) + list(stale)


def sweep(db: Database, settings: Settings, publish: Callable[[str], bool]) -> int:
    """One sweep: claim stale jobs and publish them. A job that cannot be published (broker down) is
    marked unpublished again, so the next sweep retries it."""
    ids = claim_stale(db, settings)
    failed: list[str] = []
    for job_id in ids:
        try:
            if not publish(job_id):
                failed.append(job_id)
        except Exception as exc:
            log.warning("job %s: republish failed: %s", job_id, exc)
            failed.append(job_id)
    if failed:
        with db.session() as s:
            s.execute(update(Job).where(Job.id.in_(failed), Job.status == "queued").values(enqueued_at=None))
    if ids:
        log.warning("republished %d stale jobs (%d failed)", len(ids) - len(failed), len(failed))
    return len(ids) - len(failed)


class Sweeper:
    """The background thread of an API process that runs ``sweep`` every ``job_sweep_interval_s``."""

    def __init__(self, db: Database, settings: Settings, publish: Callable[[str], bool]):
        self.db, self.settings, self.publish = db, settings, publish
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="integrity-job-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.job_sweep_interval_s):
            if self.settings.queue_paused:
                continue
            try:
                sweep(self.db, self.settings, self.publish)
            except Exception as exc:  # database down: try again next interval
                log.warning("job sweep failed: %s", exc)
