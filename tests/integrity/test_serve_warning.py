"""``integrity serve`` warns at start-up when report QR codes would point at a loopback address (issue 13)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_warns_about_a_loopback_verify_address(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRITY_")}
    env["INTEGRITY_DATA_DIR"] = str(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrity", "serve", "--port", str(port)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline, seen = time.monotonic() + 120, ""
        while time.monotonic() < deadline and "警告" not in seen:
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
        assert "警告" in seen and f"127.0.0.1:{port}" in seen and "INTEGRITY_PUBLIC_BASE_URL" in seen, seen
    finally:
        proc.terminate()
        proc.wait(timeout=60)
