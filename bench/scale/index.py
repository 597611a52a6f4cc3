"""The band index alone: bulk-insert synthetic band hashes of paper-length documents, then query.

Why synthetic band hashes: band hashes of real text are uniformly distributed 64-bit values, so random
ones load the index exactly like real documents, without paying for text generation and MinHash at 10^5+
documents. A document of 5,000 characters stores 50 chunks x 32 bands = 1,600 hashes; a query paper has
~150 windows x 32 bands = 4,800 distinct hashes, of which three planted sources contribute 320 each (a
1,000-character copied passage). Recall = all planted sources among the top 10 candidates.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.scale.common import (
    DiskPeak,
    cpu_seconds,
    drop_backend,
    pg_backend_pid,
    redis_used_memory,
    settings_for,
    status_kib,
)

PER_DOC = 1600
QUERY_HASHES = 4800
PLANTED = 3
PER_PLANT = 320
_SEED = np.uint64(0x5CA1E)


def doc_hashes(i: int) -> np.ndarray:
    from integrity.corpus.fingerprint import _fmix64

    with np.errstate(over="ignore"):
        base = np.uint64(i) * np.uint64(PER_DOC)
        return _fmix64(np.arange(PER_DOC, dtype=np.uint64) + base + _SEED).view(np.int64)


def doc_key(i: int) -> str:
    return f"syn-{i:07d}"


def query_for(rng: np.random.Generator, n_docs: int) -> tuple[np.ndarray, list[int]]:
    sources = sorted(int(x) for x in rng.choice(n_docs, PLANTED, replace=False))
    parts = [doc_hashes(s)[rng.choice(PER_DOC, PER_PLANT, replace=False)] for s in sources]
    noise = rng.integers(-(2**63), 2**63 - 1, QUERY_HASHES - PLANTED * PER_PLANT, dtype=np.int64)
    return np.concatenate([*parts, noise]), sources


def _open(backend: str, work: Path, tag: str) -> tuple[Any, sqlite3.Connection]:
    from integrity.corpus.index import open_index

    work.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(work / f"index-{tag}.sqlite"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return open_index(backend, settings_for(backend, work, tag), conn, "bench"), conn


def measure_queries(backend: str, work: str, tag: str, n_docs: int, queries: int) -> dict[str, Any]:
    """In a fresh process: open the index, run ``queries`` planted queries; latency, recall, RAM."""
    rss0 = status_kib("self", "VmRSS")
    index, conn = _open(backend, Path(work), tag)
    pid = pg_backend_pid(index)
    rng = np.random.default_rng(n_docs)
    lat: list[float] = []
    found = 0
    cpu0 = time.process_time()
    pg0 = cpu_seconds(pid) if pid else 0.0
    for _ in range(queries):
        q, sources = query_for(rng, n_docs)
        t = time.perf_counter()
        hits = index.query(q)
        lat.append(time.perf_counter() - t)
        top = {k for k, _ in hits.most_common(10)}
        want = {s + 1 if index.keys_are_rowids else doc_key(s) for s in sources}
        found += len(want & top)
    cpu = time.process_time() - cpu0 + ((cpu_seconds(pid) - pg0) if pid else 0.0)
    lat.sort()
    out = {
        "query_ms_p50": round(1000 * statistics.median(lat), 1),
        "query_ms_p95": round(1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        "queries_per_cpu_s": round(queries / cpu, 2) if cpu else None,
        "recall_planted": round(found / (PLANTED * queries), 4),
        "client_rss_kib": status_kib("self", "VmRSS") - rss0,
        "server_rss_anon_kib": status_kib(pid, "RssAnon") if pid else None,
    }
    index.close()
    conn.close()
    return out


def run_backend(
    backend: str,
    sizes: list[int],
    work: Path,
    queries: int,
    batch: int,
    deadline: float,
    progress: Callable[[dict[str, Any]], None] = lambda run: None,
) -> dict[str, Any]:
    """Build cumulatively to each size, compact, measure; ``progress`` gets the run after each size (a
    10^6 build takes an hour: what was measured is saved even if a later size fails)."""
    from bench.speed.engine import in_child

    tag = f"idx-{backend}"
    drop_backend(backend, tag)
    for f in work.glob(f"index-{tag}.sqlite*"):
        f.unlink()
    index, conn = _open(backend, work, tag)
    index.bulk = True
    mem0 = redis_used_memory() if backend == "redis" else 0
    built, build_s, points = 0, 0.0, []
    for size in sizes:
        if time.time() > deadline:
            points.append({"docs": size, "skipped": "time budget"})
            break
        t0 = time.perf_counter()
        for start in range(built, size, batch):
            conn.execute("BEGIN")
            for i in range(start, min(size, start + batch)):
                index.add(i + 1, doc_key(i), doc_hashes(i))
            index.flush()
            conn.execute("COMMIT")
            index.commit()
        seg_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with DiskPeak() as peak:
            index.compact()
        compact_s = time.perf_counter() - t1
        build_s += seg_s + compact_s
        docs_added, built = size - built, size
        disk = index.size_bytes() if not index.in_memory else 0
        ram = redis_used_memory() - mem0 if backend == "redis" else 0
        q = in_child(measure_queries, backend, str(work), tag, size, queries)
        resident = ram + 1024 * (q["client_rss_kib"] + (q["server_rss_anon_kib"] or 0))
        point = {
            "docs": size,
            "entries": size * PER_DOC,
            "build_s_cumulative": round(build_s, 1),
            "docs_per_s": round(docs_added / seg_s, 1),
            "compact_s": round(compact_s, 1),
            "compact_transient_disk_gb": round(peak.used_at_peak / 1e9, 2),
            "disk_free_gb_before_compaction": round(peak.free_before / 1e9, 1),
            "disk_bytes_per_doc": round(disk / size, 1),
            "ram_bytes_per_doc": round(resident / size, 1),
            **q,
        }
        points.append(point)
        progress({"backend": backend, "points": points})
        print(f"  {backend} {size}: {point}", flush=True)
    index.close()
    conn.close()
    return {"backend": backend, "points": points}
