"""In-process accuracy loop for the matcher: ``python -m bench.detect_eval --bench DIR [--every N]``.

Why next to ``score.py``: score.py starts one ``integrity check`` process per case (the contract test,
minutes on a loaded 2-core host); while changing the matcher we want the same measures in seconds. This
opens the corpus once, runs ``compare`` on every N-th case of each obfuscation type (a stratified
subset), and scores with score.py's own ``pan_measures``, per obfuscation type. Final numbers in the
README come from score.py, not from here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _score_module(given: Path | None, bench: Path) -> Any:
    path = given or bench.resolve().parent / "score.py"
    if not path.is_file():
        path = Path("../shared/bench/score.py")
    spec = importlib.util.spec_from_file_location("bench_score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str] | None = None) -> int:
    from integrity.corpus import Corpus
    from integrity.corpus.loaders import iter_records
    from integrity.match import compare
    from integrity.settings import get_settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, help="corpus directory (built once, reused)")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--score", type=Path, help="score.py (default: next to the bench)")
    ap.add_argument(
        "--pair-sources",
        action="store_true",
        help="count only detections against the case's PAN pair sources (truth `pan_pair_sources`): an "
        "approximation of PAN's pair protocol, where each suspicious/source pair was scored alone",
    )
    args = ap.parse_args(argv)
    settings = get_settings()
    corpus_dir = args.corpus or Path("bench/out/corpora") / args.bench.resolve().name
    if not (corpus_dir / "corpus.sqlite").is_file():
        t0 = time.time()
        with Corpus.open(corpus_dir, settings, create=True) as c:
            c.add(iter_records([args.bench / "corpus.jsonl"], settings))
        print(f"corpus built in {time.time() - t0:.1f}s", file=sys.stderr)
    score = _score_module(args.score, args.bench)
    truths = [
        json.loads(line) for line in (args.bench / "truth.jsonl").open(encoding="utf-8") if line.strip()
    ]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for t in truths:
        if not t.get("pdf"):
            by_type.setdefault(t["obfuscation"], []).append(t)
    chosen = [t for ts in by_type.values() for t in ts[:: args.every]]
    rows: dict[str, list[tuple[float, Any, float, dict[str, Any]]]] = {}
    t0 = time.time()
    with Corpus.open(corpus_dir, settings) as corpus:
        for t in chosen:
            text = (args.bench / t["file"]).read_text(encoding="utf-8")
            rep = compare(text, corpus, include_text=False)
            pair = set(t.get("pan_pair_sources") or ()) if args.pair_sources else None
            dets = [
                (s.doc_id, p.start, p.end, p.source_start, p.source_end)
                for s in rep.sources
                if pair is None or s.doc_id in pair
                for p in s.passages
            ]
            cases = [
                (p["source_id"], p["start"], p["end"], p["source_start"], p["source_end"])
                for p in t["passages"]
            ]
            err = abs(rep.total_copy_ratio - t["copy_fraction"])
            rows.setdefault(t["obfuscation"], []).append((err, (cases, dets), rep.total_copy_ratio, t))
    elapsed = time.time() - t0
    allpairs = []
    for ob, rs in sorted(rows.items()):
        pairs = [r[1] for r in rs]
        allpairs += pairs
        pm = score.pan_measures(pairs)
        neg = max((r[2] for r in rs), default=0) if ob == "negative" else None
        print(
            f"{ob:12s} n={len(rs):3d} MAE={statistics.mean(r[0] for r in rs):.4f} plagdet={pm['plagdet']:.4f}"
            f" P={pm['precision']:.3f} R={pm['recall']:.3f} G={pm['granularity']:.3f}"
            + (f" max_neg={neg:.3f}" if neg is not None else "")
        )
    flat = [r for rs in rows.values() for r in rs]
    acc = {}
    for th in (0.15, 0.25):
        acc[th] = sum((r[2] > th) == (r[3]["copy_fraction"] > th) for r in flat) / len(flat)
    pm = score.pan_measures(allpairs)
    print(
        f"ALL          n={len(flat):3d}"
        f" MAE={statistics.mean(r[0] for r in flat):.4f} plagdet={pm['plagdet']:.4f}"
        f" P={pm['precision']:.3f} R={pm['recall']:.3f} G={pm['granularity']:.3f}"
        f" acc@.15={acc[0.15]:.3f} acc@.25={acc[0.25]:.3f}  {elapsed / len(flat):.2f}s/case"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
