"""``python -m bench.load`` runs end to end on a tiny bounded load and reports its numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_load_bench_smoke(tmp_path: Path, shared_dir: Path) -> None:
    out = tmp_path / "load.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.load",
        "--mode",
        "inprocess",
        "--requests",
        "4",
        "--concurrency",
        "2",
        "--corpus-docs",
        "60",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "accepted_per_s" in proc.stdout and "machine:" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["machine"]["nproc"] >= 1
    (result,) = report["results"]
    assert result["mode"] == "inprocess" and result["requests"] == 4 and result["failed"] == 0
    assert result["accepted_per_s"] > 0 and result["completed_per_s"] > 0
    assert 0 < result["submit_p50_ms"] <= result["submit_p95_ms"]
