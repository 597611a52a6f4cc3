"""Outages answer 503 with ``Retry-After`` and a zh-CN message, never 500 (issue 10 item 4).

PostgreSQL and Redis are made unreachable by pointing the app at a closed port (127.0.0.1:1).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from service.app import create_app
from service.models import Job, utcnow
from tests.service.helpers import ADMIN_KEY, TestClient, auth, make_settings

CLOSED = "127.0.0.1:1"


def assert_outage(r: object, code: str) -> None:
    status, headers, body = r.status_code, r.headers, r.json()  # type: ignore[attr-defined]
    assert status == 503, body
    assert headers["retry-after"].isdigit() and int(headers["retry-after"]) > 0
    assert body["error"]["code"] == code
    assert "暂时不可用" in body["error"]["message"]
    assert CLOSED not in str(body) and "psycopg" not in str(body)


def test_database_down_answers_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=f"postgresql+psycopg://postgres@{CLOSED}/integrity")
    client = TestClient(create_app(settings), raise_server_exceptions=False)  # no start-up: the DB is down
    admin = auth(ADMIN_KEY)
    assert_outage(client.get("/v1/checks", headers=admin), "database_unavailable")
    assert_outage(client.get("/v1/checks/abc", headers=admin), "database_unavailable")
    r = client.post("/v1/checks", files={"file": ("p.txt", "正文。".encode() * 50)}, headers=admin)
    assert_outage(r, "database_unavailable")
    assert_outage(client.get("/v1/reports/ABCDE-FGHJK-LMNPQ-RSTVW/verify"), "database_unavailable")
    assert client.get("/readyz").status_code == 503


def test_redis_down_in_celery_mode_keeps_serving_and_keeps_the_job(tmp_path: Path, redis_url: str) -> None:
    import redis

    down = make_settings(
        tmp_path,
        queue_backend="celery",
        broker_url=f"redis://{CLOSED}/0",
        redis_url=f"redis://{CLOSED}/0",
        rate_limit_per_minute=4,
    )
    admin = auth(ADMIN_KEY)
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        assert client.get("/v1/checks", headers=admin).status_code == 200  # rate limiter fell back
        r = client.post("/v1/checks", files={"file": ("p.txt", "正文内容。".encode() * 50)}, headers=admin)
        assert r.status_code == 202, r.text  # accepted and stored; the broker gets it later
        job_id = r.json()["id"]
        assert client.get(f"/v1/checks/{job_id}", headers=admin).json()["status"] == "queued"
        codes = [client.get("/v1/checks", headers=admin).status_code for _ in range(3)]
        assert codes == [200, 429, 429]  # the in-process fallback still limits
        db = client.app.state.db  # type: ignore[attr-defined]
        with db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.status == "queued" and job.enqueued_at is None
            s.execute(update(Job).where(Job.id == job_id).values(created_at=utcnow() - timedelta(minutes=5)))
    # the broker is back: the sweeper (here called once directly) publishes the stored job
    queue_name = f"integrity-outage-{uuid.uuid4().hex[:8]}"
    broker = redis_url.rsplit("/", 1)[0] + "/9"
    up = make_settings(
        tmp_path, queue_backend="celery", broker_url=broker, redis_url=broker, celery_queue=queue_name
    )
    client_redis = redis.Redis.from_url(broker)
    try:
        with TestClient(create_app(up)) as client:
            with client.app.state.db.session() as s:  # type: ignore[attr-defined]
                job = s.get(Job, job_id)
                assert job is not None and job.enqueued_at is not None  # start-up published it
            assert client_redis.llen(queue_name) == 1
    finally:
        client_redis.delete(queue_name)


@pytest.mark.parametrize("limit", [2])
def test_rate_limiter_falls_back_when_redis_is_down(limit: int) -> None:
    from service.ratelimit import RateLimited, RedisRateLimiter

    limiter = RedisRateLimiter(limit, f"redis://{CLOSED}/0", "x")
    for _ in range(limit):
        limiter.hit("k", "t")
    with pytest.raises(RateLimited):
        limiter.hit("k", "t")
