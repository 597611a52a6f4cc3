"""``python -m bench.scale index|pipeline|plot``: the index at scale, SQLite vs Redis vs PostgreSQL.

Results go to ``bench/out/scale-{index,pipeline}.json``; ``plot`` draws ``bench/scale/growth.png`` from
them (matplotlib, ``pip install -e '.[bench]'``). ``--minutes`` bounds a run: sizes not started before the
budget ends are recorded as skipped, never silently dropped.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench.machine import machine
from bench.scale.common import BACKENDS, BUCKET_BITS, PARTITIONS

OUT = Path("bench/out")
PNG = Path(__file__).with_name("growth.png")


def _sizes(raw: str) -> list[int]:
    return sorted(int(float(x)) for x in raw.split(","))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale")
    ap.add_argument("what", choices=("index", "pipeline", "plot"))
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--sizes", default=None, help="comma-separated document counts (cumulative builds)")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--papers", type=int, default=20)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--filler", type=float, default=0, help="pipeline: synthetic documents in the index only")
    ap.add_argument("--minutes", type=float, default=30.0, help="time budget per backend")
    ap.add_argument("--work", type=Path, default=Path("var/bench-scale"))
    ap.add_argument("--out-tag", default="", help="suffix of the result file (parallel runs)")
    a = ap.parse_args(argv)
    if a.what == "plot":
        plot()
        return 0
    a.work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"benchmark": f"scale-{a.what}", "machine": machine(), "runs": []}
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["postgres_bucket_bits"] = BUCKET_BITS  # BENCH_BUCKET_BITS
    result["postgres_partitions"] = PARTITIONS  # BENCH_PARTITIONS
    out = OUT / f"scale-{a.what}{a.out_tag}.json"
    for backend in a.backends.split(","):
        deadline = time.time() + 60 * a.minutes
        print(f"{a.what}: {backend}", flush=True)
        if a.what == "index":
            from bench.scale.index import run_backend

            sizes = _sizes(a.sizes or "1e4,3e4,1e5")

            def save(partial: dict[str, Any]) -> None:
                out.write_text(json.dumps({**result, "runs": [*result["runs"], partial]}, indent=2))

            run = run_backend(backend, sizes, a.work, a.queries, a.batch, deadline, save)
        else:
            from bench.scale.pipeline import run_backend as run_pipeline

            sizes = _sizes(a.sizes or "1e4")
            run = run_pipeline(backend, sizes, a.work, a.papers, deadline, int(a.filler))
        result["runs"].append(run)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def plot() -> None:
    """Growth curves: query p50 and RAM / disk per document against corpus size, one line per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # one line per run, named by backend and result file (a later run of a backend is a separate line)
    runs = [
        (r, f"{r['backend']} [{f.stem.removeprefix('scale-index').strip('-')}]")
        for f in sorted(OUT.glob("scale-index*.json"))
        for r in json.loads(f.read_text())["runs"]
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for i, (run, label) in enumerate(runs):
        style = {"marker": "o", "color": f"C{i % 10}", "label": label}  # one colour per run in all panels
        pts = [p for p in run["points"] if "skipped" not in p]
        if not pts:
            continue
        xs = [p["docs"] for p in pts]
        axes[0].plot(xs, [p["query_ms_p50"] for p in pts], **style)
        axes[1].plot(xs, [p["ram_bytes_per_doc"] / 1024 for p in pts], **style)
        if any(p["disk_bytes_per_doc"] for p in pts):  # Redis: in RAM, no disk curve
            axes[2].plot(xs, [p["disk_bytes_per_doc"] / 1024 for p in pts], **style)
    titles = ("query p50 (ms)", "RAM per document (KiB)", "disk per document (KiB)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("documents (5,000 chars, 1,600 band hashes each)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    fig.suptitle("Band index growth (2-vCPU host shared with parallel runs)")
    fig.tight_layout()
    fig.savefig(PNG, dpi=90)
    print(f"wrote {PNG}")


if __name__ == "__main__":
    raise SystemExit(main())
