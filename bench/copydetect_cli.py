"""copydetect behind the ``integrity`` command-line contract, so ``score.py`` scores it unchanged.

``python -m bench.copydetect_cli corpus add --corpus DIR FILE.jsonl`` fingerprints every record once
(copydetect's winnowing, ``filter=False`` because its code tokeniser does not apply to prose) and pickles
them; ``python -m bench.copydetect_cli check PAPER --corpus DIR --format json`` compares the paper with
every reference (copydetect has no index: its cost is linear in the corpus) and prints the JSON fields
``score.py`` reads. Every reported slice counts as a passage, with no display threshold: the most
favourable reading of its recall. Used by ``make bench`` (issue 11: "compare with copydetect in the same
run"); never part of the product.

copydetect hashes k-grams with Python's ``hash()``, which is salted per process: fingerprints pickled by
``corpus add`` would never match those of a later ``check`` process (0 detections, silently). ``main``
therefore re-executes itself once with a fixed ``PYTHONHASHSEED`` so every process hashes alike.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

NOISE_T = 13  # characters: the granularity CNKI-style checkers are described with
GUARANTEE_T = 20
STORE = "copydetect.pickle"


def _fingerprint(name: str, text: str) -> Any:
    from copydetect.detector import CodeFingerprint

    return CodeFingerprint(name, NOISE_T, GUARANTEE_T - NOISE_T + 1, filter=False, fp=io.StringIO(text))


def corpus_add(corpus: Path, files: list[Path]) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    refs: list[tuple[str, Any]] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    refs.append((str(rec["id"]), _fingerprint(str(rec["id"]), rec["text"])))
    with (corpus / STORE).open("wb") as fh:
        pickle.dump(refs, fh)


def _paired(ref_slices: Any, n: int, count: int) -> tuple[int, int]:
    """The source slice reported with the paper's ``n``-th slice. copydetect merges overlapping slices in
    each file on its own, so the two lists can differ in length and carry no pairing; equal lengths are
    paired in order, otherwise by rank (the n-th of ``count`` paper slices with the proportional source
    slice). Only the source side of a detection depends on this choice; score.py's suspicious-only
    plagdet does not."""
    m = len(ref_slices[0])
    if m == 0:
        return 0, 0
    j = n if m == count else round(n * (m - 1) / max(count - 1, 1))
    return int(ref_slices[0][j]), int(ref_slices[1][j])


def check(paper: Path, corpus: Path) -> dict[str, Any]:
    from copydetect.detector import compare_files

    with (corpus / STORE).open("rb") as fh:
        refs = pickle.load(fh)
    text = paper.read_text(encoding="utf-8")
    fp = _fingerprint("paper", text)
    covered = [False] * len(text)
    sources = []
    for name, ref in refs:
        overlap, _sims, (slices, ref_slices) = compare_files(fp, ref)
        if overlap <= 0:
            continue
        passages = []
        for n, (a, b) in enumerate(zip(slices[0], slices[1], strict=True)):
            c, d = _paired(ref_slices, n, len(slices[0]))
            passages.append({"start": int(a), "end": int(b), "source_start": c, "source_end": d})
            for i in range(int(a), min(int(b), len(text))):
                covered[i] = True
        sources.append({"doc_id": name, "ratio": 0.0, "passages": passages})
    counted = [not ch.isspace() for ch in text]
    total = sum(counted)
    copied = sum(1 for c, k in zip(covered, counted, strict=True) if c and k)
    ratio = copied / total if total else 0.0
    return {
        "similarity": {
            "total_copy_ratio": round(ratio, 6),
            "copied_chars": copied,
            "total_chars": total,
            "sources": sources,
        }
    }


HASH_SEED = "0"


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("PYTHONHASHSEED") != HASH_SEED:
        given = sys.argv[1:] if argv is None else argv
        env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
        os.execve(sys.executable, [sys.executable, "-m", "bench.copydetect_cli", *given], env)
    ap = argparse.ArgumentParser(prog="copydetect_cli")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("corpus")
    a.add_argument("action", choices=["add"])
    a.add_argument("--corpus", required=True, type=Path)
    a.add_argument("files", nargs="+", type=Path)
    c = sub.add_parser("check")
    c.add_argument("paper", type=Path)
    c.add_argument("--corpus", required=True, type=Path)
    c.add_argument("--format", default="json")
    args = ap.parse_args(argv)
    if args.cmd == "corpus":
        corpus_add(args.corpus, args.files)
    else:
        json.dump(check(args.paper, args.corpus), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
