"""Celery tasks: thin, idempotent wrappers. ``run_job`` calls ``service.jobs.execute_job`` — the same
function the in-process runner calls — and ``deliver_webhook`` makes one signed delivery attempt,
retrying with exponential backoff up to ``settings.webhook_max_attempts``.

Only the job id crosses the broker (JSON); the job's parameters and file are read from the database
and the shared data directory, scoped by the job's tenant.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery.signals import worker_process_init, worker_ready
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError as DbOperationalError

from integrity.settings import get_settings
from service.db import Database
from workers.app import app

log = logging.getLogger(__name__)
TRANSIENT = (DbOperationalError, RedisConnectionError, KombuOperationalError, ConnectionError)


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


@app.task(
    name="integrity.run_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
)
def run_job(self: Any, job_id: str) -> None:
    from service.jobs import execute_job

    settings = get_settings()
    if execute_job(str(job_id), settings, database()):
        deliver_webhook.apply_async(args=[job_id], queue=settings.celery_queue)


@app.task(name="integrity.deliver_webhook", bind=True, acks_late=True, max_retries=20)
def deliver_webhook(self: Any, job_id: str) -> str:
    from service.webhooks import backoff_delay, deliver_once

    settings = get_settings()
    state = deliver_once(str(job_id), settings, database())
    if state == "retry":
        raise self.retry(countdown=backoff_delay(settings, self.request.retries + 1))
    return state
