"""How a copied passage was copied: verbatim (原文照搬) or reworded (改写), judged on jieba words.

Why words and not characters: the aligner already found that the characters match closely; what a
reviewer asks next is whether the applicant changed the wording (synonym swaps, reordered clauses) to
hide the copy. Comparing the multisets of words of the normalised passage and its source answers that
in terms a reader recognises, and it is independent of the character-level thresholds that found the
passage. Used by the reports, not on the per-paper check path (jieba costs about a second to load).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from integrity.text.normalise import normalise
from integrity.text.tokenise import tokenise

VERBATIM_MIN_OVERLAP = 0.9  # share of words common to both sides above which a passage counts as verbatim


@dataclass(frozen=True)
class Wording:
    word_overlap: float  # Dice coefficient of the two word multisets, 0..1
    kind: str  # "verbatim" | "reworded"
    changed_words: int  # words of the passage that are not in the source

    @property
    def label(self) -> str:
        return "原文照搬" if self.kind == "verbatim" else "改写"


def _words(text: str) -> Counter[str]:
    return Counter(w for w in tokenise(normalise(text).text) if any(ch.isalnum() for ch in w))


def classify_wording(passage: str, source: str) -> Wording | None:
    """``None`` when either side has no words (nothing to judge)."""
    own, src = _words(passage), _words(source)
    total = sum(own.values()) + sum(src.values())
    if not own or not src:
        return None
    common = sum((own & src).values())
    overlap = 2 * common / total
    changed = sum((own - src).values())
    kind = "verbatim" if overlap >= VERBATIM_MIN_OVERLAP else "reworded"
    return Wording(word_overlap=round(overlap, 4), kind=kind, changed_words=changed)
