"""Reading order for PDF pages: positioned characters → clean text.

Why our own layout step: plain engine output (pdftotext, pdfminer) interleaves the two columns of a
journal page line by line and keeps running headers and page numbers, which turns copied passages into
unmatched fragments. Every engine feeds the same ``Char`` list here, so the benchmark compares engines on
equal terms. Steps: characters → lines (same baseline) → segments (split at wide gaps such as a column
gutter) → running header/footer removal (position + repetition across pages + page-number patterns) →
column detection (an empty vertical band near the middle) → paragraphs (indent / short line / big gap),
joining lines broken inside a sentence without inserting spaces between Chinese characters.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:[-–—·•.]?\s*\d{1,4}\s*[-–—·•.]?|第\s*\d{1,4}\s*页(?:\s*[/／共]\s*\d{1,4}\s*页?)?|"
    r"page\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|\d{1,4}\s*/\s*\d{1,4}|[ivxlcIVXLC]{1,6})\s*$",
    re.IGNORECASE,
)
_JOURNAL_HEADER_RE = re.compile(
    r"(?:\d{4}\s*年\s*第?\s*\d{1,3}\s*期|第\s*\d{1,3}\s*卷|Vol\.?\s*\d|No\.?\s*\d|学报|杂志|ISSN|"
    r"\d{4}\s*年\s*\d{1,2}\s*月|增刊|专刊)",
    re.IGNORECASE,
)
_SENTENCE_END = "。！？!?；;：:」』”）)"


@dataclass(slots=True)
class Char:
    """One glyph: ``top``/``bottom`` in points from the top of the page, ``baseline`` likewise."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float


@dataclass(slots=True)
class Segment:
    """A run of characters on one baseline without a wide gap: a line of one column."""

    chars: list[Char]
    text: str = ""
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    baseline: float = 0.0
    size: float = 0.0

    def finish(self) -> Segment:
        cs = self.chars
        self.x0 = min(c.x0 for c in cs)
        self.x1 = max(c.x1 for c in cs)
        self.top = min(c.top for c in cs)
        self.bottom = max(c.bottom for c in cs)
        self.baseline = _median([c.baseline for c in cs])
        self.size = _median([c.size for c in cs]) or 10.0
        self.text = _join_chars(cs, self.size)
        return self


@dataclass
class PageLayout:
    """One page's characters and size; ``number`` is 1-based."""

    number: int
    width: float
    height: float
    chars: list[Char]
    segments: list[Segment] = field(default_factory=list)
    lines: list[list[Segment]] = field(default_factory=list)  # segments grouped by baseline, top-down


@dataclass
class LayoutResult:
    text: str
    removed_headers: list[str]  # running header/footer lines removed, page order (fed to metadata)
    first_page_text: str  # cleaned text of page 1 (front matter for metadata)
    two_column_pages: int
    page_char_counts: list[int]
    page_texts: list[str] = field(default_factory=list)  # each page on its own (splicing OCR'd pages)


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if v else 0.0


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _join_chars(chars: list[Char], size: float) -> str:
    """Characters of one segment left to right; a space where a visible gap separates Latin words."""
    out: list[str] = []
    prev: Char | None = None
    for c in chars:
        if c.text.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            prev = c
            continue
        if prev is not None and not prev.text.isspace() and out and out[-1] != " ":
            gap = c.x0 - prev.x1
            if gap > 0.25 * size and not (is_cjk(prev.text[-1]) or is_cjk(c.text[0])):
                out.append(" ")
        out.append(c.text)
        prev = c
    return "".join(out).strip()


def build_lines(page: PageLayout) -> None:
    """Group ``page.chars`` into baseline lines, then split each line at wide gaps into segments."""
    chars = [c for c in page.chars if c.text and c.text not in "\r\n"]
    chars.sort(key=lambda c: (c.baseline, c.x0))
    clusters: list[list[Char]] = []
    for c in chars:
        if clusters:
            cl = clusters[-1]
            ref = cl[0].baseline
            if abs(c.baseline - ref) <= max(1.0, 0.35 * max(c.size, cl[0].size)):
                cl.append(c)
                continue
        clusters.append([c])
    clusters = _attach_scripts(clusters)
    page.lines = []
    page.segments = []
    for cl in clusters:
        cl.sort(key=lambda c: c.x0)
        size = _median([c.size for c in cl]) or 10.0
        line: list[Segment] = []
        cur: list[Char] = []
        last_x1 = None
        for c in cl:
            if c.text.isspace():
                if cur:
                    cur.append(c)
                continue
            if cur and last_x1 is not None and c.x0 - last_x1 > 1.5 * size:
                line.append(Segment(_strip_spaces(cur)).finish())
                cur = []
            cur.append(c)
            last_x1 = c.x1
        if cur and any(not c.text.isspace() for c in cur):
            line.append(Segment(_strip_spaces(cur)).finish())
        line = [s for s in line if s.text]
        if line:
            page.lines.append(line)
            page.segments.extend(line)


def _attach_scripts(clusters: list[list[Char]]) -> list[list[Char]]:
    """Merge superscripts (citation marks ``[1]``, author affiliations ``张伟¹``) and subscripts into the line
    they belong to: smaller glyphs whose baseline sits within that line's height. Left alone they would
    form lines of their own and break the sentence they interrupt."""
    sizes = [_median([c.size for c in cl]) for cl in clusters]
    bases = [_median([c.baseline for c in cl]) for cl in clusters]
    out: list[list[Char]] = []
    out_size: list[float] = []
    out_base: list[float] = []
    pending: list[Char] = []
    for i, cl in enumerate(clusters):
        size, base = sizes[i], bases[i]
        nxt = i + 1 < len(clusters)
        if (
            nxt
            and size < 0.85 * sizes[i + 1]
            and 0 < bases[i + 1] - base < 0.7 * sizes[i + 1]
            and _marks_within(cl, clusters[i + 1])
        ):
            pending.extend(cl)  # superscript: joins the next (lower) line
            continue
        if (
            out
            and not pending
            and size < 0.85 * out_size[-1]
            and 0 < base - out_base[-1] < 0.5 * out_size[-1]
            and _marks_within(cl, out[-1])
        ):
            out[-1].extend(cl)  # subscript: joins the previous line
            continue
        out.append(cl + pending)
        out_size.append(size)
        out_base.append(base)
        pending = []
    if pending:
        out.append(pending)
    return out


def _marks_within(marks: list[Char], line: list[Char]) -> bool:
    """Short runs of glyphs every one of which sits next to a glyph of ``line`` (same column)."""
    if len(marks) > 16:
        return False
    xs = sorted((c.x0, c.x1) for c in line)
    for m in marks:
        near = any(
            x0 - 2 * m.size <= m.x0 and m.x1 <= x1 + 2 * m.size for x0, x1 in xs[:: max(1, len(xs) // 64)]
        )
        if not near:
            return False
    return True


def _strip_spaces(chars: list[Char]) -> list[Char]:
    while chars and chars[-1].text.isspace():
        chars = chars[:-1]
    return chars


def _norm_header(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def remove_headers_footers(pages: list[PageLayout]) -> list[str]:
    """Drop running headers/footers and page numbers in place; return the removed texts (page order)."""
    removed: list[str] = []
    # Candidate lines: in the top or bottom 12 % of the page and set apart from the body by a gap.
    candidates: dict[int, list[tuple[str, list[Segment]]]] = {}
    pitches = [
        lines[i + 1][0].baseline - lines[i][0].baseline
        for lines in (p.lines for p in pages)
        for i in range(len(lines) - 1)
        if 0 < lines[i + 1][0].baseline - lines[i][0].baseline < 40
    ]
    pitch = statistics.median(pitches) if pitches else 14.0
    for page in pages:
        lines = page.lines
        if not lines:
            continue
        cands: list[tuple[str, list[Segment]]] = []
        top_block = _edge_block(lines, pitch, page.height, top=True)
        bottom_block = _edge_block(list(reversed(lines)), pitch, page.height, top=False)
        cands.extend(("top", ln) for ln in top_block)
        cands.extend(("bottom", ln) for ln in bottom_block if all(ln is not t for t in top_block))
        candidates[page.number] = cands
    counts: Counter[tuple[str, str, int]] = Counter()
    for cands in candidates.values():
        for zone, line in cands:
            for seg in line:
                counts[(zone, _norm_header(seg.text), round(seg.baseline / 6))] += 1
    multi_page = len(pages) > 1
    for page in pages:
        drop: set[int] = set()
        for zone, line in candidates.get(page.number, []):
            for seg in line:
                key = (zone, _norm_header(seg.text), round(seg.baseline / 6))
                repeated = multi_page and counts[key] >= 2
                page_no = bool(_PAGE_NUMBER_RE.match(seg.text))
                journal = zone == "top" and bool(_JOURNAL_HEADER_RE.search(_line_text(line)))
                if repeated or page_no or journal:
                    drop.add(id(seg))
                    if not page_no:
                        removed.append(seg.text)
        if drop:
            page.segments = [s for s in page.segments if id(s) not in drop]
            page.lines = [[s for s in ln if id(s) not in drop] for ln in page.lines]
            page.lines = [ln for ln in page.lines if ln]
    return removed


def _edge_block(lines: list[list[Segment]], pitch: float, height: float, *, top: bool) -> list[list[Segment]]:
    """Up to two lines at the top (or bottom) edge, set apart from the body by a gap of 1.5 line pitches.

    A bare page number qualifies without the gap (it may sit close to the last line)."""
    out: list[list[Segment]] = []
    for i, line in enumerate(lines[:2]):
        in_zone = line[0].bottom <= height * 0.12 if top else line[0].top >= height * 0.88
        if not in_zone:
            break
        nxt = lines[i + 1][0].baseline if i + 1 < len(lines) else (height if top else 0.0)
        gap = abs(nxt - line[0].baseline)
        if gap >= 1.5 * pitch:
            out.append(line)
            return out
        if i == 0 and _PAGE_NUMBER_RE.match(_line_text(line)):
            out.append(line)
            return out
        out.append(line)
    # no gap after the first two lines: only bare page numbers among them may go
    return [ln for ln in out if _PAGE_NUMBER_RE.match(_line_text(ln))]


def _line_text(line: list[Segment]) -> str:
    return " ".join(s.text for s in line)


def find_gutter(page: PageLayout) -> float | None:
    """x of a vertical band near the middle that splits the body into two columns, or None.

    The band may be crossed by a few segments (a centred title, a wide figure caption, a table row):
    those become full-width blocks. A one-column page has nearly every line across the middle."""
    segs = [s for s in page.segments if s.x1 - s.x0 < 0.6 * page.width]
    if len(segs) < 6:
        return None
    lo, hi = int(page.width * 0.3), int(page.width * 0.7)
    covered = [0] * (int(page.width) + 2)
    for s in segs:
        for x in range(max(lo, int(s.x0)), min(hi, int(s.x1) + 1)):
            covered[x] += 1
    for allowed in (0, max(1, len(segs) // 12)):
        best: tuple[int, int] | None = None
        run_start = None
        for x in range(lo, hi + 1):
            free = covered[x] <= allowed and x < hi
            if free and run_start is None:
                run_start = x
            elif not free and run_start is not None:
                if best is None or x - run_start > best[1] - best[0]:
                    best = (run_start, x)
                run_start = None
        if best is None or best[1] - best[0] < 6:
            continue
        gx = (best[0] + best[1]) / 2
        left = sum(1 for s in segs if s.x1 <= gx)
        right = sum(1 for s in segs if s.x0 >= gx)
        if left >= 3 and right >= 3:
            return gx
    return None


def gutter_fits(page: PageLayout, gx: float) -> bool:
    """Does the document's gutter ``gx`` split this (sparse) page too: text on both sides, none across?"""
    body = [s for s in page.segments if s.x1 - s.x0 < 0.6 * page.width]
    if any(s.x0 < gx < s.x1 for s in body):
        return False
    return any(s.x1 <= gx for s in body) and any(s.x0 >= gx for s in body)


def order_segments(page: PageLayout, doc_gutter: float | None = None) -> tuple[list[list[Segment]], bool]:
    """Blocks of segments in reading order (each block one column run); True when two columns were found."""
    segs = sorted(page.segments, key=lambda s: (s.baseline, s.x0))
    gx = find_gutter(page)
    if gx is None and doc_gutter is not None and gutter_fits(page, doc_gutter):
        gx = doc_gutter
    if gx is None:
        # one column: merge the segments of one baseline into one line (tables, tab gaps)
        merged: list[Segment] = []
        for line in page.lines:
            chars = [c for s in line for c in s.chars]
            merged.append(Segment(chars).finish())
        return [merged], False
    blocks: list[list[Segment]] = []
    left: list[Segment] = []
    right: list[Segment] = []

    def flush() -> None:
        if left:
            blocks.append(list(left))
        if right:
            blocks.append(list(right))
        left.clear()
        right.clear()

    for s in segs:
        if s.x1 <= gx:
            left.append(s)
        elif s.x0 >= gx:
            right.append(s)
        else:
            flush()
            blocks.append([s])
    flush()
    return blocks, True


def join_blocks(blocks: list[list[Segment]]) -> str:
    """Join lines into paragraphs: a newline only where a paragraph ends."""
    out: list[str] = []
    prev: Segment | None = None
    prev_right = 0.0
    for block in blocks:
        if not block:
            continue
        left = _percentile([s.x0 for s in block], 0.2)
        right = _percentile([s.x1 for s in block], 0.8)
        pitches = [b.baseline - a.baseline for a, b in itertools.pairwise(block) if b.baseline > a.baseline]
        pitch = statistics.median(pitches) if pitches else 0.0
        for i, s in enumerate(block):
            if prev is None:
                out.append(s.text)
            else:
                size = s.size
                indented = s.x0 > left + 0.9 * size
                shortfall = prev_right - prev.x1
                short_prev = shortfall > 1.5 * prev.size and (
                    prev.text.endswith(tuple(_SENTENCE_END + ".")) or shortfall > 8 * prev.size
                )
                gap = i > 0 and pitch > 0 and s.baseline - prev.baseline > 1.7 * pitch
                if indented or short_prev or gap:
                    out.append("\n")
                else:
                    prev_text = out[-1]
                    if re.search(r"[a-z]-$", prev_text) and re.match(r"[a-z]", s.text):
                        out[-1] = prev_text[:-1]  # "develop-" + "ment": a word hyphenated at the line end
                    else:
                        out.append(_line_joiner(prev_text, s.text))
                out.append(s.text)
            prev = s
            prev_right = right
    text = "".join(out)
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def _line_joiner(before: str, after: str) -> str:
    if not before or not after:
        return ""
    a, b = before[-1], after[0]
    if is_cjk(a) or is_cjk(b) or a == "-":
        return ""
    if a.isalnum() and b.isalnum():
        return " "
    if a in ",.;:" and b.isalnum():
        return " "
    return ""


def _percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(q * (len(v) - 1))))]


def layout_pages(pages: list[PageLayout]) -> LayoutResult:
    """Full pipeline over all pages of one document."""
    for page in pages:
        build_lines(page)
    removed = remove_headers_footers(pages)
    all_blocks: list[list[Segment]] = []
    two_col = 0
    counts: list[int] = []
    first_page_text = ""
    page_texts: list[str] = []
    gutters = [g for g in (find_gutter(p) for p in pages) if g is not None]
    doc_gutter = statistics.median(gutters) if gutters else None
    for page in pages:
        blocks, is_two = order_segments(page, doc_gutter)
        two_col += int(is_two)
        counts.append(sum(len(s.text) for b in blocks for s in b))
        page_texts.append(join_blocks(blocks))
        if page.number == pages[0].number:
            first_page_text = page_texts[-1]
        all_blocks.extend(blocks)
    return LayoutResult(
        text=join_blocks(all_blocks),
        removed_headers=removed,
        first_page_text=first_page_text,
        two_column_pages=two_col,
        page_char_counts=counts,
        page_texts=page_texts,
    )
