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

import re
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
_NEWLINES = set("\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85")
_WS_RUN = re.compile(r"\s+")


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


def _fold(text: str) -> tuple[str, np.ndarray | None]:
    """Fold every character (one ``str.translate``); offsets are None when each character stays one
    character, else the original index of each folded character (a few fold to 0 or 2+ characters)."""
    table: dict[int, str] = {}
    special: list[str] = []
    for ch in set(text):
        f = _fold_char(ch)
        if f != ch:
            table[ord(ch)] = f
            if len(f) != 1:
                special.append(ch)
    if table:
        # a regex over the characters to change, not str.translate: translate does a dict lookup per
        # character, ~5x slower on CJK text where only punctuation changes
        chars = "".join(re.escape(chr(c)) for c in table)
        folded = re.sub(f"[{chars}]", lambda m: table[ord(m.group())], text)
    else:
        folded = text
    if not special:
        return folded, None
    lens = np.ones(len(text), dtype=np.int64)
    for m in re.finditer("[" + "".join(re.escape(c) for c in special) + "]", text):
        lens[m.start()] = len(_fold_char(m.group()))
    return folded, np.repeat(np.arange(len(text), dtype=np.int64), lens)


def normalise(text: str) -> NormalisedText:
    """Return the normalised text with its offset map (see the module docstring).

    Fast path (almost every paper): each character folds to exactly one character, so folding is one
    ``str.translate`` and the offset map only changes where whitespace is collapsed."""
    folded, offs = _fold(text)
    if not folded.isascii():
        conv = _converter().convert(folded)
        folded = conv if len(conv) == len(folded) else "".join(_t2s(list(folded)))
    n = len(folded)
    pieces: list[str] = []
    ranges: list[tuple[int, int]] = []
    prev_end = 0
    for m in _WS_RUN.finditer(folded):
        s, e = m.span()
        pieces.append(folded[prev_end:s])
        ranges.append((prev_end, s))
        prev_end = e
        if s == 0 or e == n:
            continue  # leading/trailing whitespace
        prev, nxt = folded[s - 1], folded[e]
        newline = any(c in _NEWLINES for c in m.group())
        if newline and prev in _SENTENCE_END:
            pieces.append("\n")
        elif (is_cjk(prev) or not prev.isalnum()) and (is_cjk(nxt) or not nxt.isalnum()):
            continue  # no spaces between CJK characters; a PDF line break inside a sentence
        else:
            pieces.append(" ")
        ranges.append((s, s + 1))
    pieces.append(folded[prev_end:])
    ranges.append((prev_end, n))
    idx = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges]) if ranges else np.zeros(0)
    orig = idx if offs is None else offs[idx]
    return NormalisedText("".join(pieces), tuple(orig.tolist()), len(text))


def match_key(text: str | NormalisedText) -> MatchKey:
    """Letters, digits and CJK characters of the normalised text, lower-cased, with original offsets."""
    nt = text if isinstance(text, NormalisedText) else normalise(text)
    cp = np.frombuffer(nt.text.encode("utf-32-le"), dtype=np.uint32)
    keep = np.array([ord(c) for c in set(nt.text) if c.isalnum()], dtype=np.uint32)
    mask = np.isin(cp, keep)
    kept = cp[mask]
    upper = (kept >= 65) & (kept <= 90)
    kept = np.where(upper, kept + np.uint32(32), kept)
    key = kept.astype(np.uint32).tobytes().decode("utf-32-le")
    offsets = np.asarray(nt.offsets, dtype=np.int32)[mask] if len(cp) else np.zeros(0, dtype=np.int32)
    return MatchKey(key, offsets, nt.original_length)


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))
