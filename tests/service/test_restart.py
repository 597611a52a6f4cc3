"""A job survives a restart of the embedded server (``integrity serve`` subprocess, SIGKILL)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.service.helpers import ADMIN_KEY, ServerProcess, abstracts, free_port

pytestmark = pytest.mark.slow


def wait_status(base: str, check_id: str, headers: dict[str, str], timeout: float = 240) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(f"{base}/v1/checks/{check_id}", headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in ("done", "failed"):
            return dict(body)
        time.sleep(0.6)  # under the default 120 requests/minute, however long the job takes
    raise AssertionError(f"{check_id} did not finish")


def test_jobs_resume_after_kill(tmp_path: Path, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 3, skip=80)
    data = tmp_path / "data"
    port = free_port()
    env = {
        "INTEGRITY_DATA_DIR": str(data),
        "INTEGRITY_ADMIN_API_KEY": ADMIN_KEY,
        "INTEGRITY_ADMIN_TENANT": "root",
        "INTEGRITY_QUEUE_BACKEND": "inprocess",
        # accepted but not started: the server is killed "before the job runs"
        "INTEGRITY_QUEUE_PAUSED": "true",
    }
    log = tmp_path / "server.log"
    server = ServerProcess(env, port, log).start()
    try:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        key = httpx.post(
            f"{server.base}/v1/keys", json={"role": "reviewer", "tenant": "t1"}, headers=admin
        ).json()
        h = {"Authorization": f"Bearer {key['key']}"}
        r = httpx.post(f"{server.base}/v1/corpus/documents", json={"documents": docs}, headers=h, timeout=60)
        assert r.status_code == 201
        ids = []
        for i in range(2):
            paper = (f"第{i}篇。" + docs[i]["text"] + "新的研究内容与结论。" * 5).encode()
            r = httpx.post(
                f"{server.base}/v1/checks", files={"file": (f"p{i}.txt", paper)}, headers=h, timeout=60
            )
            assert r.status_code == 202
            ids.append(r.json()["id"])
        assert (
            httpx.get(f"{server.base}/v1/checks/{ids[0]}", headers=h, timeout=60).json()["status"] == "queued"
        )
    finally:
        server.kill()
    # The second job was "running" when the process died (as if killed mid-job).
    with sqlite3.connect(data / "integrity.db") as conn:
        conn.execute("UPDATE jobs SET status='running', attempts=1 WHERE id=?", (ids[1],))

    env["INTEGRITY_QUEUE_PAUSED"] = "false"
    server = ServerProcess(env, port, log).start()
    try:
        for check_id in ids:
            body = wait_status(server.base, check_id, h)
            assert body["status"] == "done", body
            result = body["result"]
            assert isinstance(result, dict)
            assert result["similarity"]["sources"][0]["doc_id"] in {d["id"] for d in docs}
    finally:
        server.stop()


def test_job_killed_mid_run_is_resumed(tmp_path: Path, shared_dir: Path) -> None:
    """SIGKILL while the job is running (seen in the database), restart: the job runs again and finishes."""
    docs = abstracts(shared_dir, 500, skip=300)
    data = tmp_path / "data"
    port = free_port()
    env = {
        "INTEGRITY_DATA_DIR": str(data),
        "INTEGRITY_ADMIN_API_KEY": ADMIN_KEY,
        "INTEGRITY_ADMIN_TENANT": "root",
        "INTEGRITY_QUEUE_BACKEND": "inprocess",
    }
    log = tmp_path / "server.log"
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    server = ServerProcess(env, port, log).start()
    try:
        r = httpx.post(
            f"{server.base}/v1/corpus/documents", json={"documents": docs[:100]}, headers=admin, timeout=60
        )
        assert r.status_code == 201
        # a long paper (~150k characters) so the job runs for a while
        paper = "\n".join(d["text"] for d in docs[100:] + docs[:100]).encode()
        r = httpx.post(
            f"{server.base}/v1/checks", files={"file": ("long.txt", paper)}, headers=admin, timeout=60
        )
        check_id = r.json()["id"]
        deadline = time.monotonic() + 30
        status = "queued"
        while time.monotonic() < deadline:
            with sqlite3.connect(data / "integrity.db") as conn:
                status = conn.execute("SELECT status FROM jobs WHERE id=?", (check_id,)).fetchone()[0]
            if status != "queued":
                break
            time.sleep(0.005)
        server.kill()
    finally:
        server.kill()
    assert status == "running", f"job was {status!r} when the server was killed"
    with sqlite3.connect(data / "integrity.db") as conn:
        assert conn.execute("SELECT status FROM jobs WHERE id=?", (check_id,)).fetchone()[0] == "running"

    server = ServerProcess(env, port, log).start()
    try:
        body = wait_status(server.base, check_id, admin)
        assert body["status"] == "done", body
        result = body["result"]
        assert isinstance(result, dict) and result["similarity"]["sources"]
        with sqlite3.connect(data / "integrity.db") as conn:
            assert conn.execute("SELECT attempts FROM jobs WHERE id=?", (check_id,)).fetchone()[0] == 2
    finally:
        server.stop()
