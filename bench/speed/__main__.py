"""``python -m bench.speed``: checks/s, per-stage time, index memory and recall, with copydetect as a peer.

Usage: ``python -m bench.speed [--docs 10000,100000] [--papers N] [--quick]`` (``make bench-speed``).
Prints a table and writes JSON to ``bench/out/speed.json`` (``speed-quick.json`` with ``--quick``).
Built corpora are cached under ``bench/out/speed-cache/`` keyed by the synthetic-text parameters, the
matching settings and a hash of the engine's build-side source (integrity/text, integrity/corpus), so a
changed engine is rebuilt rather than measured against a stale index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import integrity
from bench.machine import machine
from bench.speed.engine import (
    build_corpus,
    corpus_disk,
    in_child,
    measure_checks,
    measure_redis_index,
    write_json,
)
from bench.speed.peer import extrapolate_ms, measure_peer
from bench.speed.score import RecallTally
from bench.speed.synth import DEFAULT_ABSTRACTS, SentencePool, SynthPaper, SynthParams

REPO = Path(__file__).resolve().parents[2]
TARGET_CHECKS_PER_S = 10.0
TARGET_PEER_RATIO = 5.0
TARGET_KIB_PER_DOC = 4.0


def engine_key(settings_fields: dict[str, Any]) -> str:
    """Hash of the engine's build-side source files and the matching settings."""
    h = hashlib.sha1(json.dumps(settings_fields, sort_keys=True).encode())
    for pkg in ("text", "corpus"):
        for path in sorted((REPO / "integrity" / pkg).rglob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


def matching_settings(data_dir: Path) -> dict[str, Any]:
    from integrity.settings import Settings

    s = Settings(data_dir=data_dir)
    return {k: getattr(s, k) for k in ("minhash_perms", "lsh_threshold", "chunk_chars", "lsh_backend")}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", default=None, help="corpus sizes, comma-separated (default 10000,100000)")
    ap.add_argument("--papers", type=int, default=None, help="query papers of 5,000 characters (default 40)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2,000 short documents, 6 papers")
    ap.add_argument("--doc-chars", type=int, default=None, help="mean corpus document length (default 2000)")
    ap.add_argument("--paper-chars", type=int, default=5000)
    ap.add_argument("--mutate", type=float, default=0.12, help="share of CJK characters mutated per document")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--abstracts", type=Path, default=DEFAULT_ABSTRACTS, help="CSL abstracts JSONL")
    ap.add_argument("--peer-docs", type=int, default=10000, help="copydetect corpus subset (default 10000)")
    ap.add_argument("--peer-papers", type=int, default=None, help="papers through copydetect (default all)")
    ap.add_argument("--peer-noise", type=int, default=10, help="copydetect noise threshold (k)")
    ap.add_argument("--peer-guarantee", type=int, default=20, help="copydetect guarantee threshold")
    ap.add_argument("--no-peer", action="store_true", help="skip copydetect")
    ap.add_argument(
        "--redis-docs", type=int, default=0, help="also measure the Redis LSH index memory on N documents"
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="Redis for --redis-docs")
    ap.add_argument("--stage-papers", type=int, default=10, help="papers in the per-stage timing pass")
    ap.add_argument("--profile", action="store_true", help="cProfile the checks and the first build batch")
    ap.add_argument("--rebuild", action="store_true", help="ignore cached corpora")
    ap.add_argument("--out-dir", type=Path, default=REPO / "bench" / "out")
    ap.add_argument("--label", default="", help="free text stored in the JSON (e.g. the engine commit)")
    a = ap.parse_args(argv)
    if a.quick:
        a.docs = a.docs or "2000"
        a.papers = a.papers or 6
        a.doc_chars = a.doc_chars or 1000
        a.stage_papers = min(a.stage_papers, 3)
        a.peer_docs = min(a.peer_docs, 2000)
    a.docs = [int(x) for x in (a.docs or "10000,100000").split(",") if x.strip()]
    a.papers = a.papers or 40
    a.doc_chars = a.doc_chars or 2000
    if min(a.docs) < 1 or a.papers < 1:
        ap.error("--docs and --papers must be positive")
    return a


def ensure_corpus(
    a: argparse.Namespace, params: SynthParams, n_docs: int, key: str, data_dir: Path
) -> tuple[Path, dict[str, Any]]:
    """The cached corpus of ``n_docs`` documents, built in a child process when missing."""
    cache = a.out_dir / "speed-cache" / f"corpus-{params.key()}-{key}-{n_docs}"
    marker = cache / "bench-build.json"
    if marker.exists() and not a.rebuild:
        info = json.loads(marker.read_text())
        info["cached"] = True
        return cache / "corpus", info
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    print(f"构建语料库 {n_docs} 篇 (building corpus, cached at {cache}) …", flush=True)
    prof = a.out_dir / f"speed-build-{n_docs}.prof" if a.profile else None
    info = in_child(build_corpus, cache / "corpus", params, n_docs, data_dir, prof)
    info["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    marker.write_text(json.dumps(info, ensure_ascii=False, indent=2))
    info["cached"] = False
    return cache / "corpus", info


def score(papers: list[SynthPaper], spans: list[list[Any]]) -> dict[str, Any]:
    tally = RecallTally()
    for paper, s in zip(papers, spans, strict=True):
        tally.add(paper, [(str(d), int(x), int(y)) for d, x, y in s])
    return tally.summary()


def run(a: argparse.Namespace) -> dict[str, Any]:
    a.out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = a.out_dir / "speed-cache" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    params = SynthParams(doc_chars=a.doc_chars, mutate=a.mutate, seed=a.seed, abstracts=str(a.abstracts))
    t0 = time.perf_counter()
    pool = SentencePool(params)
    source_docs = min([*a.docs, a.peer_docs] if not a.no_peer else a.docs)
    papers = pool.papers(a.papers, source_docs, a.paper_chars)
    texts = [p.text for p in papers]
    synth_s = time.perf_counter() - t0
    del pool
    settings_fields = matching_settings(data_dir)
    key = engine_key({k: str(v) for k, v in settings_fields.items()})
    result: dict[str, Any] = {
        "benchmark": "speed",
        "machine": machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "label": a.label,
        "engine_source": str(Path(integrity.__file__).parent),
        "params": {
            "docs": a.docs,
            "papers": a.papers,
            "paper_chars": a.paper_chars,
            "doc_chars_mean": a.doc_chars,
            "mutate": a.mutate,
            "seed": a.seed,
            "abstracts": str(a.abstracts),
            "planted_sources_from_first_docs": source_docs,
            "planted_passages": sum(len(p.planted) for p in papers),
            "clean_papers": sum(1 for p in papers if not p.planted),
            "settings": {k: str(v) for k, v in settings_fields.items()},
            "synth_seconds": round(synth_s, 2),
        },
        "engine": {},
    }
    for n in a.docs:
        corpus_dir, build = ensure_corpus(a, params, n, key, data_dir)
        print(f"测量 {n} 篇语料 (measuring checks) …", flush=True)
        prof = a.out_dir / f"speed-check-{n}.prof" if a.profile else None
        m = in_child(measure_checks, corpus_dir, texts, data_dir, a.stage_papers, prof)
        spans = m.pop("spans")
        m.pop("ratios")
        rss = m["rss_kib"]
        m["memory"] = {
            "rss_open_kib_per_doc": round((rss["open"] - rss["baseline"]) / n, 3),
            "rss_after_checks_kib_per_doc": round((rss["after_all"] - rss["baseline"]) / n, 3),
            "disk": corpus_disk(corpus_dir, n),
        }
        m["recall"] = score(papers, spans)
        m["build"] = build
        result["engine"][str(n)] = m
        print(
            f"  {n}: {m['checks_per_s']} checks/s, build {build['docs_per_s']} docs/s, "
            f"char recall {m['recall']['char_recall']}",
            flush=True,
        )
    if a.redis_docs > 0:
        print(f"Redis LSH 索引内存: {a.redis_docs} 篇 …", flush=True)
        result["redis_index"] = in_child(measure_redis_index, params, a.redis_docs, data_dir, a.redis_url)
    if not a.no_peer:
        n_peer = min(a.peer_docs, max(a.docs))
        k = a.peer_papers or a.papers
        print(f"copydetect: {n_peer} 篇语料, {k} 篇论文 …", flush=True)
        pm = in_child(measure_peer, params, n_peer, texts[:k], a.peer_noise, a.peer_guarantee)
        pm["recall"] = score(papers[:k], pm.pop("spans"))
        pm["per_corpus"] = {}
        for n in a.docs:
            measured = n == n_peer
            ms = pm["ms_per_check"] if measured else extrapolate_ms(pm, n)
            eng = result["engine"][str(n)]
            pm["per_corpus"][str(n)] = {
                "ms_per_check": round(ms, 2),
                "checks_per_s": round(1000 / ms, 3),
                "how": "measured" if measured else f"extrapolated linearly from {n_peer} documents",
                "engine_speedup": round(eng["checks_per_s"] * ms / 1000, 2),
            }
        result["copydetect"] = pm
    result["targets"] = targets(result, a)
    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def targets(result: dict[str, Any], a: argparse.Namespace) -> list[dict[str, Any]]:
    big = str(max(a.docs))
    eng = result["engine"][big]
    rows: list[dict[str, Any]] = [
        {
            "target": f"≥ {TARGET_CHECKS_PER_S:g} checks/s/core at {big} docs",
            "value": eng["checks_per_s"],
            "ok": eng["checks_per_s"] >= TARGET_CHECKS_PER_S,
        },
        {
            "target": f"≤ {TARGET_KIB_PER_DOC:g} KiB index memory (RSS) per doc at {big} docs",
            "value": eng["memory"]["rss_after_checks_kib_per_doc"],
            "ok": eng["memory"]["rss_after_checks_kib_per_doc"] <= TARGET_KIB_PER_DOC,
        },
    ]
    red = result.get("redis_index")
    if red:
        rows.append(
            {
                "target": f"≤ {TARGET_KIB_PER_DOC:g} KiB index memory per doc, Redis LSH ({red['docs']})",
                "value": round(red["bytes_per_doc"] / 1024, 2),
                "ok": red["bytes_per_doc"] / 1024 <= TARGET_KIB_PER_DOC,
            }
        )
    peer = result.get("copydetect")
    if peer:
        n_peer = str(peer["docs"])
        if n_peer in result["engine"]:
            speed = peer["per_corpus"][n_peer]["engine_speedup"]
            rows.append(
                {
                    "target": f"≥ {TARGET_PEER_RATIO:g}× copydetect checks/s (same {n_peer} docs, measured)",
                    "value": speed,
                    "ok": speed >= TARGET_PEER_RATIO,
                }
            )
        ours = result["engine"][n_peer if n_peer in result["engine"] else big]["recall"]
        theirs = peer["recall"]
        for metric in ("passage_recall", "char_recall"):
            rows.append(
                {
                    "target": f"{metric} ≥ copydetect's ({theirs[metric]})",
                    "value": ours[metric],
                    "ok": ours[metric] >= theirs[metric],
                }
            )
    return rows


def print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=130)
    m = result["machine"]
    con.print(
        f"[bold]bench.speed[/] {result['when']} — {m['nproc']} CPU × {m['cpu_model']}, "
        f"{m['ram_gib']} GiB RAM, "
        f"Python {m['python']}; papers: {result['params']['papers']} × {result['params']['paper_chars']} 字, "
        f"{result['params']['planted_passages']} planted passages; one pinned core; "
        f"load average {m['loadavg_at_start'][0]} → {m.get('loadavg_at_end', ['?'])[0]} "
        "(other work on the host slows every number)"
    )
    t = Table(title="integrity engine (checks/s, ms: CPU time of the pinned process; (wall): wall clock)")
    cols = ("docs", "checks/s", "(wall)", "ms/check", "first ms", "build docs/s", "RSS KiB/doc", "disk B/doc")
    # build docs/s: CPU time inside Corpus.add (wall-clock rate in the JSON)
    for col in cols:
        t.add_column(col, justify="right")
    for col in ("passage rec.", "char rec.", "source rec.", "extra chars"):
        t.add_column(col, justify="right")
    for n, e in result["engine"].items():
        r = e["recall"]
        t.add_row(
            n,
            f"{e['checks_per_s']:.2f}",
            f"{e.get('wall_checks_per_s', 0):.2f}",
            f"{e['ms_per_check']:.1f}",
            f"{e['first_check_ms']:.0f}",
            f"{e['build'].get('docs_per_cpu_s') or e['build']['docs_per_s']}"
            + (" (cached)" if e["build"].get("cached") else ""),
            f"{e['memory']['rss_after_checks_kib_per_doc']:.2f}",
            f"{e['memory']['disk']['bytes_per_doc']:.0f}",
            f"{r['passage_recall']:.3f}",
            f"{r['char_recall']:.3f}",
            f"{r['source_recall']:.3f}",
            f"{r['extra_char_ratio']:.3f}",
        )
    con.print(t)
    st = Table(title="engine: ms per check by stage (exclusive; stage-timed pass)")
    stages = next(iter(result["engine"].values()))["stage_ms"].keys()
    st.add_column("docs", justify="right")
    for s in stages:
        st.add_column(s, justify="right")
    for n, e in result["engine"].items():
        st.add_row(n, *(f"{e['stage_ms'][s]:.2f}" for s in stages))
    con.print(st)
    missing = sorted({x for e in result["engine"].values() for x in e["stage_missing"]})
    if missing:
        con.print(f"[yellow]stage functions not found (time counted under 'other'):[/] {', '.join(missing)}")
    peer = result.get("copydetect")
    if peer:
        pt = Table(
            title=f"copydetect {peer['noise_t']}/{peer['guarantee_t']} (measured on {peer['docs']} docs, "
            f"{peer['checks']} papers)"
        )
        for col in ("docs", "ms/check", "checks/s", "how", "engine ×"):
            pt.add_column(col, justify="right")
        for n, row in peer["per_corpus"].items():
            cells = (f"{row['ms_per_check']:.1f}", f"{row['checks_per_s']:.3f}", row["how"])
            pt.add_row(n, *cells, f"{row['engine_speedup']}")
        con.print(pt)
        r = peer["recall"]
        con.print(
            f"copydetect recall: passage {r['passage_recall']:.3f}, char {r['char_recall']:.3f}, "
            f"source {r['source_recall']:.3f}, extra chars {r['extra_char_ratio']:.3f}; "
            f"fingerprints {peer['build_docs_per_s']} docs/s, {peer['memory_kib_per_doc']:.1f} KiB/doc in RAM"
        )
    red = result.get("redis_index")
    if red:
        con.print(
            f"Redis LSH index (scale-out): {red['bytes_per_doc']:.0f} B/doc in Redis memory "
            f"({red['keys']} keys for {red['docs']} docs, {red['bytes_per_key']:.0f} B/key, sampled)"
        )
    tt = Table(title="targets (issue 3)")
    tt.add_column("target")
    tt.add_column("value", justify="right")
    tt.add_column("ok")
    for row in result["targets"]:
        tt.add_row(row["target"], str(row["value"]), "[green]yes[/]" if row["ok"] else "[red]NO[/]")
    con.print(tt)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    result = run(a)
    out = a.out_dir / ("speed-quick.json" if a.quick else "speed.json")
    write_json(out, result)
    print_table(result)
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
