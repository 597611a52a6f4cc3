"""``make fuzz-api``: schemathesis (all checks) against the app's own OpenAPI schema on a live uvicorn.

The app runs on a throw-away data directory with the queue paused (checks are accepted and stored, not
run: the fuzzer probes the API, not the engine). Prints one JSON line with the counts and exits non-zero
when any response was a server error (5xx). Other checks' findings are counted and listed, so a run
shows how closely the API matches its schema.

    python -m tests.fuzz.api [--max-examples N] [--max-time S] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ADMIN_KEY = "ik_fuzz_admin_" + "z" * 30


def serve(data_dir: Path) -> tuple[Any, str]:
    """uvicorn in a thread on a free port; returns (server, base URL)."""
    import socket

    import uvicorn

    from integrity.settings import Settings
    from service.app import create_app

    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'fuzz.db'}",
        admin_api_key=ADMIN_KEY,
        admin_tenant="root",
        queue_backend="inprocess",
        queue_paused=True,
        rate_limit_per_minute=1_000_000,
        max_upload_bytes=2 * 1024 * 1024,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def run(max_examples: int, max_time: int | None, seed: int, workers: int = 1) -> dict[str, Any]:
    """One schemathesis run; the counts as a dict (``server_errors`` must be 0)."""
    with tempfile.TemporaryDirectory(prefix="integrity-fuzz-api-") as tmp:
        server, base = serve(Path(tmp) / "data")
        report = Path(tmp) / "report.json"
        # fetched here with a generous timeout (a busy host builds it slowly), then given as a file
        import httpx

        spec = Path(tmp) / "openapi.json"
        spec.write_bytes(httpx.get(f"{base}/openapi.json", timeout=300).raise_for_status().content)
        exe = Path(sys.executable).with_name("schemathesis")
        cmd = [
            str(exe),
            "run",
            str(spec),
            "--url",
            base,
            "--checks",
            "all",
            "-H",
            f"Authorization: Bearer {ADMIN_KEY}",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--workers",
            str(workers),
            "--generation-database",
            "none",
            "--request-timeout",
            "120",
            "--no-color",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ]
        if max_time:
            cmd += ["--max-time", str(max_time)]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
        finally:
            server.should_exit = True
        out = proc.stdout + proc.stderr
        log = Path("var") / "fuzz" / "api.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(out, encoding="utf-8")
        return summarise(out, report, proc.returncode)


def summarise(output: str, report: Path, returncode: int) -> dict[str, Any]:
    """Cases, failures per check and server errors from the NDJSON events (the console text as backup)."""
    failures: dict[str, int] = {}
    server_errors = 0
    if report.is_file():
        for line in report.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            _walk(event, failures)
    server_errors = failures.get("not_a_server_error", 0)
    m = re.search(r"(\d+) generated", output)
    generated = int(m.group(1)) if m else 0
    five_xx = len(re.findall(r"\[5\d\d\]", output))
    return {
        "tool": "schemathesis",
        "cases": generated,
        "server_errors": max(server_errors, five_xx),
        "failures_by_check": failures,
        "exit_code": returncode,
        "summary": _tail(output),
        "log": "var/fuzz/api.log",
    }


def _walk(event: Any, failures: dict[str, int]) -> None:
    if isinstance(event, dict):
        if "failure" in event and isinstance(event["failure"], dict):
            name = event["failure"].get("check_name") or event["failure"].get("title") or "?"
            failures[name] = failures.get(name, 0) + 1
        for value in event.values():
            _walk(value, failures)
    elif isinstance(event, list):
        for value in event:
            _walk(value, failures)


def _tail(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return "\n".join(lines[-40:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_API_EXAMPLES", "50")))
    parser.add_argument("--max-time", type=int, default=None)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    result = run(args.max_examples, args.max_time, args.seed, args.workers)
    print(result.pop("summary"))
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["server_errors"] or not result["cases"] else 0


if __name__ == "__main__":
    sys.exit(main())
