"""Normalise Chinese text for matching, keeping a map back to the original offsets.

Why an offset map: reviewers look passages up in the file they uploaded, so every offset we report must
point into the decoded input, never into this normalised copy (see integrity/models.py).

Steps, each character-preserving or tracked: NFKC (full/half width, compatibility forms), OpenCC
traditional→simplified ("t2s"), punctuation variants folded to one form, whitespace collapsed, and
PDF-style line breaks inside a sentence (between two CJK characters) dropped.

``match_key`` goes one step further for fingerprinting: only letters, digits and CJK characters,
lower-cased, so punctuation swaps and line breaks cannot break a match.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

# Punctuation variants folded to one form (after NFKC, which already maps full-width ASCII forms).
_PUNCT_FOLD = {
    "。": ".",
    "｡": ".",
    "、": ",",
    "﹑": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "‘": "'",
    "’": "'",
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "《": "<",
    "》": ">",
    "〈": "<",
    "〉": ">",
    "—": "-",
    "–": "-",
    "－": "-",
    "‐": "-",
    "…": "...",
    "·": ".",
    "・": ".",
    "～": "~",
    "\u3000": " ",
}
_SENTENCE_END = set(".!?;:")


@dataclass(frozen=True)
class NormalisedText:
    """Normalised ``text`` and, for each of its characters, the index of the original character."""

    text: str
    offsets: tuple[int, ...]
    original_length: int

    def to_original(self, i: int) -> int:
        """Original index of normalised position ``i`` (``len(text)`` maps to the original length)."""
        if i >= len(self.offsets):
            return self.original_length
        return self.offsets[i]

    def to_original_end(self, end: int) -> int:
        """Original exclusive end for a normalised exclusive end ``end``."""
        if end <= 0:
            return 0
        return self.offsets[min(end, len(self.offsets)) - 1] + 1

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.to_original(start), self.to_original_end(end)


@dataclass(frozen=True)
class MatchKey:
    """The fingerprinting alphabet: ``text`` (letters, digits, CJK) and its original offsets."""

    text: str
    offsets: np.ndarray  # int32, original index of each key character
    original_length: int

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            o = int(self.offsets[start]) if start < len(self.offsets) else self.original_length
            return o, o
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """NFKC + punctuation folding of one character (cached: papers reuse a few thousand characters)."""
    out = unicodedata.normalize("NFKC", ch)
    return "".join(_PUNCT_FOLD.get(c, c) for c in out)


def _t2s(chars: list[str]) -> list[str]:
    """Traditional→simplified, character-aligned. OpenCC converts phrases but keeps the length for t2s;
    if it ever does not, fall back to converting character by character so the map stays exact."""
    if not chars:
        return chars
    conv = _converter()
    joined = "".join(chars)
    out = conv.convert(joined)
    if len(out) == len(joined):
        return list(out)
    return [conv.convert(c) if len(conv.convert(c)) == 1 else c for c in chars]


def normalise(text: str) -> NormalisedText:
    """Return the normalised text with its offset map (see the module docstring)."""
    chars: list[str] = []
    offs: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii() and not ch.isspace():
            chars.append(ch)
            offs.append(i)
            continue
        folded = _fold_char(ch)
        for c in folded:
            chars.append(c)
            offs.append(i)
    if any(not c.isascii() for c in chars):
        # Only characters of length-1 results are fed to OpenCC 1:1, so alignment is preserved.
        chars = _t2s(chars)
    # Collapse whitespace; drop line breaks inside a sentence.
    out_c: list[str] = []
    out_o: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        c = chars[i]
        if not c.isspace():
            out_c.append(c)
            out_o.append(offs[i])
            i += 1
            continue
        j = i
        has_newline = False
        while j < n and chars[j].isspace():
            has_newline = has_newline or chars[j] in "\n\r\u2028\u2029\x0b\x0c"
            j += 1
        prev = out_c[-1] if out_c else ""
        nxt = chars[j] if j < n else ""
        if not prev or not nxt:
            pass  # leading/trailing whitespace
        elif (
            (is_cjk(prev) or not prev.isalnum())
            and (is_cjk(nxt) or not nxt.isalnum())
            and not (has_newline and prev in _SENTENCE_END)
        ):
            pass  # no spaces between CJK characters; a PDF line break inside a sentence
        else:
            out_c.append("\n" if has_newline and prev in _SENTENCE_END else " ")
            out_o.append(offs[i])
        i = j
    return NormalisedText("".join(out_c), tuple(out_o), len(text))


def match_key(text: str | NormalisedText) -> MatchKey:
    """Letters, digits and CJK characters of the normalised text, lower-cased, with original offsets."""
    nt = text if isinstance(text, NormalisedText) else normalise(text)
    keep_c: list[str] = []
    keep_o: list[int] = []
    for c, o in zip(nt.text, nt.offsets, strict=True):
        if c.isalnum():
            keep_c.append(c.lower() if c.isascii() else c)
            keep_o.append(o)
    return MatchKey("".join(keep_c), np.asarray(keep_o, dtype=np.int32), nt.original_length)


def cjk_count(text: str) -> int:
    return sum(1 for c in text if is_cjk(c))
