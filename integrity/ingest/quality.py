"""Is an extracted text layer readable? Garbled text must be detected, never scored as "0 % copied".

Signals: characters the PDF could not map to Unicode (fonts without ToUnicode: pdfium flags them,
pdfminer writes ``(cid:N)``), U+FFFD replacement and private-use characters, control characters, and
for a Chinese paper too few CJK characters, typically Latin-1 mojibake such as ``¹ú¼Ò`` where GBK bytes
were read as WinAnsi. A readable English paper (real words, vowels) is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CID_RE = re.compile(r"\(cid:\d+\)")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")


@dataclass
class TextQuality:
    chars: int  # non-space characters
    cjk: int
    latin_letters: int
    bad: int  # replacement, private use, control, (cid:N), unmapped
    latin1_symbols: int  # U+0080..U+02FF outside ASCII: mojibake marker
    word_vowel_ratio: float

    @property
    def cjk_ratio(self) -> float:
        return self.cjk / self.chars if self.chars else 0.0

    @property
    def bad_ratio(self) -> float:
        return self.bad / self.chars if self.chars else 0.0


def measure(text: str, unmapped: int = 0) -> TextQuality:
    cid = len(_CID_RE.findall(text))
    stripped = _CID_RE.sub("", text)
    chars = cjk = latin = bad = latin1 = 0
    for ch in stripped:
        if ch.isspace():
            continue
        chars += 1
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            cjk += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
        elif o == 0xFFFD or 0xE000 <= o <= 0xF8FF or o < 0x20 or 0x7F <= o < 0xA0:
            bad += 1
        elif 0xA0 <= o <= 0x2FF and ch not in "°±×÷·µ§¨©®":
            latin1 += 1
    words = _WORD_RE.findall(stripped)
    letters = sum(len(w) for w in words)
    vowels = sum(sum(1 for c in w.lower() if c in "aeiou") for w in words)
    return TextQuality(
        chars=chars + cid,
        cjk=cjk,
        latin_letters=latin,
        bad=bad + cid + unmapped,
        latin1_symbols=latin1,
        word_vowel_ratio=vowels / letters if letters else 0.0,
    )


def unreadable_reason(q: TextQuality, *, expect_chinese: bool, min_cjk_ratio: float) -> str | None:
    """A zh-CN reason when the text layer is unusable, else None."""
    if q.chars == 0:
        return "没有文字层"
    if q.bad_ratio > 0.05:
        return f"文字层乱码：{q.bad_ratio:.0%} 的字符无法映射为 Unicode（字体缺少 ToUnicode 映射），上限 5%"
    if q.latin1_symbols / q.chars > 0.15:
        return f"文字层乱码：{q.latin1_symbols / q.chars:.0%} 的字符是西文符号（疑似编码错误）"
    if expect_chinese and q.cjk_ratio < min_cjk_ratio:
        readable_english = q.latin_letters / q.chars > 0.6 and 0.25 <= q.word_vowel_ratio <= 0.55
        if not readable_english:
            return f"文字层疑似乱码：中文字符仅占 {q.cjk_ratio:.0%}，低于中文论文下限 {min_cjk_ratio:.0%}"
    return None
