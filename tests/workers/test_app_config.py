"""The Celery app's reliability settings (acks_late, JSON only, visibility timeout > time limit)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from integrity.settings import Settings
from workers.app import make_celery


def test_celery_configuration() -> None:
    s = Settings(celery_queue="q-test", task_time_limit_s=600, celery_visibility_timeout_s=900)
    conf = make_celery(s).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_time_limit == 600
    assert conf.broker_transport_options["visibility_timeout"] == 900
    assert conf.task_default_queue == "q-test"
    from workers import tasks

    run_job = tasks.app.tasks["integrity.run_job"]
    assert run_job.acks_late and run_job.reject_on_worker_lost and run_job.max_retries == 3


def test_visibility_timeout_must_exceed_time_limit() -> None:
    with pytest.raises(ValidationError, match="INTEGRITY_CELERY_VISIBILITY_TIMEOUT_S"):
        Settings(task_time_limit_s=3600, celery_visibility_timeout_s=3600)
