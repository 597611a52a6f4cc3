"""The Celery app, configured from ``integrity.settings`` only.

Reliability choices: ``acks_late`` + ``reject_on_worker_lost`` (a task whose worker dies is redelivered,
and tasks are idempotent so that is safe), prefetch 1 (long tasks are not hoarded), a broker visibility
timeout longer than the hard task time limit (Redis never redelivers a task that is still running),
JSON as the only accepted content type (never pickle). Results live in the service database, so no
result backend is configured.

Run: ``celery -A workers.app worker -Q <settings.celery_queue>`` or ``integrity worker``.
"""

from __future__ import annotations

from celery import Celery

from integrity.settings import Settings, get_settings


def soft_time_limit(hard_s: int) -> int:
    """The soft limit: 90 % of the hard one, so the job can record its own timeout before the kill
    (``hard - 30`` gave 1 s for a 30 s limit, killing every job after a second)."""
    return max(1, min(hard_s - 1, int(hard_s * 0.9)))


def make_celery(settings: Settings) -> Celery:
    # settings guarantee celery_visibility_timeout_s > task_time_limit_s (see integrity.settings)
    app = Celery("integrity", broker=settings.broker_url, include=["workers.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_proc_alive_timeout=30,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=soft_time_limit(settings.task_time_limit_s),
        task_default_queue=settings.celery_queue,
        task_routes={"integrity.*": {"queue": settings.celery_queue}},
        broker_transport_options={"visibility_timeout": settings.celery_visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        enable_utc=True,
    )
    return app


app = make_celery(get_settings())
