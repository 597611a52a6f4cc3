"""Build the engine's corpus (cached) and measure checks in a fresh, single-core process.

Why a fresh process per measurement: resident memory of "open the index and run queries" is only
meaningful without the build's garbage in the same heap, and pinning one CPU (``sched_setaffinity``) with
BLAS threads off makes "checks/s on one core" literal. The child returns plain numbers and spans.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sqlite3
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.speed.synth import SentencePool, SynthDoc, SynthParams

SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _current_cpu() -> int | None:
    """The CPU this process last ran on (/proc/self/stat field 39)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None


def single_thread() -> None:
    for k, v in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(k, v)


def pin_one_core() -> int | None:
    """Pin this process to one CPU: the one the scheduler already put it on. Not a fixed CPU: several
    benchmark processes on a shared host would otherwise all queue on the same core."""
    single_thread()
    try:
        allowed = sorted(os.sched_getaffinity(0))
        cpu = _current_cpu()
        cpu = cpu if cpu in allowed else allowed[-1]
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


def in_child(fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` in a fresh spawned interpreter and return its (trusted, our own) result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _settings(data_dir: Path) -> Any:
    from integrity.settings import Settings

    return Settings(data_dir=data_dir)


def _records(docs: Iterable[SynthDoc]) -> Iterator[Any]:
    from integrity.corpus import CorpusRecord

    for d in docs:
        yield CorpusRecord(id=d.id, title=d.title, text=d.text, authors=d.authors, year=d.year)


def build_corpus(
    corpus_dir: Path,
    params: SynthParams,
    n_docs: int,
    data_dir: Path,
    profile_to: Path | None = None,
    batch: int = 1000,
) -> dict[str, Any]:
    """Add synthetic documents ``0..n_docs`` to a new corpus; engine seconds, docs/s and peak RSS.

    Runs in a child (see ``in_child``) so the peak RSS is the build's own (it includes the ~100 MB
    sentence pool). Only time inside ``Corpus.add`` counts as build time; generating the synthetic text
    is timed apart. With ``profile_to``, the first batch is also profiled with cProfile (not the whole
    build: profiling doubles the time).
    """
    single_thread()  # not pinned: the build is single-threaded; its rates are reported as CPU time too
    from integrity.corpus import Corpus

    pool = SentencePool(params)
    settings = _settings(data_dir)
    add_s = gen_s = add_cpu = 0.0
    timed_docs = 0
    segment = max(batch, n_docs // 10)
    seg_s = seg_cpu = 0.0
    seg_docs = 0
    by_segment: list[dict[str, Any]] = []  # docs/s per tenth of the build: shows slow-down with size
    profiled: dict[str, Any] = {}
    t_all = time.perf_counter()
    with Corpus.open(corpus_dir, settings, create=True) as corpus:
        for start in range(0, n_docs, batch):
            tg = time.perf_counter()
            chunk = list(_records(pool.docs(start, min(n_docs, start + batch))))
            gen_s += time.perf_counter() - tg
            ta = time.perf_counter()
            ca = time.process_time()
            if start == 0 and profile_to is not None:
                prof = cProfile.Profile()
                prof.runcall(corpus.add, chunk)
                prof.dump_stats(str(profile_to))
                profiled = {
                    "profiled_docs": len(chunk),
                    "profiled_s": round(time.perf_counter() - ta, 3),
                    "top": top_functions(profile_to),
                }
                continue  # profiler overhead: not part of the build rate
            corpus.add(chunk)
            dt = time.perf_counter() - ta
            add_s += dt
            add_cpu += time.process_time() - ca
            seg_cpu += time.process_time() - ca
            timed_docs += len(chunk)
            seg_s += dt
            seg_docs += len(chunk)
            if seg_docs >= segment or start + batch >= n_docs:
                done = min(n_docs, start + batch)
                rate = round(seg_docs / seg_s, 1) if seg_s else None
                cpu_rate = round(seg_docs / seg_cpu, 1) if seg_cpu else None
                by_segment.append({"up_to": done, "docs_per_s": rate, "docs_per_cpu_s": cpu_rate})
                seg_s, seg_cpu, seg_docs = 0.0, 0.0, 0
    wall = time.perf_counter() - t_all
    return {
        "docs": n_docs,
        "add_seconds": round(add_s, 2),
        "generate_seconds": round(gen_s, 2),
        "wall_seconds": round(wall, 2),
        "docs_per_s": round(timed_docs / add_s, 1) if add_s else None,
        "add_cpu_seconds": round(add_cpu, 2),
        "docs_per_cpu_s": round(timed_docs / add_cpu, 1) if add_cpu else None,
        "docs_per_s_by_segment": by_segment,
        "peak_rss_mib": round(peak_rss_kib() / 1024, 1),
        "profiled_first_batch": bool(profiled),
        **({"profile": profiled} if profiled else {}),
    }


def top_functions(stats_path: Path, n: int = 15) -> list[dict[str, Any]]:
    """The ``n`` functions with the most own time, as JSON rows."""
    st = pstats.Stats(str(stats_path))
    rows = []
    for (file, line, name), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": nc,
                "tottime_s": round(tt, 4),
                "cumtime_s": round(ct, 4),
            }
        )
    rows.sort(key=lambda r: -float(r["tottime_s"]))
    return rows[:n]


def corpus_disk(corpus_dir: Path, docs: int) -> dict[str, Any]:
    """Bytes on disk per document, and per SQLite table/index when ``dbstat`` is available."""
    total = sum(p.stat().st_size for p in corpus_dir.rglob("*") if p.is_file())
    out: dict[str, Any] = {"bytes": total, "bytes_per_doc": round(total / max(1, docs), 1)}
    tables: dict[str, int] = {}
    for db in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        with db.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                continue
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                    tables[f"{db.name}:{name}"] = int(size)
            finally:
                con.close()
        except sqlite3.Error:
            continue
    if tables:
        out["sqlite_bytes_per_doc"] = {
            k: round(v / max(1, docs), 1) for k, v in sorted(tables.items(), key=lambda kv: -kv[1])
        }
    return out


def _warm_up(settings: Any, text: str) -> None:
    """One check against a throwaway one-document corpus, so lazy imports and caches are loaded
    before the memory baseline: the RSS delta is then the index's, not the engine's code."""
    import tempfile

    from integrity.corpus import Corpus, CorpusRecord
    from integrity.match import compare

    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Path(tmp), settings, create=True) as c:
        c.add([CorpusRecord(id="warm", title="warm", text=text[: len(text) // 2])])
        compare(text, c, include_text=False)


def measure_checks(
    corpus_dir: Path,
    texts: list[str],
    data_dir: Path,
    stage_papers: int,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    """Checks/s on one pinned core, per-stage time, RSS of the open index; spans for scoring.

    Rates are CPU time of this (single-threaded, pinned) process — on a shared host the wall clock also
    counts other processes' turns on the core; wall-clock rates are reported next to them.
    Order: warm imports → baseline RSS → open corpus → first (cold) check → timed checks over all papers
    → a second pass over ``stage_papers`` papers with stage clocks → optional cProfile pass.
    """
    cpu = pin_one_core()
    from bench.speed.stages import StageClock
    from integrity.corpus import Corpus
    from integrity.match import compare

    settings = _settings(data_dir)
    _warm_up(settings, texts[0])
    rss0 = rss_kib()
    t0 = time.perf_counter()
    corpus = Corpus.open(corpus_dir, settings)
    open_s = time.perf_counter() - t0
    rss_open = rss_kib()
    t0 = time.perf_counter()
    compare(texts[0], corpus, include_text=False)
    first_s = time.perf_counter() - t0
    rss_first = rss_kib()
    spans: list[list[tuple[str, int, int]]] = []
    ratios: list[float] = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for text in texts:
        report = compare(text, corpus, include_text=False)
        spans.append([(s.doc_id, p.start, p.end) for s in report.sources for p in s.passages])
        ratios.append(report.total_copy_ratio)
    cpu_s = time.process_time() - c0
    total_s = time.perf_counter() - t0
    rss_after = rss_kib()
    clock = StageClock(clock=time.process_time)
    subset = texts[: max(1, stage_papers)]
    with clock.active():
        t1 = time.process_time()
        for text in subset:
            compare(text, corpus, include_text=False)
        stage_total = time.process_time() - t1
    profile: list[dict[str, Any]] = []
    if profile_to is not None:
        prof = cProfile.Profile()
        for text in subset:
            prof.runcall(compare, text, corpus, include_text=False)
        prof.dump_stats(str(profile_to))
        profile = top_functions(profile_to)
    describe = corpus.describe() if hasattr(corpus, "describe") else {}
    docs = int(describe.get("documents") or describe.get("docs") or 0) if isinstance(describe, dict) else 0
    close = getattr(corpus, "close", None)
    if close is not None:
        close()
    return {
        "cpu": cpu,
        "checks": len(texts),
        "seconds": round(total_s, 3),
        "checks_per_s": round(len(texts) / cpu_s, 2),
        "ms_per_check": round(1000 * cpu_s / len(texts), 2),
        "cpu_seconds": round(cpu_s, 3),
        "wall_checks_per_s": round(len(texts) / total_s, 2),
        "wall_ms_per_check": round(1000 * total_s / len(texts), 2),
        "first_check_ms": round(1000 * first_s, 1),
        "open_s": round(open_s, 3),
        "stage_ms": clock.per_check_ms(len(subset), stage_total),
        "stage_calls": clock.calls,
        "stage_missing": clock.missing,
        "rss_kib": {"baseline": rss0, "open": rss_open, "after_first": rss_first, "after_all": rss_after},
        "describe_docs": docs,
        "spans": spans,
        "ratios": ratios,
        **({"profile_top": profile} if profile else {}),
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def measure_redis_index(
    params: SynthParams, n_docs: int, data_dir: Path, redis_url: str, sample: int = 3000
) -> dict[str, Any]:
    """Memory of the scale-out LSH index: ``n_docs`` documents into a throwaway corpus whose band sets
    live in Redis under a unique key prefix; ``MEMORY USAGE`` of a random sample of its keys, scaled to
    all keys. The keys and the corpus directory are deleted afterwards."""
    import random
    import shutil
    import tempfile
    import uuid

    import redis

    from integrity.corpus import Corpus
    from integrity.settings import Settings

    prefix = f"bench-speed-{uuid.uuid4().hex[:10]}"
    settings = Settings(data_dir=data_dir, lsh_backend="redis", redis_url=redis_url, redis_key_prefix=prefix)
    r = redis.Redis.from_url(redis_url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-speed-redis-"))
    pool = SentencePool(params)
    try:
        with Corpus.open(tmp / "corpus", settings, create=True) as corpus:
            for start in range(0, n_docs, 500):
                corpus.add(list(_records(pool.docs(start, min(n_docs, start + 500)))))
        keys = [k for k in r.scan_iter(match=f"{prefix}:*", count=5000)]
        picked = random.Random(1).sample(keys, min(sample, len(keys)))
        pipe = r.pipeline(transaction=False)
        for k in picked:
            pipe.memory_usage(k, samples=0)
        sizes = [int(x or 0) for x in pipe.execute()]
        total = sum(sizes) / max(1, len(sizes)) * len(keys)
        members = sum(int(r.scard(k)) for k in picked) / max(1, len(picked)) * len(keys)
        return {
            "docs": n_docs,
            "keys": len(keys),
            "members_estimate": round(members),
            "bytes_per_key": round(sum(sizes) / max(1, len(sizes)), 1),
            "bytes_per_doc": round(total / max(1, n_docs), 1),
            "sampled_keys": len(picked),
        }
    finally:
        from bench.machine import delete_redis_keys

        delete_redis_keys(r, f"{prefix}:*")
        shutil.rmtree(tmp, ignore_errors=True)
