"""Upload → signed webhook received → the result equals the CLI's JSON for the same file (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from integrity.settings import Settings
from service.app import create_app
from service.webhooks import InvalidCallbackUrl, sign, validate_callback_url, verify
from tests.service.helpers import (
    TestClient,
    WebhookReceiver,
    abstracts,
    auth,
    cli_check,
    comparable,
    make_settings,
    new_key,
)


def write_paper(tmp: Path, docs: list[dict[str, str]]) -> Path:
    paper = tmp / "paper.txt"
    text = (
        "摘要。" + docs[0]["text"] + "我们在此基础上提出新的方法并进行实验验证。" * 4 + docs[1]["text"][:120]
    )
    paper.write_text(text, encoding="utf-8")
    return paper


def test_webhook_signed_and_result_matches_cli(tmp_path: Path, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 4, skip=40)
    paper = write_paper(tmp_path, docs)
    with WebhookReceiver(fail_first=1) as hook, TestClient(create_app(make_settings(tmp_path))) as client:
        key = new_key(client, "reviewer", "hr-office", callback_url=hook.url)
        h = auth(key["key"])
        assert client.post("/v1/corpus/documents", json={"documents": docs}, headers=h).status_code == 201
        r = client.post("/v1/checks", files={"file": ("paper.txt", paper.read_bytes())}, headers=h)
        assert r.status_code == 202
        check_id = r.json()["id"]
        headers, payload = hook.wait()
        raw = hook.received[0][1]
        # signed with the key's secret over the raw body; the first attempt got 503 and was retried
        assert headers["x-integrity-signature"] == sign(key["webhook_secret"], raw)
        assert verify(key["webhook_secret"], raw, headers["x-integrity-signature"])
        assert not verify("other-secret", raw, headers["x-integrity-signature"])
        assert headers["x-integrity-delivery"] == check_id
        assert headers["x-integrity-attempt"] == "2"
        assert payload["event"] == "check.done" and payload["id"] == check_id
        polled = client.get(f"/v1/checks/{check_id}", headers=h).json()
        assert polled["result"] == payload["result"]
    cli = cli_check(paper, docs, tmp_path)
    assert comparable(payload["result"]) == comparable(cli)
    assert payload["result"]["similarity"]["sources"], "the copied abstracts were found"


def test_callback_url_per_check_wins_and_is_validated(tmp_path: Path) -> None:
    with WebhookReceiver() as hook, TestClient(create_app(make_settings(tmp_path))) as client:
        h = auth(new_key(client, "unit", "alpha", callback_url="http://127.0.0.1:9/never")["key"])
        meta = json.dumps({"callback_url": hook.url})
        r = client.post(
            "/v1/checks",
            files={"file": ("p.txt", "正文内容。".encode() * 30)},
            data={"metadata": meta},
            headers=h,
        )
        _, payload = hook.wait()
        assert payload["id"] == r.json()["id"] and payload["status"] == "done"
        bad = json.dumps({"callback_url": "ftp://example.org/x"})
        r = client.post(
            "/v1/checks", files={"file": ("p.txt", "正文".encode())}, data={"metadata": bad}, headers=h
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_callback_url"


def test_private_callback_urls_refused_by_default() -> None:
    s = Settings(webhook_allow_private=False)
    for url in (
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://localhost:80/",
        "http://user:pw@example.org/",
        "javascript:alert(1)",
        "http:///nohost",
    ):
        try:
            validate_callback_url(url, s)
        except InvalidCallbackUrl:
            continue
        raise AssertionError(f"{url} was accepted")
    assert validate_callback_url("http://127.0.0.1:8080/x", Settings(webhook_allow_private=True))


def test_webhook_gives_up_after_max_attempts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, webhook_max_attempts=2, webhook_backoff_s=0.05)
    with WebhookReceiver(fail_first=10) as hook, TestClient(create_app(settings)) as client:
        h = auth(new_key(client, "unit", "alpha", callback_url=hook.url)["key"])
        r = client.post("/v1/checks", files={"file": ("p.txt", "正文内容。".encode() * 30)}, headers=h)
        db = client.app.state.db  # type: ignore[attr-defined]
        import time

        from service.models import Job

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.session() as s:
                job = s.get(Job, r.json()["id"])
                assert job is not None
                if job.webhook_status == "failed":
                    break
            time.sleep(0.05)
        assert job.webhook_status == "failed" and job.webhook_attempts == 2
        assert hook.fail_first == 8 and hook.received == []


def test_pending_webhook_is_delivered_after_restart(tmp_path: Path) -> None:
    """A finished job whose webhook was not yet delivered when the server stopped gets it at start-up."""
    settings = make_settings(tmp_path)
    with WebhookReceiver() as hook:
        with TestClient(create_app(settings)) as client:
            h = auth(new_key(client, "unit", "alpha", callback_url=hook.url)["key"])
            r = client.post("/v1/checks", files={"file": ("p.txt", "正文内容。".encode() * 30)}, headers=h)
            check_id = r.json()["id"]
            hook.wait()
        # pretend the delivery never happened (the server died between finishing and delivering)
        from service.db import Database
        from service.models import Job

        db = Database(settings)
        with db.session() as s:
            job = s.get(Job, check_id)
            assert job is not None and job.webhook_status == "delivered"
            job.webhook_status, job.webhook_attempts = "pending", 0
        db.dispose()
        hook.received.clear()
        hook.event.clear()
        with TestClient(create_app(settings)):
            headers, payload = hook.wait()
        assert payload["id"] == check_id and headers["x-integrity-attempt"] == "1"


def test_job_crashing_its_process_repeatedly_is_failed_and_reported(tmp_path: Path) -> None:
    """A job found 'running' at start-up for the third time is failed (no endless resume loop)."""
    settings = make_settings(tmp_path, queue_paused=True)
    with WebhookReceiver() as hook:
        with TestClient(create_app(settings)) as client:
            h = auth(new_key(client, "unit", "alpha", callback_url=hook.url)["key"])
            r = client.post("/v1/checks", files={"file": ("p.txt", "正文内容。".encode() * 30)}, headers=h)
            check_id = r.json()["id"]
            db = client.app.state.db  # type: ignore[attr-defined]
            from service.models import Job

            with db.session() as s:
                job = s.get(Job, check_id)
                assert job is not None
                job.status, job.attempts = "running", 3
        resumed = Settings(**{**settings.model_dump(), "queue_paused": False})
        with TestClient(create_app(resumed)) as client:
            _, payload = hook.wait()
            assert payload["status"] == "failed" and payload["error"]["code"] == "job_crashed"
            assert client.get(f"/v1/checks/{check_id}", headers=h).json()["status"] == "failed"
