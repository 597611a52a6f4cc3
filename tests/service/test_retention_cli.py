"""Retention (uploads deleted, results kept) and the service CLI: keys, audit, db upgrade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from service.models import Job, utcnow
from service.storage import purge_expired_uploads
from tests.service.helpers import TestClient, auth, new_key, wait_done


def test_uploads_deleted_after_retention_results_kept(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    ids = [
        client.post(
            "/v1/checks", files={"file": (f"p{i}.txt", f"第{i}篇论文的正文。".encode() * 20)}, headers=h
        ).json()["id"]
        for i in range(2)
    ]
    for check_id in ids:
        wait_done(client, check_id, h)
    state = client.app.state  # type: ignore[attr-defined]
    db, settings = state.db, state.settings
    with db.session() as s:
        old = s.get(Job, ids[0])
        assert old is not None
        old.finished_at = utcnow() - timedelta(days=settings.retention_days + 1)
        old_path = Path(old.file_path or "")
        new_path = Path(s.get(Job, ids[1]).file_path or "")
    assert old_path.is_file()
    incoming = Path(settings.data_dir).resolve() / "uploads" / ".incoming"
    stale, fresh = incoming / "stale-partial", incoming / "fresh-partial"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(stale, (0, 0))
    assert purge_expired_uploads(db, settings) == 1
    assert not stale.exists() and fresh.exists()
    assert not old_path.exists() and not old_path.parent.exists()
    assert new_path.is_file()
    body = client.get(f"/v1/checks/{ids[0]}", headers=h).json()
    assert body["status"] == "done" and body["file_deleted"] is True
    assert body["result"]["similarity"]["total_chars"] > 0
    assert purge_expired_uploads(db, settings) == 0


def run_cli(tmp_path: Path, *args: str) -> Any:
    """Run the CLI in-process (fast) with its own data dir; returns the Click result."""
    from typer.testing import CliRunner

    from integrity.cli import app
    from integrity.settings import get_settings

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("INTEGRITY_")}
    env["INTEGRITY_DATA_DIR"] = str(tmp_path / "cli-data")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()


def test_cli_keys_audit_and_db(tmp_path: Path) -> None:
    out = run_cli(tmp_path, "db", "upgrade")
    assert out.exit_code == 0, out.output
    assert "数据库已升级" in out.stdout
    out = run_cli(tmp_path, "keys", "create", "--role", "reviewer", "--tenant", "city-1", "--name", "人事处")
    assert out.exit_code == 0, out.output
    created = json.loads(out.stdout)
    assert (
        created["key"].startswith("ik_") and created["role"] == "reviewer" and created["tenant"] == "city-1"
    )
    out = run_cli(tmp_path, "keys", "list", "--tenant", "city-1", "--json")
    listed = [json.loads(line) for line in out.stdout.splitlines()]
    assert [k["id"] for k in listed] == [created["id"]] and created["key"] not in out.stdout
    assert run_cli(tmp_path, "keys", "list").exit_code == 0
    assert run_cli(tmp_path, "keys", "revoke", created["id"]).exit_code == 0
    out = run_cli(tmp_path, "audit", "--json")
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["action"] for e in events] == ["key.revoke", "key.create"]
    assert all(e["tenant"] == "city-1" and e["object_id"] == created["id"] for e in events)
    assert run_cli(tmp_path, "audit").exit_code == 0


def test_cli_errors_are_one_line_messages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRITY_")}
    env["INTEGRITY_DATA_DIR"] = str(tmp_path / "cli-data")
    exe = [sys.executable, "-m", "integrity"]
    out = subprocess.run([*exe, "keys", "revoke", "no-such-key"], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "密钥不存在" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run(
        [*exe, "keys", "create", "--role", "unit", "--tenant", "Bad/Tenant"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode != 0 and "租户名无效" in out.stderr and "Traceback" not in out.stderr


def test_cli_bad_setting_names_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRITY_")}
    env.update(INTEGRITY_DATA_DIR=str(tmp_path / "d"), INTEGRITY_PORT="not-a-port")
    out = subprocess.run(
        [sys.executable, "-m", "integrity", "serve"], capture_output=True, text=True, env=env
    )
    assert out.returncode != 0 and "INTEGRITY_PORT" in out.stderr and "Traceback" not in out.stderr
