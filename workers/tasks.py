"""Celery tasks: thin, idempotent wrappers. ``run_job`` calls ``service.jobs.execute_job`` — the same
function the in-process runner calls — and ``deliver_webhook`` makes one signed delivery attempt,
retrying with exponential backoff up to ``settings.webhook_max_attempts``.

Only the job id crosses the broker (JSON); the job's parameters and file are read from the database
and the shared data directory, scoped by the job's tenant.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import Any

from celery.signals import worker_process_init, worker_ready
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError as DbInterfaceError
from sqlalchemy.exc import OperationalError as DbOperationalError

from integrity.settings import get_settings
from service.db import Database
from workers.app import app

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def database() -> Database:
    return Database(get_settings())


@worker_process_init.connect
def _warm_child(**_: Any) -> None:
    """Prefork children: warm up after the fork (no SQLite handle is shared across processes), in a
    thread so the child reports ready at once (Celery kills children that take too long to start)."""
    import threading

    from service.jobs import warm_up

    threading.Thread(target=warm_up, args=(get_settings(),), name="integrity-warm-up", daemon=True).start()


@worker_ready.connect
def _warm_single(sender: Any = None, **_: Any) -> None:
    """Solo/threads pools run tasks in this process: warm it up too."""
    pool = getattr(sender, "pool", None)
    if pool is not None and type(pool).__module__.endswith("prefork"):
        return
    from service.jobs import warm_up

    warm_up(get_settings())


DB_ERRORS = (DbOperationalError, DbInterfaceError)


def db_retry_delay(retries: int) -> float:
    """Backoff while the database is down: 2, 4, 8 … s, at most 60 s between attempts."""
    return float(min(60, 2 ** (retries + 1)))


@app.task(
    name="integrity.run_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(RedisConnectionError, KombuOperationalError, ConnectionError),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
)
def run_job(self: Any, job_id: str, db_down_since: float | None = None) -> None:
    """Run the job. While the database is unreachable (PostgreSQL restart) the task retries with
    backoff for up to ``INTEGRITY_JOB_DB_RETRY_S``; after that the API's sweeper republishes the job
    once its lease or publication is stale, so an accepted job is never lost either way."""
    from service.jobs import execute_job

    settings = get_settings()
    try:
        callback = execute_job(str(job_id), settings, database(), owner=self.request.id)
    except DB_ERRORS as exc:
        since = db_down_since or time.time()
        if time.time() - since >= settings.job_db_retry_s:
            log.error(
                "job %s: database unreachable for %.0fs; left to the sweeper", job_id, time.time() - since
            )
            raise
        log.warning("job %s: database unreachable (%s); retrying", job_id, type(exc).__name__)
        raise self.retry(
            exc=exc,
            countdown=db_retry_delay(self.request.retries),
            max_retries=None,
            kwargs={"db_down_since": since},
        ) from exc
    if callback:
        deliver_webhook.apply_async(args=[job_id], queue=settings.celery_queue)


@app.task(name="integrity.deliver_webhook", bind=True, acks_late=True, max_retries=20)
def deliver_webhook(self: Any, job_id: str) -> str:
    from service.webhooks import backoff_delay, deliver_once

    settings = get_settings()
    state = deliver_once(str(job_id), settings, database())
    if state == "retry":
        raise self.retry(countdown=backoff_delay(settings, self.request.retries + 1))
    return state
