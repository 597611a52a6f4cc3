"""A prefork worker child killed in the middle of a task: ``acks_late`` + ``reject_on_worker_lost``
requeue the message, another child runs the (idempotent) job again and it completes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.app import create_app
from tests.service.helpers import ADMIN_KEY, TestClient, abstracts, auth, wait_done
from tests.workers.conftest import ScaleOut
from tests.workers.test_celery import settings_from

pytestmark = [pytest.mark.services, pytest.mark.slow]
WORKER_POOL = "prefork"


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def test_task_survives_killed_worker_child(scaleout: ScaleOut, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 300, skip=900)
    admin = auth(ADMIN_KEY)
    engine = create_engine(scaleout.env["INTEGRITY_DATABASE_URL"])
    try:
        with TestClient(create_app(settings_from(scaleout.env))) as client:
            assert (
                client.post("/v1/corpus/documents", json={"documents": docs[:100]}, headers=admin).status_code
                == 201
            )
            # warm both children up so the long job's run time is the check itself
            for i in range(2):
                wid = client.post(
                    "/v1/checks", files={"file": (f"w{i}.txt", docs[i]["text"].encode())}, headers=admin
                ).json()["id"]
                wait_done(client, wid, admin, 120)
            paper = "\n".join(d["text"] for d in docs[100:] + docs[:100]).encode()
            check_id = client.post("/v1/checks", files={"file": ("long.txt", paper)}, headers=admin).json()[
                "id"
            ]
            deadline = time.monotonic() + 60
            status = "queued"
            while time.monotonic() < deadline and status == "queued":
                with engine.connect() as conn:
                    status = conn.execute(
                        text("SELECT status FROM jobs WHERE id=:i"), {"i": check_id}
                    ).scalar_one()
                time.sleep(0.005)
            assert status == "running", f"job was {status!r} before the kill"
            for child in children(scaleout.worker.pid):
                os.kill(child, signal.SIGKILL)
            body = wait_done(client, check_id, admin, 180)
            assert body["status"] == "done", body
            assert body["result"]["similarity"]["sources"]
            with engine.connect() as conn:
                attempts: int = conn.execute(
                    text("SELECT attempts FROM jobs WHERE id=:i"), {"i": check_id}
                ).scalar_one()
            assert attempts == 2
            assert "WorkerLostError" in scaleout.worker_log.read_text(errors="replace")
    finally:
        engine.dispose()
