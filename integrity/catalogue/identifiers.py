"""ISSN, CN and journal-name normalisation and validation.

Why here and not in the lookup: the same rules decide what the catalogue build stores, what an import
accepts and what the policy reports as "invalid", so a value that one part accepts the others accept too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ISSN_RE = re.compile(r"^(?:ISSN)?\s*(\d{4})\s*[-‐‑–—]?\s*(\d{3}[\dXx])$", re.IGNORECASE)
# 国内统一连续出版物号: CN + 2-digit region + "-" + 4-digit serial + "/" + 中图法 class (R, TP, O4, G4).
_CN_RE = re.compile(r"^(?:CN)?\s*(\d{2})\s*[-‐‑–—]\s*(\d{4})\s*/\s*([A-Z]{1,2}\d{0,2})$", re.IGNORECASE)
# 内部资料性出版物准印证 style numbers that appear in place of a CN, e.g. "44-Q1116", "43(Q)第1001".
_INTERNAL_RE = re.compile(r"(?:\(Q\)|（Q）|-Q|-\(Q\)|内资|准印|内部)", re.IGNORECASE)
# Region codes of the CN: 10 (central, newer series), provinces 11–65, 71 (Taiwan), 81/82 (HK/Macau).
_CN_REGIONS = {10, 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
_CN_REGIONS |= {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}


@dataclass(frozen=True)
class IdCheck:
    """Result of validating one identifier: the canonical form when valid, else a zh-CN reason."""

    raw: str
    valid: bool
    normalised: str | None
    reason: str = ""
    internal: bool = False  # looks like an internal-publication permit instead of a CN


def issn_check_digit(first7: str) -> str:
    total = sum(int(c) * (8 - i) for i, c in enumerate(first7))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def check_issn(raw: str) -> IdCheck:
    """ISSN format (NNNN-NNNC) and the ISO 3297 mod-11 check digit."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    m = _ISSN_RE.match(text)
    if not m:
        return IdCheck(raw, False, None, f"ISSN“{raw}”格式不正确，应为 NNNN-NNNC（如 1000-0364）")
    canon = f"{m.group(1)}-{m.group(2).upper()}"
    digits = canon.replace("-", "")
    expected = issn_check_digit(digits[:7])
    if digits[7] != expected:
        return IdCheck(raw, False, canon, f"ISSN {canon} 校验位错误（应为 {expected}），疑似伪造或录入错误")
    return IdCheck(raw, True, canon)


def normalise_issn(raw: str | None) -> str | None:
    """Canonical ISSN if the format is right (checksum not required), else None."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    m = _ISSN_RE.match(text)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else None


def check_cn(raw: str) -> IdCheck:
    """CN format: ``CN 11-1234/R`` — region code, 4-digit serial, 中图法 class."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = re.sub(r"\s+", "", text)
    if _INTERNAL_RE.search(text):
        return IdCheck(
            raw,
            False,
            None,
            f"“{raw}”是内部资料准印号而非国内统一连续出版物号（CN），属内部期刊",
            internal=True,
        )
    m = _CN_RE.match(text)
    if not m:
        return IdCheck(
            raw, False, None, f"CN“{raw}”格式不正确，应为 CN 地区号-序号/分类号（如 CN 11-1234/R）"
        )
    region = int(m.group(1))
    canon = f"{m.group(1)}-{m.group(2)}/{m.group(3).upper()}"
    if region not in _CN_REGIONS:
        return IdCheck(raw, False, canon, f"CN {canon} 的地区代码 {m.group(1)} 不存在")
    return IdCheck(raw, True, canon)


def normalise_cn(raw: str | None) -> str | None:
    """Canonical CN when the format is right, else None (internal permits and free text give None)."""
    if not raw:
        return None
    result = check_cn(raw)
    return result.normalised if result.valid else None


def cn_serial(cn: str) -> int | None:
    m = re.match(r"^\d{2}-(\d{4})/", cn)
    return int(m.group(1)) if m else None


def is_electronic_cn(cn: str | None) -> bool:
    """Serials 9000–9999 are assigned to electronic / online serials (e.g. 11-9147/R for a 电子版 journal)."""
    serial = cn_serial(cn) if cn else None
    return serial is not None and serial >= 9000


@lru_cache(maxsize=1)
def _t2s() -> object:
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


_NON_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


def normalise_name(name: str) -> str:
    """Key for exact name matching: NFKC, traditional→simplified, lower case, punctuation and spaces removed.

    ``安徽大学学报.自然科学版``, ``安徽大学学报（自然科学版）`` and ``安徽大學學報(自然科學版)``
    share one key,
    while different editions (自然科学版 / 哲学社会科学版) stay distinct.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = to_simplified(text).lower().replace("&", "and")
    return _NON_WORD.sub("", text)


_TRAILING_PAREN = re.compile(r"[(（]([^()（）]*)[)）]\s*$")


_EDITION_QUALIFIER = re.compile(r"版|[^英]文$|藏|蒙|维")


def strip_trailing_qualifiers(name: str, editions: bool = True) -> list[str]:
    """``国际商务(对外经济贸易大学学报)`` → [``国际商务``]; repeated for nested qualifiers.

    Used only to join third-party lists that omit the qualifier; place qualifiers such as （台湾）
    are kept because they name a different journal, and with ``editions=False`` so are edition and
    language qualifiers (（社会科学版）, （藏文）), which name a different journal too.
    """
    out: list[str] = []
    current = unicodedata.normalize("NFKC", name or "").strip()
    while True:
        m = _TRAILING_PAREN.search(current)
        if not m or m.group(1) in {"台湾", "香港", "澳门", "台北"}:
            break
        if not editions and _EDITION_QUALIFIER.search(m.group(1)):
            break
        current = current[: m.start()].strip()
        if current:
            out.append(current)
    return out


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: edits with adjacent transpositions (代当 ↔ 当代)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]
