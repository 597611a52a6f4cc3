"""Settings are validated at start-up and a bad value is one clear line on every entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from integrity.errors import IntegrityError
from integrity.settings import Settings, get_settings


def test_defaults_use_embedded_backends(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert s.queue_backend == "inprocess" and s.lsh_backend == "sqlite"
    assert s.db_url == f"sqlite:///{(tmp_path / 'integrity.db').resolve()}"


def test_backends_are_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_QUEUE_BACKEND", "celery")
    monkeypatch.setenv("INTEGRITY_LSH_BACKEND", "redis")
    monkeypatch.setenv("INTEGRITY_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    s = Settings()
    backends = (s.queue_backend, s.lsh_backend, s.db_url.split(":")[0])
    assert backends == ("celery", "redis", "postgresql+psycopg")


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_QUEUE_BACKEND", "kafka")
    get_settings.cache_clear()
    try:
        with pytest.raises(IntegrityError) as info:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert info.value.code == "invalid_settings"
    assert "INTEGRITY_QUEUE_BACKEND" in info.value.message


def test_cli_reports_bad_settings_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "INTEGRITY_MINHASH_PERMS": "3"}
    paper = tmp_path / "p.txt"
    paper.write_text("基于深度学习的图像识别方法研究。", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "integrity", "check", str(paper), "--corpus", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "INTEGRITY_MINHASH_PERMS" in proc.stderr
