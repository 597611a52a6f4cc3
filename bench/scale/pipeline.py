"""The whole pipeline per backend: import synthetic paper-length documents, then check planted papers.

Reuses the speed benchmark's synthetic corpus (seeded sentence shuffles of the CSL abstracts with
planted copies of known offsets) at 5,000 characters per document. Checks/s per core counts the CPU of
this process plus, for PostgreSQL, the CPU of its server backend (the index work happens there).

``filler`` adds that many synthetic documents' band hashes (``bench.scale.index.doc_hashes``, 1,600 per
document like a 5,000-character paper) straight into the band index under rowids no real document has:
the checks then query an index of ``size + filler`` documents while the text corpus (normalisation,
loading, alignment) stays ``size`` documents. Why: building 300k real documents through the whole
pipeline takes hours on this host; the index is the only part whose work per check grows with the
corpus (a filler entry is never a candidate unless its 32-bit tag collides, and then it is not loaded).
Each filler document also gets ``FP_PER_DOC`` random sentence fingerprints in the ``"fp"`` index (the
winnowing density 2 / (WINDOW + 1) of a 5,000-token key), so the fingerprint look-up of every check meets
a table of the full size too; random 31-bit fingerprints collide with a query's now and then, as stock
phrases of a real corpus do, and such a filler candidate is dropped when it is not found among the texts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.scale.common import cpu_seconds, drop_backend, pg_backend_pid, settings_for

FILLER_ROWID = 1 << 31  # above any real rowid of a benchmark corpus, below the index's uint32 limit
FP_PER_DOC = 1_100  # winnowed fingerprints of a 5,000-character paper (2 per 9 tokens)


def _fill(corpus: Any, n: int, batch: int = 10000) -> float:
    """Add ``n`` synthetic documents to the band and fingerprint indexes only; seconds taken (with
    compaction)."""
    import numpy as np

    from bench.scale.index import doc_hashes
    from integrity.corpus.winnow import index_hashes

    filled = (corpus.lsh, corpus.fp)
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        corpus.conn.execute("BEGIN")
        for i in range(start, min(n, start + batch)):
            corpus.lsh.add(FILLER_ROWID + i, f"filler-{i}", doc_hashes(i))
            fps = np.random.default_rng(i).integers(0, 1 << 31, FP_PER_DOC, dtype=np.int64)
            corpus.fp.add(FILLER_ROWID + i, f"filler-{i}", index_hashes(np.unique(fps)))
        for index in filled:
            index.flush()
        corpus.conn.execute("COMMIT")
        for index in filled:
            index.commit()
    for index in filled:
        index.compact()
    return time.perf_counter() - t0


def run_backend(
    backend: str, sizes: list[int], work: Path, papers: int, deadline: float, filler: int = 0
) -> dict[str, Any]:
    from bench.speed.__main__ import score
    from bench.speed.synth import SentencePool, SynthParams
    from integrity.corpus import Corpus, CorpusRecord
    from integrity.match import compare

    tag = f"pipe-{backend}"
    drop_backend(backend, tag)
    pool = SentencePool(SynthParams(doc_chars=5000))
    paper_set = pool.papers(papers, min(sizes), 5000)
    settings = settings_for(backend, work, tag)
    directory = work / f"corpus-{tag}"
    if directory.exists():
        for f in directory.iterdir():
            f.unlink()
    points: list[dict[str, Any]] = []
    built, build_s = 0, 0.0
    with Corpus.open(directory, settings, create=True, namespace="bench") as corpus:
        for index in corpus.indexes:  # LSH bands and sentence fingerprints, on the same engine
            index.bulk = True
        if filler and not corpus.lsh.keys_are_rowids:
            raise SystemExit(f"--filler needs an index keyed by rowid, not {backend}")
        filler_s = _fill(corpus, filler) if filler else 0.0
        for size in sizes:
            if time.time() > deadline:
                points.append({"docs": size, "skipped": "time budget"})
                break
            t0 = time.perf_counter()
            for start in range(built, size, 1000):
                docs = pool.docs(start, min(size, start + 1000))
                corpus.add(
                    [
                        CorpusRecord(id=d.id, title=d.title, text=d.text, authors=d.authors, year=d.year)
                        for d in docs
                    ]
                )
            for index in corpus.indexes:
                index.compact()
            seg_s = time.perf_counter() - t0
            build_s += seg_s
            added, built = size - built, size
            pids = [p for p in (pg_backend_pid(i) for i in corpus.indexes) if p]
            compare(paper_set[0].text, corpus, include_text=False)  # warm
            c0, w0, p0 = time.process_time(), time.perf_counter(), sum(cpu_seconds(p) for p in pids)
            spans = []
            for p in paper_set:
                report = compare(p.text, corpus, include_text=False)
                spans.append([(s.doc_id, q.start, q.end) for s in report.sources for q in s.passages])
            cpu = time.process_time() - c0 + sum(cpu_seconds(p) for p in pids) - p0
            wall = time.perf_counter() - w0
            recall = score(paper_set, spans)
            index_bytes = sum(i.size_bytes() for i in corpus.indexes)
            point = {
                "docs": size,
                "index_docs": size + filler,
                "filler_build_s": round(filler_s, 1),
                "build_s_cumulative": round(build_s, 1),
                "docs_per_s": round(added / seg_s, 1),
                "checks_per_cpu_s": round(len(paper_set) / cpu, 2),
                "wall_ms_per_check": round(1000 * wall / len(paper_set), 1),
                "char_recall": recall.get("char_recall"),
                "source_recall": recall.get("source_recall"),
                "index_bytes_per_doc": round(index_bytes / (size + filler), 1),
            }
            points.append(point)
            print(f"  pipeline {backend} {size}: {point}", flush=True)
    return {"backend": backend, "points": points}
