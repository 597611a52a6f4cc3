"""Deterministic synthetic corpus and query papers built from the CSL abstracts.

Why synthetic: the shared data holds only ~14k abstracts (3 M characters), but the speed targets are stated
for 10k and 100k paper-length documents. Each document is a seeded shuffle of abstract sentences. Reusing
3 M characters for 100k documents means every sentence occurs in dozens of documents, which no real corpus
does and which would flood candidate retrieval with false pairs; so each document also gets a seeded
character mutation (``mutate``: share of CJK characters replaced by characters drawn from the corpus's own
character distribution). Short n-grams stay common, as in real language, while long exact runs become
document-specific. ``mutate=0`` disables this.

The papers' own text comes from a held-out tenth of the abstracts that corpus documents never use, so
everything a paper shares with the corpus beyond common phrases is a planted copy with known offsets.

Document ``i`` depends only on (params, i), never on the corpus size, so the 10k corpus is the first 10k
documents of the 100k one and planted sources exist in every corpus size.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SHARED_DIR = Path(__file__).resolve().parents[3] / "shared"
DEFAULT_ABSTRACTS = SHARED_DIR / "data" / "abstracts" / "csl_abstracts.jsonl"

# Sentence ends: Chinese and ASCII terminators; an ASCII '.' only when no digit follows (so "3.5" stays).
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.．])(?!\d)")
_CJK_LO, _CJK_HI = 0x4E00, 0x9FFF


def doc_id(i: int) -> str:
    return f"syn-{i:06d}"


@dataclass(frozen=True)
class SynthParams:
    """Everything the generated text depends on; ``key()`` names the cache entry."""

    doc_chars: int = 2000
    mutate: float = 0.12
    seed: int = 20261123
    abstracts: str = str(DEFAULT_ABSTRACTS)

    def key(self) -> str:
        src = Path(self.abstracts)
        stat = src.stat()
        raw = json.dumps({**asdict(self), "size": stat.st_size}, sort_keys=True)
        return hashlib.sha1(raw.encode()).hexdigest()[:12]


@dataclass
class SynthDoc:
    id: str
    title: str
    text: str
    authors: list[str]
    year: int


@dataclass
class Planted:
    """One copied passage: ``[start, end)`` in the paper came from ``[source_start, source_end)``."""

    start: int
    end: int
    doc_id: str
    source_start: int
    source_end: int
    edited: bool


@dataclass
class SynthPaper:
    id: str
    text: str
    planted: list[Planted] = field(default_factory=list)

    @property
    def planted_chars(self) -> int:
        return sum(p.end - p.start for p in self.planted)


class SentencePool:
    """Sentences of all abstracts plus the CJK character distribution used for mutation."""

    def __init__(self, params: SynthParams):
        self.params = params
        sentences: list[str] = []
        held_out: list[str] = []
        titles: list[str] = []
        with Path(params.abstracts).open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        for n, row in enumerate(rows):
            if row.get("title"):
                titles.append(row["title"])
            bucket = held_out if n % 10 == 0 else sentences
            for s in _SENTENCE_END.split(row["text"]):
                s = s.strip()
                if len(s) >= 8:
                    bucket.append(s)
        self.sentences = sentences  # corpus documents
        self.held_out = held_out  # the papers' own (non-copied) text: never in the corpus
        self.titles = titles
        all_cp = np.frombuffer("".join(sentences).encode("utf-32-le"), dtype=np.uint32)
        self.cjk = all_cp[(all_cp >= _CJK_LO) & (all_cp <= _CJK_HI)].copy()

    def _compose(self, rng: random.Random, target: int, pool: list[str] | None = None) -> str:
        pool = self.sentences if pool is None else pool
        parts: list[str] = []
        n = 0
        while n < target:
            s = pool[rng.randrange(len(pool))]
            parts.append(s)
            n += len(s)
        return "".join(parts)

    def _mutate(self, text: str, seed: list[int]) -> str:
        if self.params.mutate <= 0:
            return text
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
        gen = np.random.default_rng(seed)
        hit = (cp >= _CJK_LO) & (cp <= _CJK_HI) & (gen.random(cp.size) < self.params.mutate)
        cp[hit] = self.cjk[gen.integers(0, self.cjk.size, int(hit.sum()))]
        return cp.tobytes().decode("utf-32-le")

    def doc(self, i: int) -> SynthDoc:
        """Corpus document ``i`` (length ``doc_chars`` ± 30 %)."""
        p = self.params
        rng = random.Random(f"{p.seed}:doc:{i}")
        target = int(p.doc_chars * rng.uniform(0.7, 1.3))
        text = self._mutate(self._compose(rng, target), [p.seed, 1, i])
        title = self.titles[rng.randrange(len(self.titles))] if self.titles else f"文献{i}"
        authors = [f"作者{rng.randrange(50000):05d}" for _ in range(rng.randint(1, 4))]
        return SynthDoc(doc_id(i), title, text, authors, 2010 + rng.randrange(11))

    def docs(self, start: int, stop: int) -> Iterator[SynthDoc]:
        for i in range(start, stop):
            yield self.doc(i)

    def paper(self, j: int, source_docs: int, chars: int = 5000, max_sources: int = 3) -> SynthPaper:
        """Query paper ``j``: fresh text with 0..max_sources planted passages from docs ``< source_docs``.

        About one paper in eight is clean (nothing planted); the others get 1..max_sources passages of
        150-600 characters cut at sentence ends, half of them lightly edited (3 % of CJK characters
        replaced: edits keep the length, so the source offsets stay exact).
        """
        p = self.params
        rng = random.Random(f"{p.seed}:paper:{j}")
        n_sources = 0 if rng.random() < 0.125 else rng.randint(1, max_sources)
        copies: list[tuple[int, int, str, str, bool]] = []
        for _ in range(n_sources):
            src = self.doc(rng.randrange(source_docs))
            copies.append((*self._cut(src.text, rng), src.id, rng.random() < 0.5))
        copied = sum(c[1] - c[0] for c in copies)
        base = self._mutate(self._compose(rng, max(chars - copied, 200), self.held_out), [p.seed, 2, j])
        base = base[: max(chars - copied, 200)]
        # Insert the copies at sentence ends of the base text, in increasing order.
        ends = [m.start() for m in _SENTENCE_END.finditer(base) if 0 < m.start() < len(base)] or [len(base)]
        spots = sorted(rng.sample(ends, min(len(copies), len(ends))))
        out: list[str] = []
        planted: list[Planted] = []
        pos = 0
        length = 0
        for k, (s_start, s_end, src_text, src_id, edited) in enumerate(copies[: len(spots)]):
            out.append(base[pos : spots[k]])
            length += spots[k] - pos
            pos = spots[k]
            piece = src_text[s_start:s_end]
            if edited:
                piece = self._edit(piece, rng)
            planted.append(Planted(length, length + len(piece), src_id, s_start, s_end, edited))
            out.append(piece)
            length += len(piece)
        out.append(base[pos:])
        return SynthPaper(f"paper-{j:05d}", "".join(out), planted)

    def papers(self, n: int, source_docs: int, chars: int = 5000) -> list[SynthPaper]:
        return [self.paper(j, source_docs, chars) for j in range(n)]

    @staticmethod
    def _cut(text: str, rng: random.Random) -> tuple[int, int, str]:
        """A 150-600 character run of whole sentences of ``text`` (offsets into ``text``)."""
        bounds = [0, *(m.start() for m in _SENTENCE_END.finditer(text)), len(text)]
        bounds = sorted(set(b for b in bounds if 0 <= b <= len(text)))
        want = rng.randint(150, 600)
        i = rng.randrange(len(bounds))
        start = bounds[i]
        end = start
        for b in bounds[i + 1 :]:
            end = b
            if b - start >= want:
                break
        if end - start < 150:  # near the end: extend backwards instead
            end = len(text)
            start = max(0, end - want)
        return start, end, text

    def _edit(self, piece: str, rng: random.Random) -> str:
        """Light, length-preserving rewording: replace ~3 % of the CJK characters."""
        chars = list(piece)
        for k, ch in enumerate(chars):
            if _CJK_LO <= ord(ch) <= _CJK_HI and rng.random() < 0.03:
                chars[k] = chr(int(self.cjk[rng.randrange(self.cjk.size)]))
        return "".join(chars)
