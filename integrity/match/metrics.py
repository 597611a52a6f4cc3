"""CNKI-style figures from aligned passages.

Conventions (as reviewers know them from CNKI AMLC): characters are counted in the uploaded text without
whitespace (line breaks of a PDF extraction are not characters of the paper); a character counts once
even when several sources match it; the paper's own 参考文献 list is never counted as copying (a listed
title is a citation, not a copy); ``copy_ratio_excluding_references`` (去除引用文献复制比) also leaves out
quoted text with a citation marker (引用) and keeps the total as denominator, so it never exceeds
``total_copy_ratio``; the applicant's own papers are left out of ``copy_ratio_excluding_self``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from integrity.models import Passage, SimilarityReport, SourceMatch

if TYPE_CHECKING:
    from integrity.corpus import StoredDocument

_REFS_HEADING = re.compile(
    r"^[ \t\u3000]*(参\s*考\s*文\s*献|references|bibliography)[ \t\r\u3000:：]*$", re.I | re.M
)
_HEADING = re.compile(
    r"^[ \t\u3000]*("
    r"摘\s*要|abstract|关键词|关\s*键\s*词|key\s*words|引\s*言|前\s*言|结\s*论|结\s*语|致\s*谢|参\s*考\s*文\s*献"
    r"|[一二三四五六七八九十]+[、.．]\S.{0,25}|\d{1,2}(\.\d{1,2}){0,2}[ \t\u3000]+\S.{0,25}"
    r")",
    re.I | re.M,
)


_NAMED_HEADINGS = {
    *("摘要", "abstract", "关键词", "keywords", "引言", "前言", "结论", "结语", "致谢", "参考文献"),
}


_WHITESPACE = np.array([ord(c) for c in map(chr, range(0x3001)) if c.isspace()], dtype=np.uint32)


# Quoted text followed by a citation marker: “…”[3], "…"[1-4], 「…」（张三，2019）, “…”^[2]
_QUOTE = re.compile(
    r"(?:“[^”\n]{2,}?”|\"[^\"\n]{2,}?\"|「[^」\n]{2,}?」|『[^』\n]{2,}?』)"
    r"[ \t]*(?:\^?\[\s*\d+(?:\s*[-–—,，、]\s*\d+)*\s*\]|[（(][^（）()\n]{1,40}?\d{4}[a-z]?[）)])"
)
FRONT_REAR_SHARE = 0.2  # CNKI: 前部/后部重合字数 count the copied characters of the first/last 20 %


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Quotations with a citation marker (引用): the quoted text and its marker."""
    return [m.span() for m in _QUOTE.finditer(text)]


def paragraph_spans(text: str, end: int) -> list[tuple[int, int]]:
    """Non-empty lines of ``text[:end]`` (a paragraph of a TXT/DOCX file; a PDF line for PDFs)."""
    out = []
    pos = 0
    for line in text[:end].split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def detect_references(text: str) -> tuple[int, int] | None:
    """Span of the reference list: from the last 参考文献/References heading line to the end."""
    last = None
    for m in _REFS_HEADING.finditer(text):
        last = m
    if last is None or last.start() < len(text) * 0.3:
        return None
    return last.start(), len(text)


class CharCounter:
    """Non-whitespace characters in ``text[a:b]`` in O(1)."""

    def __init__(self, text: str) -> None:
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        counted = ~np.isin(cp, _WHITESPACE)
        self.prefix = np.concatenate(([0], np.cumsum(counted, dtype=np.int64))).tolist()

    def count(self, a: int, b: int) -> int:
        n = len(self.prefix) - 1
        a, b = max(0, min(a, n)), max(0, min(b, n))
        return self.prefix[b] - self.prefix[a] if b > a else 0

    def union(self, spans: Sequence[tuple[int, int]], clip: tuple[int, int] | None = None) -> int:
        total = 0
        end = -1
        for s, e in sorted(spans):
            if clip is not None:
                s, e = max(s, clip[0]), min(e, clip[1])
                if e <= s:
                    continue
            if e > end:
                total += self.count(max(s, end), e)
                end = e
        return total


def _ratio(a: int, b: int) -> float:
    return round(a / b, 6) if b else 0.0


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


def build_report(
    text: str,
    per_source: list[tuple[StoredDocument, list[Passage]]],
    *,
    references_span: tuple[int, int] | None,
    exclude_doc_ids: Sequence[str],
    self_authors: Sequence[str],
) -> SimilarityReport:
    cc = CharCounter(text)
    total = cc.count(0, len(text))
    excluded = set(exclude_doc_ids)
    selves = {_norm_name(a) for a in self_authors if a.strip()}
    sources: list[SourceMatch] = []
    for doc, passages in per_source:
        rec = doc.record
        is_self = rec.id in excluded or any(_norm_name(a) in selves for a in rec.authors)
        copied = cc.union([(p.start, p.end) for p in passages])
        sources.append(
            SourceMatch(
                doc_id=rec.id,
                title=rec.title,
                ratio=_ratio(copied, total),
                copied_chars=copied,
                passages=sorted(passages, key=lambda p: p.start),
                authors=list(rec.authors),
                year=rec.year,
                is_self=is_self,
            )
        )
    sources.sort(key=lambda s: (-s.ratio, s.doc_id))
    all_spans = [(p.start, p.end) for s in sources for p in s.passages]
    other_spans = [(p.start, p.end) for s in sources if not s.is_self for p in s.passages]
    copied = cc.union(all_spans)
    rs, re_ = references_span or (len(text), len(text))
    refs_chars = cc.count(rs, re_)
    quoted = cc.union(_intersect(all_spans, quoted_spans(text)))
    body_end = rs if references_span else len(text)
    paragraphs = paragraph_spans(text, body_end)
    suspect = sum(1 for a, b in paragraphs if cc.union(all_spans, (a, b)) > 0)
    body_chars = cc.count(0, body_end)
    cut_front = _char_position(cc, int(body_chars * FRONT_REAR_SHARE))
    cut_rear = _char_position(cc, body_chars - int(body_chars * FRONT_REAR_SHARE))
    return SimilarityReport(
        total_copy_ratio=_ratio(copied, total),
        copied_chars=copied,
        total_chars=total,
        copy_ratio_excluding_references=_ratio(max(0, copied - quoted), total),
        copy_ratio_excluding_self=_ratio(cc.union(other_spans), total),
        max_single_source_ratio=max((s.ratio for s in sources), default=0.0),
        sources=sources,
        sections=sections(text, cc, all_spans, references_span),
        quoted_chars=quoted,
        references_chars=refs_chars,
        paragraphs_total=len(paragraphs),
        paragraphs_suspect=suspect,
        front_overlap_chars=cc.union(all_spans, (0, cut_front)),
        rear_overlap_chars=cc.union(all_spans, (cut_rear, body_end)),
    )


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(s, t), min(e, u)) for s, e in a for t, u in b if min(e, u) > max(s, t)]


def _char_position(cc: CharCounter, n: int) -> int:
    """Text index before which ``n`` counted (non-whitespace) characters lie."""
    import bisect

    return bisect.bisect_left(cc.prefix, n)


def sections(
    text: str, cc: CharCounter, spans: list[tuple[int, int]], references_span: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """Per-section ratios, split at recognisable headings (摘要, numbered headings, 参考文献)."""
    starts: list[tuple[int, str]] = [(0, "前置部分")]
    for m in _HEADING.finditer(text):
        head = re.sub(r"\s+", "", m.group(1))
        if head.lower() in _NAMED_HEADINGS:
            starts.append((m.start(), head))  # "摘要：正文…" on one line is still the 摘要 section
            continue
        line_end = text.find("\n", m.start())
        line = text[m.start() : line_end if line_end >= 0 else len(text)].strip()
        if len(line) <= 30:
            starts.append((m.start(), line))
    if references_span and all(abs(s - references_span[0]) > 2 for s, _ in starts):
        starts.append((references_span[0], "参考文献"))
    starts.sort()
    out: list[dict[str, Any]] = []
    for i, (s, name) in enumerate(starts):
        e = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        chars = cc.count(s, e)
        if chars == 0:
            continue
        copied = cc.union(spans, (s, e))
        out.append(
            {
                "name": name,
                "start": s,
                "end": e,
                "chars": chars,
                "copied_chars": copied,
                "ratio": _ratio(copied, chars),
            }
        )
    return out
