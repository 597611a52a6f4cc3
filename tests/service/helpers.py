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
