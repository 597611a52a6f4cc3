"""Helpers shared by the service and worker tests (keys, settings, corpus records, polling)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from integrity.settings import Settings

ADMIN_KEY = "ik_test_admin_" + "x" * 30


def abstracts(shared: Path, n: int, skip: int = 0) -> list[dict[str, Any]]:
    """``n`` CSL abstracts (long ones) as corpus records."""
    out: list[dict[str, Any]] = []
    with (shared / "data" / "abstracts" / "csl_abstracts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if len(rec["text"]) < 250:
                continue
            if skip:
                skip -= 1
                continue
            out.append({"id": rec["id"], "title": rec.get("title") or rec["id"], "text": rec["text"]})
            if len(out) == n:
                break
    return out


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "admin_api_key": ADMIN_KEY,
        "admin_tenant": "root",
        "webhook_allow_private": True,
        "webhook_backoff_s": 0.2,
        "rate_limit_per_minute": 1000,
    }
    values.update(overrides)
    return Settings(**values)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = auth(ADMIN_KEY)


def new_key(client: TestClient, role: str, tenant: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/v1/keys", json={"role": role, "tenant": tenant, **extra}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def wait_done(
    client: TestClient, check_id: str, headers: dict[str, str], timeout: float = 60
) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/checks/{check_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = dict(r.json())
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"check {check_id} did not finish in {timeout}s")


class WebhookReceiver:
    """A tiny HTTP server on 127.0.0.1 recording POSTed bodies and headers; can fail the first N."""

    def __init__(self, fail_first: int = 0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()
                outer.event.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float = 60) -> tuple[dict[str, str], dict[str, Any]]:
        assert self.event.wait(timeout), "no webhook received"
        headers, body = self.received[0]
        return headers, json.loads(body)


def cli_check(paper: Path, docs: list[dict[str, Any]], tmp: Path, **env_overrides: str) -> dict[str, Any]:
    """What ``integrity check --format json`` says for ``paper`` against a corpus of ``docs``."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **env_overrides}
    env.pop("INTEGRITY_DATABASE_URL", None)
    jsonl = tmp / "cli-corpus.jsonl"
    jsonl.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    exe = [sys.executable, "-m", "integrity"]
    corpus = tmp / "cli-corpus"
    subprocess.run(
        [*exe, "corpus", "add", "--corpus", str(corpus), str(jsonl)], check=True, env=env, capture_output=True
    )
    out = subprocess.run(
        [*exe, "check", str(paper), "--corpus", str(corpus), "--format", "json"],
        check=True,
        env=env,
        capture_output=True,
    )
    return dict(json.loads(out.stdout))


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The parts of a check result that must match between the CLI and the API.

    A source's ``corpus`` label is left out: it names the 比对库 as each caller knows it (the CLI's
    directory, the API's 本单位比对库（tenant）), the one thing that is meant to differ.
    """
    similarity = {
        **result["similarity"],
        "sources": [{k: v for k, v in s.items() if k != "corpus"} for s in result["similarity"]["sources"]],
    }
    return {
        "similarity": similarity,
        "verdict": result.get("verdict"),
        "journal": result.get("journal"),
        "paper_sha256": result["paper"]["sha256"],
        "chars": result["paper"]["chars"],
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``integrity serve`` as a subprocess with the given environment; ``kill()`` is SIGKILL."""

    def __init__(self, env: dict[str, str], port: int, log: Path):
        self.env, self.port, self.log = env, port, log
        self.proc: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        import os
        import subprocess
        import sys
        import time

        import httpx

        exe = [sys.executable, "-m", "integrity", "serve", "--port", str(self.port), "--log-level", "warning"]
        self.proc = subprocess.Popen(
            exe, env={**os.environ, **self.env}, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except Exception:
                self.kill()
