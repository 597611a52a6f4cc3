"""Normalise Chinese text for matching, keeping a map back to the original offsets.

Why an offset map: reviewers look passages up in the file they uploaded, so every offset we report must
point into the decoded input, never into this normalised copy (see integrity/models.py).

Steps, each character-preserving or tracked: NFKC (full/half width, compatibility forms), OpenCC
traditional→simplified ("t2s"), punctuation variants folded to one form, whitespace collapsed, and
PDF-style line breaks inside a sentence (between two CJK characters) dropped.

``match_key`` goes one step further for fingerprinting: a sequence of *tokens*, one per CJK character
and one per Latin word (a run of letters/digits, lower-cased, joined across end-of-line hyphenation), so
punctuation swaps and line breaks cannot break a match and English or mixed papers are matched on words
while Chinese is matched on characters, in one key. A word token is one code point of the private-use
planes 15/16 (a hash of the word), so every k-gram, MinHash and alignment routine works on the key
unchanged; ``MatchKey.offsets``/``ends`` map each token back to its span in the decoded input.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
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
    """The fingerprinting alphabet: ``text`` (one code point per token) and each token's original span."""

    text: str
    offsets: np.ndarray  # int32, original index of the first character of each token
    original_length: int
    ends: np.ndarray | None = None  # int32, original exclusive end of each token (None: offsets + 1)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            o = int(self.offsets[start]) if start < len(self.offsets) else self.original_length
            return o, o
        last = int(self.ends[end - 1]) if self.ends is not None else int(self.offsets[end - 1]) + 1
        return int(self.offsets[start]), last

    def is_word(self, i: int) -> bool:
        """Token ``i`` is a Latin word (not a CJK character)."""
        return ord(self.text[i]) >= WORD_BASE


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


WORD_BASE = 0xF0000  # word tokens: code points of the supplementary private-use planes 15 and 16
_WORD_SPACE = 0x1FFFC  # 0xF0000–0xFFFFD and 0x100000–0x10FFFD
# A Latin (or Greek/Cyrillic) word: letters and digits of scripts written with spaces; a hyphen followed by
# whitespace and a lower-case letter is end-of-line hyphenation ("exam-\nple" → "example").
_W = (
    "0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
    "\u0370-\u03ff\u0400-\u04ff\u1e00-\u1eff"
)
_WORD = re.compile(f"[{_W}]+(?:-[ \n]+[a-z\u00df-\u00ff][{_W}]*)*")
_HYPHEN_BREAK = re.compile(r"-[ \n]+")


@lru_cache(maxsize=200_000)
def word_token(word: str) -> str:
    """The one-code-point token of a word (lower-cased, hyphenation joined); deterministic across runs."""
    w = _HYPHEN_BREAK.sub("", word).lower()
    v = zlib.crc32(w.encode("utf-8")) % _WORD_SPACE
    return chr(WORD_BASE + v if v < 0xFFFE else 0x100000 + v - 0xFFFE)


def match_key(text: str | NormalisedText) -> MatchKey:
    """Tokens of the normalised text (see the module docstring) with their original spans."""
    nt = text if isinstance(text, NormalisedText) else normalise(text)
    cp = np.frombuffer(nt.text.encode("utf-32-le"), dtype=np.uint32).copy()
    keep_chars = [ord(c) for c in set(nt.text) if c.isalnum()]
    mask = np.isin(cp, np.array(keep_chars, dtype=np.uint32))
    upper = (cp >= 65) & (cp <= 90)
    cp = np.where(upper, cp + np.uint32(32), cp)
    offs = np.asarray(nt.offsets, dtype=np.int64) if len(cp) else np.zeros(0, dtype=np.int64)
    ends = offs + 1
    for m in _WORD.finditer(nt.text):
        s, e = m.span()
        cp[s] = ord(word_token(m.group()))
        mask[s + 1 : e] = False
        mask[s] = True
        ends[s] = offs[e - 1] + 1
    kept = cp[mask]
    key = kept.astype(np.uint32).tobytes().decode("utf-32-le")
    return MatchKey(key, offs[mask].astype(np.int32), nt.original_length, ends[mask].astype(np.int32))


def latin_letter_count(text: str) -> int:
    return len(re.findall(f"[{_W}]", text)) - len(re.findall("[0-9]", text))


def passage_language(text: str) -> str:
    """``zh`` or ``en``: the script a passage is mostly written in. A CJK character weighs two Latin
    letters (a Chinese word is ~2 characters, an English one ~5 letters), so a Chinese sentence with a few
    English terms stays ``zh``."""
    zh, en = cjk_count(text), latin_letter_count(text)
    if zh == 0 and en == 0:
        return "other"
    return "zh" if zh * 2 >= en else "en"


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))
