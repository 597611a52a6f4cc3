"""Recall on planted copies, scored the same way for the engine and for copydetect.

A detector's answer for one paper is a list of ``(doc_id, start, end)`` spans in the paper. A planted
passage counts as found when at least half of its characters are covered by spans attributed to its true
source; character recall is the covered share of all planted characters (true source only). Spans outside
every planted passage are reported as ``extra_char_ratio`` (incidental overlaps with the shared sentence
pool and false positives alike) so recall cannot be bought with indiscriminate matching.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bench.speed.synth import SynthPaper

Span = tuple[str, int, int]


def _cover(spans: list[tuple[int, int]], start: int, end: int) -> int:
    """Characters of ``[start, end)`` covered by the union of ``spans``."""
    covered = 0
    cursor = start
    for a, b in sorted(spans):
        a, b = max(a, cursor), min(b, end)
        if b > a:
            covered += b - a
            cursor = b
    return covered


@dataclass
class RecallTally:
    planted_passages: int = 0
    found_passages: int = 0
    planted_chars: int = 0
    covered_chars: int = 0
    planted_sources: int = 0
    found_sources: int = 0
    extra_chars: int = 0
    paper_chars: int = 0
    clean_papers: int = 0
    clean_papers_flagged: int = 0  # clean paper with > 5 % reported copy
    per_paper: list[dict[str, object]] = field(default_factory=list)

    def add(self, paper: SynthPaper, spans: list[Span]) -> None:
        by_doc: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc, a, b in spans:
            by_doc[doc].append((a, b))
        found = 0
        for p in paper.planted:
            c = _cover(by_doc.get(p.doc_id, []), p.start, p.end)
            self.covered_chars += c
            found += c * 2 >= p.end - p.start
        self.found_passages += found
        self.planted_passages += len(paper.planted)
        self.planted_chars += paper.planted_chars
        sources = {p.doc_id for p in paper.planted}
        self.planted_sources += len(sources)
        self.found_sources += len(sources & set(by_doc))
        all_spans = [(a, b) for _d, a, b in spans]
        reported = _cover(all_spans, 0, len(paper.text))
        in_planted = sum(_cover(all_spans, p.start, p.end) for p in paper.planted)
        self.extra_chars += reported - in_planted
        self.paper_chars += len(paper.text)
        if not paper.planted:
            self.clean_papers += 1
            self.clean_papers_flagged += reported > 0.05 * len(paper.text)

    def summary(self) -> dict[str, float | int]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        return {
            "passage_recall": ratio(self.found_passages, self.planted_passages),
            "char_recall": ratio(self.covered_chars, self.planted_chars),
            "source_recall": ratio(self.found_sources, self.planted_sources),
            "extra_char_ratio": ratio(self.extra_chars, self.paper_chars),
            "planted_passages": self.planted_passages,
            "clean_papers": self.clean_papers,
            "clean_papers_flagged": self.clean_papers_flagged,
        }
