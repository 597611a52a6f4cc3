"""copydetect as a peer: the same papers against the same corpus, with its own winnowing fingerprints.

copydetect (PyPI ``copydetect``) compares every test file with every reference file. We use its own
building blocks — ``CodeFingerprint`` (k-gram hashing + winnowing) and ``compare_files`` — on raw text
(``filter=False``: its code tokeniser does not apply to prose), with references fingerprinted once (its
"index build") and each paper compared against all of them (one "check"). Every reported slice counts as
a found passage, with no display threshold: the most favourable reading of its recall.

Its per-check cost is ``fingerprint(paper) + N × pair comparison``, so measured numbers on a subset can be
extrapolated linearly to a larger corpus; the report says when a number is extrapolated.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from copydetect.detector import CodeFingerprint, compare_files

from bench.speed.synth import SentencePool, SynthParams


@dataclass
class PeerHit:
    doc_id: str
    spans: list[tuple[int, int]]  # [start, end) in the paper


class CopydetectPeer:
    """Reference fingerprints held in memory, as copydetect does."""

    def __init__(self, noise_t: int = 10, guarantee_t: int = 20):
        self.k = noise_t
        self.window = guarantee_t - noise_t + 1
        self.refs: list[tuple[str, CodeFingerprint]] = []

    def _fingerprint(self, name: str, text: str) -> CodeFingerprint:
        return CodeFingerprint(name, self.k, self.window, filter=False, fp=io.StringIO(text))

    def add(self, docs: Iterable[tuple[str, str]]) -> None:
        for name, text in docs:
            self.refs.append((name, self._fingerprint(name, text)))

    def check(self, text: str) -> list[PeerHit]:
        paper = self._fingerprint("paper", text)
        hits: list[PeerHit] = []
        for name, ref in self.refs:
            overlap, _sims, (slices, _ref_slices) = compare_files(paper, ref)
            if overlap > 0:
                pairs = zip(slices[0], slices[1], strict=True)
                hits.append(PeerHit(name, [(int(a), int(b)) for a, b in pairs]))
        return hits

    def time_parts(self, text: str, repeat: int = 3) -> tuple[float, float]:
        """(CPU seconds to fingerprint one paper, per paper-reference pair) for extrapolation."""
        t0 = time.process_time()
        for _ in range(repeat):
            paper = self._fingerprint("paper", text)
        t_fp = (time.process_time() - t0) / repeat
        t0 = time.process_time()
        for _name, ref in self.refs:
            compare_files(paper, ref)
        t_pair = (time.process_time() - t0) / max(1, len(self.refs))
        return t_fp, t_pair


def measure_peer(
    params: SynthParams, n_docs: int, texts: list[str], noise_t: int, guarantee_t: int
) -> dict[str, Any]:
    """Child-process measurement: fingerprint ``n_docs`` references, check every text, time the parts."""
    from bench.speed.engine import pin_one_core, rss_kib

    cpu = pin_one_core()
    pool = SentencePool(params)
    peer = CopydetectPeer(noise_t, guarantee_t)
    rss0 = rss_kib()
    t0 = time.process_time()
    peer.add((d.id, d.text) for d in pool.docs(0, n_docs))
    build_s = time.process_time() - t0  # CPU seconds, includes generating the synthetic text (~0.1 ms/doc)
    rss_built = rss_kib()
    spans: list[list[tuple[str, int, int]]] = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for text in texts:
        spans.append([(h.doc_id, a, b) for h in peer.check(text) for a, b in h.spans])
    cpu_s = time.process_time() - c0
    total_s = time.perf_counter() - t0
    t_fp, t_pair = peer.time_parts(texts[0])
    return {
        "cpu": cpu,
        "docs": n_docs,
        "noise_t": noise_t,
        "guarantee_t": guarantee_t,
        "build_seconds": round(build_s, 2),
        "build_docs_per_s": round(n_docs / build_s, 1),
        "memory_kib_per_doc": round((rss_built - rss0) / max(1, n_docs), 2),
        "checks": len(texts),
        "seconds": round(total_s, 3),
        "checks_per_s": round(len(texts) / cpu_s, 3),
        "ms_per_check": round(1000 * cpu_s / len(texts), 2),
        "wall_ms_per_check": round(1000 * total_s / len(texts), 2),
        "paper_fingerprint_ms": round(1000 * t_fp, 3),
        "pair_compare_us": round(1e6 * t_pair, 3),
        "spans": spans,
    }


def extrapolate_ms(measured: dict[str, Any], n_docs: int) -> float:
    """Per-check milliseconds at ``n_docs`` references: fingerprint + n × pair (linear in the corpus)."""
    return float(measured["paper_fingerprint_ms"]) + n_docs * float(measured["pair_compare_us"]) / 1000
