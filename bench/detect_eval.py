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
    ap.add_argument(
        "--audit",
        action="store_true",
        help="also print, per obfuscation type, how much of each detection's paper side reappears in its "
        "source side (content stems), for detections the truth annotates, detections it does not, and "
        "random windows of random corpus documents (the control)",
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
    audit = Audit(args.bench) if args.audit else None
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
            if audit is not None:
                audit.add(t["obfuscation"], text, cases, dets, t.get("pan_pair_sources") or [])
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
    if audit is not None:
        audit.report()
    return 0


class Audit:
    """Are detections outside the truth real copies? ``containment`` = share of the distinct content
    stems of a detection's paper side that its source side also holds. Why: PAN 2013 pairs were sampled,
    so a suspicious document can hold obfuscated passages of corpus documents outside its pairs; the
    bench dropped only sources sharing unannotated *verbatim* text. When unannotated detections contain
    as much of their source as annotated ones, and random windows almost nothing, they are unannotated
    copies, not false alarms; the figures say which."""

    def __init__(self, bench: Path) -> None:
        import random

        self.texts = {
            r["id"]: r["text"]
            for r in map(json.loads, (bench / "corpus.jsonl").open(encoding="utf-8"))
            if r.get("text")
        }
        self.ids = sorted(self.texts)
        self.rng = random.Random(7)
        self.values: dict[tuple[str, str], list[float]] = {}

    def add(
        self,
        ob: str,
        text: str,
        cases: list[tuple[Any, ...]],
        dets: list[tuple[Any, ...]],
        topical: list[str],
    ) -> None:
        """``topical``: the case's PAN pair sources, documents on the paper's own topic (a harder
        control than a random document: shared vocabulary without copying)."""
        from integrity.text.english import content_stems

        def containment(a: str, b: str) -> float:
            sa = set(content_stems(a))
            return len(sa & set(content_stems(b))) / max(1, len(sa))

        for doc, s, e, ss, se in dets:
            annotated = any(c[0] == doc and c[1] < e and s < c[2] for c in cases)
            kind = "annotated" if annotated else "unannotated"
            src = self.texts.get(doc, "")
            self.values.setdefault((ob, kind), []).append(containment(text[s:e], src[ss:se]))
            near = [d for d in topical if d != doc and d in self.texts]
            for kind, pool in (("random window", self.ids), ("same-topic win", near)):
                if pool:
                    other = self.texts[self.rng.choice(pool)]
                    at = self.rng.randint(0, max(0, len(other) - (se - ss)))
                    control = containment(text[s:e], other[at : at + se - ss])
                    self.values.setdefault((ob, kind), []).append(control)

    def report(self) -> None:
        print("containment of the paper side's content stems in the source side: median [p10, p90]")
        for (ob, kind), v in sorted(self.values.items()):
            v.sort()
            print(
                f"  {ob:12s} {kind:14s} n={len(v):4d} {statistics.median(v):.2f}"
                f" [{v[len(v) // 10]:.2f}, {v[9 * len(v) // 10]:.2f}]"
            )


if __name__ == "__main__":
    raise SystemExit(main())
