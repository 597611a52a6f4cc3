"""Jobs: a registry of job kinds, the one execution function both backends call, and the two queues.

- ``JOB_KINDS`` maps a kind (``"check"``, later ``"batch"``) to ``fn(ctx) -> result dict``. Register a new
  kind with ``@job_kind("batch")``; it then runs on the in-process runner and on Celery workers alike.
- ``execute_job(job_id, settings, db)`` claims the persisted job, runs its kind, stores the result or the
  error. It is idempotent: a finished job is never run again, so broker redelivery and restarts are safe.
- ``InProcessQueue`` (embedded default): a thread pool; jobs live in the database, so queued or
  running jobs are resumed when the server starts again. ``CeleryQueue``: sends the job id to
  ``workers.tasks.run_job`` (JSON only). The backend is chosen by ``settings.queue_backend``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select, update

from integrity.errors import IntegrityError
from integrity.settings import Settings
from service import audit
from service.db import Database
from service.models import Job, utcnow

log = logging.getLogger(__name__)

TERMINAL = ("done", "failed")
MAX_JOB_ATTEMPTS = 3  # a job that crashed its process this often is failed, not resumed forever


@dataclass
class JobContext:
    """What a job kind gets: its persisted parameters, its uploaded file and a progress callback."""

    job_id: str
    kind: str
    tenant: str
    key_id: str | None
    params: dict[str, Any]
    file_path: Path | None
    file_name: str | None
    settings: Settings
    db: Database
    attempt: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def set_progress(self, **progress: Any) -> None:
        """Store progress (e.g. ``done=3, total=10``) readable by ``GET`` while the job runs."""
        with self.db.session() as s:
            s.execute(update(Job).where(Job.id == self.job_id).values(progress=progress))


JobFn = Callable[[JobContext], dict[str, Any]]
JOB_KINDS: dict[str, JobFn] = {}


def job_kind(name: str) -> Callable[[JobFn], JobFn]:
    """Decorator registering ``fn`` as the runner of jobs of kind ``name``."""

    def deco(fn: JobFn) -> JobFn:
        JOB_KINDS[name] = fn
        return fn

    return deco


def load_job_kinds() -> None:
    """Import the modules that register job kinds (the check job, and others' if present)."""
    import importlib

    for mod in ("service.check_job", "service.batch_job"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def warm_up(settings: Settings) -> None:
    """Load what the first check of a process would otherwise pay for (seconds): the journal
    catalogue and its fuzzy-name index, the tokeniser dictionary, the job modules."""
    import time

    t0 = time.perf_counter()
    try:
        load_job_kinds()
        from integrity.catalogue import Catalogue
        from integrity.text.tokenise import tokenise

        Catalogue.open(settings.catalogue_path).lookup("预热查询不存在的期刊名称", 2020)
        tokenise("预热分词词典")
    except Exception as exc:  # a missing catalogue is reported by the checks themselves
        log.warning("warm-up incomplete: %s", exc)
    log.info("warm-up done in %.1fs", time.perf_counter() - t0)


def job_to_dict(job: Job) -> dict[str, Any]:
    """The public view of a job (``GET /v1/checks/{id}`` and webhook payloads)."""
    d: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "result": job.result if job.status == "done" else None,
        "error": job.error,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "file_name": job.file_name,
        "file_sha256": job.file_sha256,
        "file_deleted": job.file_deleted_at is not None,
    }
    if job.progress is not None:
        d["progress"] = job.progress
    return d


def policy_version(result: dict[str, Any] | None, params: dict[str, Any], settings: Settings) -> str:
    """The policy id (and version, when the verdict names one) a result was judged under."""
    verdict = (result or {}).get("verdict") or {}
    if isinstance(verdict, dict):
        pol = verdict.get("policy")
        if isinstance(pol, dict):
            pid, ver = pol.get("id") or pol.get("policy_id"), pol.get("version")
            if pid:
                return f"{pid}@{ver}" if ver else str(pid)
        pid = verdict.get("policy_id")
        if pid:
            ver = verdict.get("policy_version")
            return f"{pid}@{ver}" if ver else str(pid)
    return str(params.get("policy_id") or settings.default_policy)


def _claim(job_id: str, db: Database, owner: str, lease_s: float) -> JobContext | None:
    """Mark the job running under ``owner``'s lease and return its context, or ``None`` when there is
    nothing to do (finished, or running under another runner's live lease: a duplicate message)."""
    from datetime import timedelta

    with db.session() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None:
            log.warning("job %s does not exist", job_id)
            return None
        if job.status in TERMINAL:
            return None
        now = utcnow()
        if (
            job.status == "running"
            and job.lease_owner not in (None, owner)
            and job.lease_expires_at is not None
            and job.lease_expires_at > now
        ):
            log.info("job %s is running under %s's lease; duplicate skipped", job_id, job.lease_owner)
            return None
        if job.attempts >= MAX_JOB_ATTEMPTS:
            job.status = "failed"
            job.finished_at = utcnow()
            job.error = {
                "code": "job_crashed",
                "message": f"任务已尝试 {job.attempts} 次均未完成（进程中断），已停止重试",
                "detail": {"attempts": job.attempts, "limit": MAX_JOB_ATTEMPTS},
            }
            if job.callback_url:
                job.webhook_status = "pending"  # the caller still learns that it failed
            return None
        job.status = "running"
        job.started_at = now
        job.attempts += 1
        job.lease_owner = owner
        job.lease_expires_at = now + timedelta(seconds=lease_s)
        return JobContext(
            job_id=job.id,
            kind=job.kind,
            tenant=job.tenant,
            key_id=job.key_id,
            params=dict(job.params or {}),
            file_path=Path(job.file_path) if job.file_path else None,
            file_name=job.file_name,
            settings=None,  # type: ignore[arg-type]  # filled by execute_job
            db=db,
            attempt=job.attempts,
        )


def execute_job(job_id: str, settings: Settings, db: Database, owner: str | None = None) -> bool:
    """Run one job to completion. Returns True when a webhook delivery should follow.

    Errors of the job itself (bad input, corpus problems, bugs) fail the job with a JSON error;
    database or broker errors propagate so the caller (Celery) can retry. ``owner`` names the lease
    holder (the Celery task id, stable across its retries); the lease is renewed while the job runs.
    Completion is written once: a duplicate run that finishes second changes nothing.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from service.job_leases import Heartbeat, new_owner

    load_job_kinds()
    owner = new_owner(owner)
    ctx = _claim(job_id, db, owner, settings.job_lease_s)
    if ctx is None:
        with db.session() as s:
            job = s.get(Job, job_id)
            return bool(job is not None and job.callback_url and job.webhook_status == "pending")
    ctx.settings = settings
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    fn = JOB_KINDS.get(ctx.kind)
    try:
        with Heartbeat(db, job_id, owner, settings.job_lease_s):
            if fn is None:
                raise IntegrityError(f"未知的任务类型：{ctx.kind}", code="unknown_job_kind")
            result = fn(ctx)
    except IntegrityError as exc:
        error = exc.to_dict()
    except (OperationalError, InterfaceError):
        raise  # the database is down: the job is not at fault; retried, or republished when the lease expires
    except Exception as exc:  # a bug must fail the job visibly, not leave it running forever
        if type(exc).__name__ == "SoftTimeLimitExceeded":
            error = {
                "code": "job_timeout",
                "message": f"任务超过时间限制（{settings.task_time_limit_s} 秒），已停止",
                "detail": {"limit_s": settings.task_time_limit_s},
            }
        else:
            log.exception("job %s (%s) crashed", job_id, ctx.kind)
            error = {"code": "internal_error", "message": f"内部错误：{type(exc).__name__}", "detail": {}}
    status = "done" if error is None else "failed"
    with db.session() as s:
        job = s.get(Job, job_id, with_for_update=True)
        assert job is not None
        if job.status in TERMINAL:  # a duplicate run finished first: same deterministic result
            return False
        job.status = status
        job.result = result
        job.error = error
        job.finished_at = utcnow()
        job.lease_owner = None
        job.lease_expires_at = None
        if job.callback_url:
            job.webhook_status = "pending"
        has_callback = bool(job.callback_url)
        sha = job.file_sha256
    audit.record(
        db,
        tenant=ctx.tenant,
        key_id=ctx.key_id,
        action=f"{ctx.kind}.{status}",
        object_type=ctx.kind,
        object_id=job_id,
        file_sha256=sha,
        policy_version=policy_version(result, ctx.params, settings),
        detail={"error_code": error["code"]} if error else None,
    )
    return has_callback


class JobQueue(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def enqueue(self, job_id: str) -> bool: ...
    def ping(self) -> None: ...
    def recover(self, min_age_s: float = 60.0) -> int: ...


class InProcessQueue:
    """Thread pool over the database: nothing is lost on restart because the job rows are the queue."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self.pool: ThreadPoolExecutor | None = None
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        self.pool = ThreadPoolExecutor(self.settings.worker_threads, thread_name_prefix="integrity-job")
        threading.Thread(target=warm_up, args=(self.settings,), name="integrity-warm-up", daemon=True).start()
        if self.settings.queue_paused:
            log.warning("queue paused (INTEGRITY_QUEUE_PAUSED): jobs are accepted but not started")
            return
        with self.db.session() as s:
            # one embedded process owns the queue: leases of running jobs belong to its dead predecessor
            s.execute(
                update(Job).where(Job.status == "running").values(lease_owner=None, lease_expires_at=None)
            )
            pending = s.scalars(
                select(Job.id).where(Job.status.in_(("queued", "running"))).order_by(Job.created_at)
            ).all()
            webhooks = s.scalars(
                select(Job.id).where(Job.status.in_(TERMINAL), Job.webhook_status == "pending")
            ).all()
        if pending:
            log.info("resuming %d queued/running jobs", len(pending))
        for job_id in pending:
            self.enqueue(job_id)
        for job_id in webhooks:
            self._schedule_webhook(job_id, 0.0)

    def stop(self) -> None:
        self._stopping = True
        with self._lock:
            for t in self._timers:
                t.cancel()
            self._timers.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def recover(self, min_age_s: float = 60.0) -> int:
        return 0  # start() already resumes every queued or running job

    def ping(self) -> None:
        if self.pool is None:
            raise IntegrityError("任务队列未启动", code="queue_unavailable")

    def enqueue(self, job_id: str) -> bool:
        """Start the job soon; False when paused or stopping (it stays queued and resumes at start-up)."""
        if self.settings.queue_paused or self.pool is None or self._stopping:
            return False
        self.pool.submit(self._run, job_id)
        return True

    def _run(self, job_id: str) -> None:
        try:
            if execute_job(job_id, self.settings, self.db):
                self._deliver(job_id)
        except Exception:
            log.exception("job %s: runner error; it stays queued and is resumed at the next start", job_id)

    def _deliver(self, job_id: str) -> None:
        from service.webhooks import backoff_delay, deliver_once

        if self._stopping:
            return
        try:
            state = deliver_once(job_id, self.settings, self.db)
        except Exception:
            log.exception("webhook %s: delivery error", job_id)
            state = "retry"
        if state == "retry":
            with self.db.session() as s:
                job = s.get(Job, job_id)
                attempts = job.webhook_attempts if job else 1
            self._schedule_webhook(job_id, backoff_delay(self.settings, max(1, attempts)))

    def _schedule_webhook(self, job_id: str, delay: float) -> None:
        if self._stopping:
            return

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            if self.pool is not None and not self._stopping:
                self.pool.submit(self._deliver, job_id)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()


class CeleryQueue:
    """Hands job ids to Celery workers (``workers.tasks.run_job``) over the Redis broker."""

    def __init__(self, settings: Settings, db: Database):
        from service.job_leases import Sweeper

        self.settings = settings
        self.db = db
        self._app: Any = None
        self.sweeper = Sweeper(db, settings, self.enqueue)

    def start(self) -> None:
        from workers.app import make_celery

        self._app = make_celery(self.settings)
        try:
            self.recover()
        except Exception as exc:  # database or broker down at start-up: the sweeper retries
            log.warning("job recovery at start-up failed: %s", exc)
        self.sweeper.start()

    def recover(self, min_age_s: float = 60.0) -> int:
        """Publish what the database says needs it: jobs never handed to the broker, jobs whose
        publication is stale (the broker lost them; ``enqueued_at`` is no proof of delivery) and running
        jobs whose lease expired (their worker died). See ``service.job_leases``."""
        from service.job_leases import sweep

        if self.settings.queue_paused:
            return 0
        return sweep(self.db, self.settings, self.enqueue)

    def stop(self) -> None:
        self.sweeper.stop()

    def ping(self) -> None:
        import redis

        try:
            redis.Redis.from_url(self.settings.broker_url, socket_timeout=3).ping()
        except redis.RedisError as exc:
            raise IntegrityError("消息队列不可用（Redis broker）", code="broker_unavailable") from exc

    def enqueue(self, job_id: str) -> bool:
        """Publish the job's task; False when paused (``recover`` publishes it later)."""
        if self.settings.queue_paused:
            return False
        if self._app is None:
            from workers.app import make_celery

            self._app = make_celery(self.settings)
        self._app.send_task("integrity.run_job", args=[job_id], queue=self.settings.celery_queue)
        return True


def make_queue(settings: Settings, db: Database) -> JobQueue:
    if settings.queue_backend == "celery":
        return CeleryQueue(settings, db)
    return InProcessQueue(settings, db)
