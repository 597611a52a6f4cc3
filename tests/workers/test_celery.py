"""Scale-out mode against real PostgreSQL, Redis and a Celery worker process (no eager mode):
upload → webhook → result equals the CLI's JSON; cross-tenant denial; Redis rate limit; readiness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.settings import Settings
from service.app import create_app
from service.webhooks import verify
from tests.service.helpers import (
    ADMIN_KEY,
    TestClient,
    WebhookReceiver,
    abstracts,
    auth,
    cli_check,
    comparable,
    new_key,
    wait_done,
)
from tests.workers.conftest import ScaleOut

pytestmark = pytest.mark.services


def settings_from(env: dict[str, str], **overrides: object) -> Settings:
    old = dict(os.environ)
    try:
        os.environ.update(env)
        return Settings(**overrides)  # type: ignore[arg-type]
    finally:
        os.environ.clear()
        os.environ.update(old)


@pytest.fixture
def client(scaleout: ScaleOut) -> Iterator[TestClient]:
    with TestClient(create_app(settings_from(scaleout.env))) as c:
        yield c


def test_ready_with_postgres_and_broker(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["queue_backend"] == "celery"
    assert client.app.state.db.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]


def test_celery_webhook_and_result_matches_cli(
    client: TestClient, scaleout: ScaleOut, shared_dir: Path, tmp_path: Path
) -> None:
    docs = abstracts(shared_dir, 4, skip=120)
    paper = tmp_path / "paper.txt"
    paper.write_text("前言。" + docs[2]["text"] + "本研究提出了新的分析框架。" * 4, encoding="utf-8")
    with WebhookReceiver(fail_first=1) as hook:  # the first delivery fails: retried by a Celery task
        key = new_key(client, "reviewer", "province-x", callback_url=hook.url)
        h = auth(key["key"])
        assert client.post("/v1/corpus/documents", json={"documents": docs}, headers=h).status_code == 201
        r = client.post("/v1/checks", files={"file": ("paper.txt", paper.read_bytes())}, headers=h)
        assert r.status_code == 202, r.text
        headers, payload = hook.wait(timeout=90)
        assert verify(key["webhook_secret"], hook.received[0][1], headers["x-integrity-signature"])
        assert headers["x-integrity-attempt"] == "2"
    assert payload["id"] == r.json()["id"] and payload["status"] == "done", payload
    result = payload["result"]
    assert result["corpus"]["lsh_backend"] == "redis"
    cli = cli_check(paper, docs, tmp_path)
    assert comparable(result) == comparable(cli)
    assert result["similarity"]["sources"] and all(
        s["corpus"].startswith("本单位比对库") for s in result["similarity"]["sources"]
    )
    assert result["similarity"]["sources"][0]["doc_id"] == docs[2]["id"]
    # the worker wrote the result into PostgreSQL; the API reads it back
    assert client.get(f"/v1/checks/{payload['id']}", headers=h).json()["result"] == result


def test_celery_cross_tenant_denial(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 2, skip=160)
    ha = auth(new_key(client, "reviewer", "city-a")["key"])
    hb = auth(new_key(client, "reviewer", "city-b")["key"])
    client.post("/v1/corpus/documents", json={"documents": docs}, headers=ha)
    paper = ("开头。" + docs[0]["text"]).encode()
    a_id = client.post("/v1/checks", files={"file": ("p.txt", paper)}, headers=ha).json()["id"]
    b_id = client.post("/v1/checks", files={"file": ("p.txt", paper)}, headers=hb).json()["id"]
    a_done, b_done = wait_done(client, a_id, ha, 90), wait_done(client, b_id, hb, 90)
    assert a_done["result"]["similarity"]["sources"][0]["doc_id"] == docs[0]["id"]
    # B's worker run used B's Redis LSH namespace: A's documents are invisible to it
    assert b_done["status"] == "done" and b_done["result"]["similarity"]["sources"] == []
    assert client.get(f"/v1/checks/{a_id}", headers=hb).status_code == 404
    assert client.get(f"/v1/checks/{b_id}", headers=ha).status_code == 404
    assert client.get("/v1/corpus/documents", headers=hb).json()["items"] == []


def test_redis_rate_limit_shared_by_api_processes(client: TestClient, scaleout: ScaleOut) -> None:
    import time

    h = auth(new_key(client, "unit", "rl")["key"])
    s = settings_from(scaleout.env, rate_limit_per_minute=2)
    with TestClient(create_app(s)) as one, TestClient(create_app(s)) as two:
        if time.time() % 60 > 55:  # one fixed window per minute: do not straddle its end
            time.sleep(61 - time.time() % 60)
        codes = [
            one.get("/v1/checks", headers=h).status_code,
            two.get("/v1/checks", headers=h).status_code,
            one.get("/v1/checks", headers=h).status_code,
        ]
        assert codes == [200, 200, 429]


def test_postgres_audit_is_append_only(client: TestClient) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    new_key(client, "unit", "audit-pg")
    db = client.app.state.db  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    events = client.get("/v1/audit", params={"tenant": "audit-pg"}, headers=auth(ADMIN_KEY)).json()["items"]
    assert [e["action"] for e in events] == ["key.create"]


def test_concurrent_migrations_on_postgres(postgres_url: str) -> None:
    """Several processes migrating one empty database at once (compose start-up) do not collide."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect, text

    from service.db import alembic_config, make_engine, upgrade
    from tests.workers.conftest import with_search_path

    schema = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engines = [make_engine(with_search_path(postgres_url, schema)) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(upgrade, engines))
        tables = set(inspect(engines[0]).get_table_names())
        assert {"api_keys", "jobs", "audit_events", "alembic_version"} <= tables
        with engines[0].connect() as conn:
            versions: list[str] = list(
                conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
        assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
    finally:
        for e in engines:
            e.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_job_that_never_reached_the_broker_is_published_later(scaleout: ScaleOut) -> None:
    """A job committed while its API could not publish it (here: a paused queue) is sent by the next
    API start-up; a published one is never sent twice."""
    from datetime import timedelta

    from sqlalchemy import update

    from service.models import Job, utcnow

    paused = settings_from(scaleout.env, queue_paused=True)
    with TestClient(create_app(paused)) as client:
        h = auth(new_key(client, "unit", "recover")["key"])
        r = client.post("/v1/checks", files={"file": ("p.txt", "正文内容。".encode() * 40)}, headers=h)
        check_id = r.json()["id"]
        db = client.app.state.db  # type: ignore[attr-defined]
        with db.session() as s:
            job = s.get(Job, check_id)
            assert job is not None and job.status == "queued" and job.enqueued_at is None
            s.execute(
                update(Job).where(Job.id == check_id).values(created_at=utcnow() - timedelta(minutes=5))
            )
    with TestClient(create_app(settings_from(scaleout.env))) as client:
        body = wait_done(client, check_id, h, 90)
        assert body["status"] == "done", body
        queue = client.app.state.queue  # type: ignore[attr-defined]
        assert queue.recover(min_age_s=0) == 0
        with client.app.state.db.session() as s:  # type: ignore[attr-defined]
            job = s.get(Job, check_id)
            assert job is not None and job.enqueued_at is not None and job.attempts == 1
