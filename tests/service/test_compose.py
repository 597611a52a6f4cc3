"""``docker-compose.yml`` is valid (``docker-compose config``) and wires the scale-out backends."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT, require


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def rendered(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = compose_command()
    require(cmd is not None, "docker-compose (or the docker compose plugin)")
    assert cmd is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTEGRITY_", "POSTGRES_"))}
    return subprocess.run(
        [*cmd, "-f", str(REPO_ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env={**env, **extra_env},
        cwd=REPO_ROOT,
    )


def test_compose_config_is_valid_and_scaled_out() -> None:
    out = rendered({"INTEGRITY_ADMIN_API_KEY": "ik_compose_test"})
    assert out.returncode == 0, out.stderr
    cfg: dict[str, Any] = importlib.import_module("yaml").safe_load(out.stdout)
    services = cfg["services"]
    assert {"api", "worker", "redis", "postgres"} <= set(services)
    for name in ("api", "worker", "redis", "postgres"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["INTEGRITY_QUEUE_BACKEND"] == "celery"
        assert env["INTEGRITY_LSH_BACKEND"] == "postgres"  # province scale: the index on disk, not in RAM
        assert env["INTEGRITY_LSH_POSTGRES_URL"].startswith("postgresql://integrity:")
        assert env["INTEGRITY_LSH_POSTGRES_URL"].endswith("@postgres:5432/integrity")
        assert env["INTEGRITY_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert int(env["INTEGRITY_CELERY_VISIBILITY_TIMEOUT_S"]) > int(env["INTEGRITY_TASK_TIME_LIMIT_S"])
        deps = services[name]["depends_on"]
        assert deps["redis"]["condition"] == deps["postgres"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert "data:/var/lib/integrity" in str(services[name]["volumes"]) or any(
            v.get("target") == "/var/lib/integrity" for v in services[name]["volumes"] if isinstance(v, dict)
        )
    assert "worker" in services["worker"]["command"]
    assert (REPO_ROOT / "Dockerfile").is_file() and (REPO_ROOT / ".dockerignore").is_file()


def test_compose_requires_the_bootstrap_admin_key() -> None:
    out = rendered({})
    assert out.returncode != 0
    assert "INTEGRITY_ADMIN_API_KEY" in out.stderr


def test_dockerfile_installs_what_the_service_needs() -> None:
    text = Path(REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    for needle in (
        "tesseract-ocr-chi-sim",
        "fonts-noto-cjk",
        "poppler-utils",
        "USER integrity",
        "HEALTHCHECK",
    ):
        assert needle in text


def test_compose_hardening_and_local_images() -> None:
    """Read-only root with a tmpfs /tmp for the app containers; every image overridable so that the stack runs
    from the locally built images (docker/build-base.sh) where no registry is reachable."""
    out = rendered(
        {
            "INTEGRITY_ADMIN_API_KEY": "ik_compose_test",
            "INTEGRITY_BASE_IMAGE": "integrity-base:bookworm",
            "INTEGRITY_POSTGRES_IMAGE": "integrity-postgres:bookworm",
            "INTEGRITY_REDIS_IMAGE": "integrity-redis:bookworm",
        }
    )
    assert out.returncode == 0, out.stderr
    services = importlib.import_module("yaml").safe_load(out.stdout)["services"]
    for name in ("api", "worker", "migrate", "redis", "postgres"):
        assert services[name].get("read_only") is True, f"{name} root file system is writable"
    for name in ("api", "worker", "migrate"):
        assert any(str(t).startswith("/tmp") for t in services[name]["tmpfs"])
        assert services[name]["image"] == "integrity:latest"
    assert services["migrate"]["build"]["args"]["BASE_IMAGE"] == "integrity-base:bookworm"
    assert services["postgres"]["image"] == "integrity-postgres:bookworm"
    assert services["redis"]["image"] == "integrity-redis:bookworm"
    dockerfile = Path(REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in dockerfile
    assert "--no-index" in dockerfile  # the image build needs no package index
