"""English sentences as bags of stemmed content words, with character offsets (issue 11).

Why: reworded English (words shuffled, inserted, deleted, swapped for synonyms, translated there and back,
summarised) keeps few exact word runs, so the k-gram anchors of ``align`` miss it, but a copied sentence
keeps most of its *content words*. Following Sanchez-Perez et al. (PAN 2014 text-alignment winner),
a sentence is compared by the stems of its non-stopword words; a light suffix-stripping stemmer folds
inflections ("studies"/"studied"/"study") without a dependency.

``sentences(text)`` returns each sentence's span in ``text`` (character offsets into the decoded input,
the contract of every reported passage) and its stems.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# The common English function words (articles, pronouns, auxiliaries, prepositions, conjunctions):
# they say nothing about what a sentence is about, and every English text shares them.
STOPWORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any
    are around as at be became because become been before being below between both but by can cannot
    could did do does doing done down during each either else enough even ever every few for from
    further had has have having he her here hers herself him himself his how however i if in into is it
    its itself just least less like made make many may me might more most much must my myself near
    neither never no nor not now of off often on once one only or other others our ours ourselves out
    over own per perhaps quite rather really same several shall she should since so some still such
    than that the their theirs them themselves then there therefore these they this those though
    through thus to too toward towards under until up upon us use used using very via was we well were
    what whatever when where whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves s t d ll m re ve""".split()  # noqa: SIM905
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*")
# sentence ends: . ! ? ; followed by space/newline and not after a one-letter initial; or a blank line
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])[\"')\]]*\s+|\n\s*\n")
_SUFFIXES = (
    "ational",
    "ization",
    "fulness",
    "ousness",
    "iveness",
    "ations",
    "ingly",
    "ation",
    "ments",
    "ement",
    "ness",
    "ment",
    "ings",
    "ists",
    "ism",
    "ist",
    "ing",
    "ies",
    "ied",
    "ers",
    "ed",
    "er",
    "ly",
    "es",
    "s",
    "e",
    "y",
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light suffix stripper (lower-case input): drops the longest listed suffix while at least three
    letters stay, so inflected and derived forms of one word share a stem. Deterministic, no data files."""
    if len(word) <= 3:
        return word
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word


@lru_cache(maxsize=200_000)
def _content_stem(token: str) -> str:
    """The stem of a word token, or "" for a stopword or a single letter."""
    w = token.lower().replace("'", "")
    if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
        return ""
    return stem(w)


def content_stems(text: str) -> list[str]:
    """Stems of the non-stopword words of ``text``, in order."""
    return [st for st in map(_content_stem, _TOKEN.findall(text)) if st]


@dataclass(frozen=True)
class Sentence:
    start: int  # character offsets into the text it was cut from
    end: int
    stems: tuple[str, ...]


_EDGE = " \t\r\n\"'()[]{}.,;:!?-"


@functools.lru_cache(maxsize=64)
def sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences of ``text`` with their spans (surrounding spaces and punctuation excluded) and content
    stems; sentences without any content word are left out.

    Cached (immutable result; a ``str`` caches its own hash, so a hit costs no pass over the text): a
    check splits its paper once for reworded-candidate retrieval and again for alignment, and the
    sources of a batch recur across papers."""
    out: list[Sentence] = []
    pos = 0
    for m in [*_SENTENCE_BREAK.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        seg = text[pos:end]
        stems = content_stems(seg)
        if stems:
            s = pos + len(seg) - len(seg.lstrip(_EDGE))
            out.append(Sentence(s, pos + len(seg.rstrip(_EDGE)), tuple(stems)))
        pos = m.end() if m is not None else len(text)
    return tuple(out)


_MASK31 = 0x7FFFFFFF  # index hashes fit SQLite's 4-byte integer encoding


def sentence_pair_hashes(text: str) -> np.ndarray:
    """Distinct hashes of neighbouring content stems *in sorted order* within each sentence of ``text``.

    Why sorted neighbours: a reworded sentence keeps most content words but not their order, and a pair
    of neighbours in the sorted bag survives shuffles and any edit that does not fall between the two
    words alphabetically; one row per content word keeps the index as small as a word index. This is
    the retrieval key for reworded English (issue 11): ``Corpus.reword_candidates``."""
    out: set[int] = set()
    for s in sentences(text):
        st = sorted(set(s.stems))
        for a, b in itertools.pairwise(st):
            out.add(zlib.crc32(f"{a} {b}".encode()) & _MASK31)
    return np.fromiter(sorted(out), dtype=np.int64, count=len(out))
