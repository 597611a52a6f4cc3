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


@pytest.mark.parametrize(("hard", "soft"), [(30, 27), (10, 9), (1800, 1620), (2, 1)])
def test_soft_time_limit_is_most_of_the_hard_limit(hard: int, soft: int) -> None:
    """``TASK_TIME_LIMIT_S=30`` gave a 1 s soft limit (hard - 30): every job was stopped after a second."""
    s = Settings(task_time_limit_s=max(hard, 10), celery_visibility_timeout_s=7200)
    from workers.app import soft_time_limit

    assert soft_time_limit(hard) == soft
    conf = make_celery(s).conf
    assert conf.task_soft_time_limit == soft_time_limit(s.task_time_limit_s) < conf.task_time_limit
