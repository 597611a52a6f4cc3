"""The job row is the truth (issue 10 item 3), against a real Celery worker, Redis and PostgreSQL.

- the broker loses its queued messages (FLUSHDB of this module's own Redis database) → the API's
  sweeper republishes the stale jobs and they complete;
- the worker is killed with ``kill -9`` mid-job → its lease expires, the job is republished, completes;
- the worker cannot reach PostgreSQL for a while (connections to this module's own database are
  disallowed) → it retries with backoff instead of giving up, and the jobs complete afterwards.

Everything runs in a database and a Redis db number of this module's own, so other runs are untouched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.app import create_app
from tests.service.helpers import ADMIN_KEY, TestClient, abstracts, auth, wait_done
from tests.workers.conftest import REPO
from tests.workers.test_celery import settings_from

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(1200)]
REDIS_DB = 9  # this module's own Redis database: it is flushed


@dataclass
class Env:
    env: dict[str, str]
    dbname: str
    admin_url: str
    log_dir: Path

    def start_worker(self, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.log_dir / f"{name}.log"
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.app",
            "worker",
            "-Q",
            self.env["INTEGRITY_CELERY_QUEUE"],
        ]
        cmd += ["-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        cmd += ["-n", f"{name}{uuid.uuid4().hex[:6]}@%h"]
        proc = subprocess.Popen(
            cmd, env={**os.environ, **self.env}, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        # the warm-up (catalogue, dictionary) precedes "ready": slow on a loaded host
        deadline = time.monotonic() + 300
        while "ready" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start: " + log.read_text(errors="replace"))
            time.sleep(0.2)
        return proc, log

    def set_connections(self, allowed: bool) -> None:
        """Open or close this module's database to new connections and drop the existing ones."""
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.dbname}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
                if not allowed:
                    conn.execute(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                        {"d": self.dbname},
                    )
        finally:
            engine.dispose()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def lease_env(tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgres_url: str) -> Iterator[Env]:
    import redis

    uid = uuid.uuid4().hex[:10]
    dbname = f"test_sec_jobs_{uid}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    db_url = postgres_url.rsplit("/", 1)[0] + f"/{dbname}"
    broker = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    data_dir = tmp_path_factory.mktemp("leases")
    env = {
        "INTEGRITY_DATA_DIR": str(data_dir / "data"),
        "INTEGRITY_DATABASE_URL": db_url,
        "INTEGRITY_QUEUE_BACKEND": "celery",
        "INTEGRITY_BROKER_URL": broker,
        "INTEGRITY_REDIS_URL": broker,
        "INTEGRITY_REDIS_KEY_PREFIX": f"lease{uid}",
        "INTEGRITY_CELERY_QUEUE": f"integrity-lease-{uid}",
        "INTEGRITY_ADMIN_API_KEY": ADMIN_KEY,
        "INTEGRITY_ADMIN_TENANT": "root",
        "INTEGRITY_RATE_LIMIT_PER_MINUTE": "100000",
        "INTEGRITY_JOB_LEASE_S": "3",
        "INTEGRITY_JOB_SWEEP_INTERVAL_S": "0.5",
        "INTEGRITY_JOB_PUBLISH_STALE_S": "20",
        "INTEGRITY_JOB_DB_RETRY_S": "600",
    }
    subprocess.run(
        [sys.executable, "-m", "integrity", "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    try:
        yield Env(env, dbname, postgres_url, data_dir)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true'))
            conn.execute(text(f'DROP DATABASE "{dbname}" WITH (FORCE)'))
        admin.dispose()
        redis.Redis.from_url(broker).flushdb()


def job_status(client: TestClient, job_id: str) -> str:
    return str(client.get(f"/v1/checks/{job_id}", headers=auth(ADMIN_KEY)).json()["status"])


def test_jobs_lost_by_the_broker_are_republished(lease_env: Env) -> None:
    import redis

    admin = auth(ADMIN_KEY)
    with TestClient(create_app(settings_from(lease_env.env))) as client:
        ids = [
            client.post(
                "/v1/checks",
                files={"file": (f"p{i}.txt", f"第{i}篇。正文内容。".encode() * 40)},
                headers=admin,
            ).json()["id"]
            for i in range(5)
        ]
        # no worker yet: the messages sit in the broker, which now loses them (restart without persistence)
        broker = redis.Redis.from_url(lease_env.env["INTEGRITY_BROKER_URL"])
        assert broker.llen(lease_env.env["INTEGRITY_CELERY_QUEUE"]) >= 5  # the sweeper may have added
        broker.flushdb()
        worker, _ = lease_env.start_worker("flushed")
        try:
            for job_id in ids:
                body = wait_done(client, job_id, admin, 180)
                assert body["status"] == "done", body
        finally:
            stop(worker)


def test_job_of_a_killed_worker_completes_after_its_lease_expires(lease_env: Env, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 300, skip=900)
    admin = auth(ADMIN_KEY)
    engine = create_engine(lease_env.env["INTEGRITY_DATABASE_URL"])
    with TestClient(create_app(settings_from(lease_env.env))) as client:
        assert (
            client.post("/v1/corpus/documents", json={"documents": docs[:100]}, headers=admin).status_code
            == 201
        )
        worker, _ = lease_env.start_worker("victim")
        try:
            paper = "\n".join(d["text"] for d in docs[100:] + docs[:100]).encode()
            job_id = client.post("/v1/checks", files={"file": ("long.txt", paper)}, headers=admin).json()[
                "id"
            ]
            deadline, status = time.monotonic() + 120, "queued"
            while time.monotonic() < deadline and status == "queued":
                with engine.connect() as conn:
                    status = conn.execute(
                        text("SELECT status FROM jobs WHERE id=:i"), {"i": job_id}
                    ).scalar_one()
                time.sleep(0.005)
            assert status == "running", f"job was {status!r} before the kill"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        finally:
            stop(worker)
        # the message stays unacknowledged in Redis until the 2-hour visibility timeout: only the lease helps
        rescuer, _ = lease_env.start_worker("rescuer")
        try:
            body = wait_done(client, job_id, admin, 300)
            assert body["status"] == "done", body
            assert body["result"]["similarity"]["sources"]
            with engine.connect() as conn:
                row = conn.execute(
                    text("SELECT attempts, lease_owner, lease_expires_at FROM jobs WHERE id=:i"),
                    {"i": job_id},
                ).one()
            assert row.attempts == 2 and row.lease_owner is None and row.lease_expires_at is None
        finally:
            stop(rescuer)
            engine.dispose()


def test_worker_waits_out_a_database_outage(lease_env: Env) -> None:
    admin = auth(ADMIN_KEY)
    with TestClient(create_app(settings_from(lease_env.env))) as client:
        ids = [
            client.post(
                "/v1/checks",
                files={"file": (f"d{i}.txt", f"第{i}篇。停机测试。".encode() * 40)},
                headers=admin,
            ).json()["id"]
            for i in range(3)
        ]
        lease_env.set_connections(False)
        r = client.get(f"/v1/checks/{ids[0]}", headers=admin)  # the API answers 503 meanwhile (item 4)
        assert r.status_code == 503 and r.headers["retry-after"], r.text
        assert r.json()["error"]["code"] == "database_unavailable"
        worker, log = lease_env.start_worker("outage")
        try:
            deadline = time.monotonic() + 120
            while "database unreachable" not in log.read_text(errors="replace"):
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
            time.sleep(20)  # several failed attempts: the old code gave up after 3 quick retries
            lease_env.set_connections(True)
            for job_id in ids:
                body = wait_done(client, job_id, admin, 300)
                assert body["status"] == "done", body
        finally:
            lease_env.set_connections(True)
            stop(worker)
