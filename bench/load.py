"""Load benchmark of the HTTP service: ``python -m bench.load [--mode inprocess|celery|both]``.

Drives ``integrity serve`` on loopback with a bounded number of check submissions from concurrent
clients and reports, per mode, accepted checks/s, p50/p95 submit latency (upload → 202) and completed
checks/s (first submission → last result), noting the machine. The embedded mode uses SQLite and the
in-process runner; the celery mode uses a throw-away PostgreSQL schema, a unique Redis queue/prefix
and Celery worker processes, all removed afterwards. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.machine import machine

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ADMIN_KEY = "ik_bench_admin_" + uuid.uuid4().hex


def load_abstracts(n: int) -> list[dict[str, Any]]:
    out = []
    with (SHARED / "data" / "abstracts" / "csl_abstracts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if len(rec["text"]) >= 200:
                out.append({"id": rec["id"], "title": rec.get("title") or rec["id"], "text": rec["text"]})
            if len(out) == n:
                break
    return out


def make_papers(docs: list[dict[str, Any]], n: int, seed: int = 7) -> list[bytes]:
    """Papers of ~1,500 characters: copied abstracts mixed with unrelated ones (not in the corpus)."""
    rng = random.Random(seed)
    corpus, other = docs[: len(docs) * 2 // 3], docs[len(docs) * 2 // 3 :]
    papers = []
    for i in range(n):
        parts = [d["text"] for d in rng.sample(corpus, 2)] + [d["text"] for d in rng.sample(other, 5)]
        rng.shuffle(parts)
        papers.append((f"论文{i}\n" + "\n".join(parts)).encode("utf-8"))
    return papers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited during start-up")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server not ready")


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def drive(base: str, docs: list[dict[str, Any]], papers: list[bytes], concurrency: int) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    key = httpx.post(f"{base}/v1/keys", json={"role": "reviewer", "tenant": "bench"}, headers=admin).json()[
        "key"
    ]
    h = {"Authorization": f"Bearer {key}"}
    corpus_docs = docs[: len(docs) * 2 // 3]
    for i in range(0, len(corpus_docs), 500):
        r = httpx.post(
            f"{base}/v1/corpus/documents",
            json={"documents": corpus_docs[i : i + 500]},
            headers=h,
            timeout=300,
        )
        r.raise_for_status()
    # warm-up: one check end to end (imports, catalogue load) before timing
    wid = httpx.post(f"{base}/v1/checks", files={"file": ("w.txt", papers[0])}, headers=h, timeout=60).json()[
        "id"
    ]
    while httpx.get(f"{base}/v1/checks/{wid}", headers=h).json()["status"] not in ("done", "failed"):
        time.sleep(0.1)

    latencies: list[float] = []
    ids: list[str] = []
    client = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=concurrency))

    def submit(i: int) -> None:
        t0 = time.perf_counter()
        r = client.post(f"{base}/v1/checks", files={"file": (f"p{i}.txt", papers[i])}, headers=h)
        latencies.append(time.perf_counter() - t0)
        r.raise_for_status()
        ids.append(r.json()["id"])

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(submit, range(len(papers))))
    submit_wall = time.perf_counter() - start
    pending = set(ids)
    failed = 0
    while pending:
        for check_id in list(pending):
            status = client.get(f"{base}/v1/checks/{check_id}", headers=h).json()["status"]
            if status in ("done", "failed"):
                pending.discard(check_id)
                failed += status == "failed"
        if pending:
            time.sleep(0.2)
    total_wall = time.perf_counter() - start
    runs = []
    for check_id in ids:
        body = client.get(f"{base}/v1/checks/{check_id}", headers=h).json()
        if body["started_at"] and body["finished_at"]:
            started = datetime.fromisoformat(body["started_at"])
            runs.append((datetime.fromisoformat(body["finished_at"]) - started).total_seconds())
    client.close()
    return {
        "requests": len(papers),
        "concurrency": concurrency,
        "corpus_documents": len(corpus_docs),
        "accepted_per_s": round(len(papers) / submit_wall, 1),
        "submit_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "submit_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "completed_per_s": round(len(papers) / total_wall, 2),
        "job_run_mean_s": round(statistics.mean(runs), 3) if runs else None,
        "wall_s": round(total_wall, 1),
        "failed": failed,
    }


def run_mode(
    mode: str, args: argparse.Namespace, docs: list[dict[str, Any]], papers: list[bytes]
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"integrity-load-{mode}-"))
    port = free_port()
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(tmp / "data"),
        "INTEGRITY_ADMIN_API_KEY": ADMIN_KEY,
        "INTEGRITY_ADMIN_TENANT": "root",
        "INTEGRITY_RATE_LIMIT_PER_MINUTE": "1000000",
        "INTEGRITY_WORKER_THREADS": str(args.workers),
        "INTEGRITY_QUEUE_BACKEND": mode,
    }
    cleanup: list[Any] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if mode == "celery":
            from sqlalchemy import create_engine, text

            uid = uuid.uuid4().hex[:10]
            schema, queue, prefix = f"load_{uid}", f"integrity-load-{uid}", f"intload{uid}"
            engine = create_engine(args.postgres_url)
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))

            def drop_schema() -> None:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()

            def drop_keys() -> None:
                import redis

                r = redis.Redis.from_url(args.redis_url)
                for pattern in (f"{prefix}:*", f"{queue}*", f"*{uid}*"):
                    keys = list(r.scan_iter(match=pattern, count=1000))
                    if keys:
                        r.delete(*keys)

            cleanup += [drop_schema, drop_keys]
            env.update(
                INTEGRITY_DATABASE_URL=f"{args.postgres_url}?options=-csearch_path%3D{schema}",
                INTEGRITY_BROKER_URL=args.redis_url,
                INTEGRITY_REDIS_URL=args.redis_url,
                INTEGRITY_LSH_BACKEND="redis",
                INTEGRITY_REDIS_KEY_PREFIX=prefix,
                INTEGRITY_CELERY_QUEUE=queue,
            )
            subprocess.run(
                [sys.executable, "-m", "integrity", "db", "upgrade"], env=env, check=True, capture_output=True
            )
            worker = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.app",
                "worker",
                "-Q",
                queue,
                "-P",
                "prefork",
                "-c",
                str(args.workers),
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
                "-n",
                f"load{uid}@%h",
            ]
            procs.append(
                subprocess.Popen(
                    worker,
                    env=env,
                    cwd=REPO,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp / "worker.log").open("wb"),
                )
            )
        server = [sys.executable, "-m", "integrity", "serve", "--port", str(port), "--log-level", "warning"]
        proc = subprocess.Popen(
            server, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=(tmp / "server.log").open("wb")
        )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        result = drive(base, docs, papers, args.concurrency)
        result["mode"] = mode
        result["job_workers"] = args.workers
        return result
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for fn in cleanup:
            try:
                fn()
            except Exception as exc:
                print(f"cleanup failed: {exc}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["inprocess", "celery", "both"], default="both")
    ap.add_argument("--requests", type=int, default=60, help="checks submitted per mode (bounded)")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent submitting clients")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="job threads / Celery processes")
    ap.add_argument("--corpus-docs", type=int, default=1500, help="abstracts loaded (2/3 go into the corpus)")
    ap.add_argument(
        "--redis-url", default=os.environ.get("INTEGRITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    ap.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "INTEGRITY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = ap.parse_args()
    if not 1 <= args.requests <= 2000:
        raise SystemExit("--requests must be between 1 and 2000")
    docs = load_abstracts(args.corpus_docs)
    papers = make_papers(docs, args.requests)
    modes = ["inprocess", "celery"] if args.mode == "both" else [args.mode]
    report: dict[str, Any] = {
        "machine": machine(),
        "results": [run_mode(m, args, docs, papers) for m in modes],
    }
    m = report["machine"]
    print(f"machine: {m['cpu_model']} × {m['nproc']} CPUs, {m['ram_gib']} GiB RAM, Python {m['python']}")
    cols = [
        "mode",
        "requests",
        "concurrency",
        "job_workers",
        "accepted_per_s",
        "submit_p50_ms",
        "submit_p95_ms",
        "completed_per_s",
        "job_run_mean_s",
        "wall_s",
        "failed",
    ]
    print("  ".join(f"{c:>15}" for c in cols))
    for r in report["results"]:
        print("  ".join(f"{r[c]!s:>15}" for c in cols))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
