"""Scale-out fixtures: a PostgreSQL schema, a Redis prefix/queue and a real Celery worker subprocess,
all unique per test session and removed afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.service.helpers import ADMIN_KEY

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ScaleOut:
    worker: subprocess.Popen[bytes]
    env: dict[str, str]
    schema: str
    queue: str
    prefix: str
    data_dir: Path
    worker_log: Path


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module")
def scaleout(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    postgres_url: str,
) -> Iterator[ScaleOut]:
    """One worker per test module; a module may set ``WORKER_POOL = "prefork"`` (default solo)."""
    import redis
    from sqlalchemy import create_engine, text

    pool = getattr(request.module, "WORKER_POOL", "solo")
    uid = uuid.uuid4().hex[:10]
    schema, queue, prefix = f"it_{uid}", f"integrity-test-{uid}", f"ittest{uid}"
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    data_dir = tmp_path_factory.mktemp("scaleout")
    env = {
        "INTEGRITY_DATA_DIR": str(data_dir / "data"),
        "INTEGRITY_DATABASE_URL": with_search_path(postgres_url, schema),
        "INTEGRITY_QUEUE_BACKEND": "celery",
        "INTEGRITY_BROKER_URL": redis_url,
        "INTEGRITY_REDIS_URL": redis_url,
        "INTEGRITY_LSH_BACKEND": "redis",
        "INTEGRITY_REDIS_KEY_PREFIX": prefix,
        "INTEGRITY_CELERY_QUEUE": queue,
        "INTEGRITY_ADMIN_API_KEY": ADMIN_KEY,
        "INTEGRITY_ADMIN_TENANT": "root",
        "INTEGRITY_WEBHOOK_ALLOW_PRIVATE": "true",
        "INTEGRITY_WEBHOOK_BACKOFF_S": "0.2",
        "INTEGRITY_RATE_LIMIT_PER_MINUTE": "100000",
    }
    worker_log = data_dir / "worker.log"
    # migrate first so the worker and the API start on the same schema
    subprocess.run(
        [sys.executable, "-m", "integrity", "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    celery = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.app",
        "worker",
        "-Q",
        queue,
        "-P",
        pool,
        "-c",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
        "-n",
        f"w{uid}@%h",
    ]
    proc = subprocess.Popen(
        celery, env={**os.environ, **env}, cwd=REPO, stdout=worker_log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while "ready" not in worker_log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start: " + worker_log.read_text(errors="replace"))
            time.sleep(0.2)
        yield ScaleOut(proc, env, schema, queue, prefix, data_dir / "data", worker_log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
        client = redis.Redis.from_url(redis_url)
        for pattern in (f"{prefix}:*", f"{queue}*", f"_kombu.binding.{queue}*", f"*{uid}*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
