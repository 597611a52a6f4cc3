"""Cross-applicant check inside a batch: collusion between applicants of one screening.

Three signals, each naming both rows:
- ``same_file``: two applicants submitted byte-identical files;
- ``mutual_copy``: a paper copies another applicant's paper in the batch (a temporary corpus of the
  batch's papers, each paper compared against it with its own applicant's papers excluded);
- ``shared_source``: papers of different applicants copy the same corpus source (from each paper's
  own similarity result).

Only the body is compared: masthead, ISSN/CN lines, titles and headings, author and affiliation lines,
keywords and the reference list are what two honest papers in one journal or one lab share, and they made
most cross flags of a real 30-paper batch (5–8 % overlaps). ``body_only`` blanks them (same length, so
offsets stay those of the paper). A same_file or mutual_copy overlap of at least
``settings.cross_review_ratio`` makes both rows 需核实 (``apply_cross_review``), naming the other applicant.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from integrity.errors import IntegrityError
from integrity.models import CheckOptions, ExtractedDocument
from integrity.settings import Settings

if TYPE_CHECKING:
    from integrity.batch.runner import CrossFlag, PaperOutcome


class CrossChecker:
    """Collects the batch's papers in a temporary corpus, then flags pairs across applicants."""

    def __init__(self, settings: Settings) -> None:
        # The temporary corpus always lives in SQLite in a temp dir: never in the shared Redis index.
        self.settings = settings.model_copy(update={"lsh_backend": "sqlite"})
        self.min_ratio = settings.cross_min_ratio
        self._tmp: Path | None = None
        self._corpus: Any = None
        self._spans: dict[str, tuple[int, int] | None] = {}
        self._covered: dict[str, list[tuple[int, int]]] = {}  # spans explained by the reference corpus

    def __enter__(self) -> CrossChecker:
        from integrity.corpus import Corpus

        self._tmp = Path(tempfile.mkdtemp(prefix="integrity-cross-"))
        self._corpus = Corpus.open(self._tmp / "corpus", self.settings, create=True, namespace="batch")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._corpus is not None:
            self._corpus.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def add(
        self, outcome: PaperOutcome, doc: ExtractedDocument, corpus_spans: list[tuple[int, int]] | None = None
    ) -> None:
        """Add one checked paper (its text is kept in the temp corpus, not in memory).

        ``corpus_spans`` are the paper's passages copied from the reference corpus: two papers that only
        share such text both copied a common source (``shared_source``), they did not copy each other.
        """
        from integrity.corpus import CorpusRecord

        if not doc.text.strip():
            return
        row = outcome.row
        record = CorpusRecord(
            id=row.key,
            title=row.title or row.file_name,
            text=body_only(doc.text, doc.references_span),
            authors=[row.applicant],
        )
        self._corpus.add([record])
        self._spans[row.key] = doc.references_span
        self._covered[row.key] = sorted(corpus_spans or [])

    def run(
        self, outcomes: list[PaperOutcome], progress: Callable[[int], None] | None = None
    ) -> list[CrossFlag]:
        """All flags, strongest first; each paper's ``cross_flags`` gets its one-liners."""
        from integrity.check import compare_document

        checked = [o for o in outcomes if o.status != "error"]
        by_key = {o.row.key: o for o in checked}
        keys_of: dict[str, list[str]] = {}
        for o in checked:
            keys_of.setdefault(o.row.applicant, []).append(o.row.key)
        flags: dict[tuple[str, int, int], CrossFlag] = {}

        for a, b in itertools.combinations(checked, 2):
            if a.row.applicant != b.row.applicant and a.sha256 and a.sha256 == b.sha256:
                self._flag(flags, "same_file", a, b, 1.0, "两位申报人提交了完全相同的文件")

        # Each applicant's own papers are taken out of the temporary corpus while that applicant's papers
        # are compared (a paper matching itself would hide what it shares with others), then put back.
        done = 0
        for applicant, keys in keys_of.items():
            present = [k for k in keys if k in self._spans]
            records = [r for r in (self._corpus.get(k) for k in present) if r is not None]
            if records:
                self._corpus.remove([r.id for r in records])
            try:
                for record in records:
                    o = by_key[record.id]
                    doc = ExtractedDocument(
                        text=record.text, file_type="txt", references_span=self._spans[record.id]
                    )
                    try:
                        sim = compare_document(doc, self._corpus, CheckOptions(include_text=True))
                    except IntegrityError:  # e.g. nothing left to compare against (or no body text)
                        continue
                    covered = self._covered.get(record.id, [])
                    for src in sim.sources:
                        other = by_key.get(src.doc_id)
                        if other is None or other.row.applicant == applicant or src.ratio < self.min_ratio:
                            continue
                        spans = [(p.start, p.end) for p in src.passages]
                        total = sum(e - b for b, e in spans)
                        own = _uncovered(spans, covered)
                        exclusive = src.ratio * own / total if total else 0.0
                        if exclusive < self.min_ratio:
                            continue  # only text both took from the corpus: reported as shared_source
                        detail = f"正文文字重复 {src.ratio:.1%}，其中比对库未收录部分 {exclusive:.1%}"
                        text = _excerpt(p.text for p in src.passages)
                        self._flag(flags, "mutual_copy", o, other, exclusive, detail, text)
            finally:
                if records:
                    self._corpus.add(records)
            done += len(keys)
            if progress is not None:
                progress(done)

        sharers: dict[str, list[tuple[PaperOutcome, float, str]]] = {}
        for o in checked:
            for s in o.top_sources:
                if not s.get("is_self") and float(s.get("ratio") or 0) >= self.min_ratio:
                    sharers.setdefault(str(s["doc_id"]), []).append((o, float(s["ratio"]), str(s["title"])))
        for _doc_id, users in sharers.items():
            for (a, ra, title), (b, rb, _) in itertools.combinations(users, 2):
                if a.row.applicant != b.row.applicant:
                    self._flag(flags, "shared_source", a, b, min(ra, rb), f"共同复制来源「{title}」")

        result = sorted(flags.values(), key=lambda f: (_RANK[f.kind], -f.ratio, f.row_a, f.row_b))
        by_row = {o.row.row: o for o in checked}
        for f in result:
            by_row[f.row_a].cross_flags.append(
                f"{_LABEL[f.kind]}：第 {f.row_b} 行（{f.applicant_b}），{f.detail}"
            )
            by_row[f.row_b].cross_flags.append(
                f"{_LABEL[f.kind]}：第 {f.row_a} 行（{f.applicant_a}），{f.detail}"
            )
        return result

    @staticmethod
    def _flag(
        flags: dict[tuple[str, int, int], CrossFlag],
        kind: str,
        a: PaperOutcome,
        b: PaperOutcome,
        ratio: float,
        detail: str,
        text: str = "",
    ) -> None:
        from integrity.batch.runner import CrossFlag

        if a.row.row > b.row.row:
            a, b = b, a
        key = (kind, a.row.row, b.row.row)
        old = flags.get(key)
        if old is None or ratio > old.ratio:
            flags[key] = CrossFlag(
                kind, a.row.row, a.row.applicant, a.row.title or a.row.file_name,
                b.row.row, b.row.applicant, b.row.title or b.row.file_name, ratio, detail, text,
            )  # fmt: skip


_RANK = {"same_file": 0, "mutual_copy": 1, "shared_source": 2}
_LABEL = {"same_file": "相同文件", "mutual_copy": "互相复制", "shared_source": "共同来源"}


def _uncovered(spans: list[tuple[int, int]], covered: list[tuple[int, int]]) -> int:
    """Characters of ``spans`` outside every ``covered`` span."""
    total = 0
    for start, end in spans:
        inside = sum(max(0, min(end, ce) - max(start, cs)) for cs, ce in covered)
        total += max(0, (end - start) - inside)
    return total


# Lines two honest papers share: masthead and identifiers, keywords and classification lines, fund and
# author notes, affiliations (a parenthesised unit with a postcode), and short lines (titles, headings,
# author names). The abstract and the body stay.
_BOILERPLATE = re.compile(
    r"^\s*(关\s*键\s*词|关键字|key\s*words?|中图分类号|文献标[识志]码|文章编号|收稿日期|基金项目|作者简介|"
    r"通讯作者|通信作者|doi|引用格式|本文引用格式)",
    re.IGNORECASE,
)
_MASTHEAD = re.compile(r"ISSN\s*\d{4}-?\d{3}[\dXx]|CN\s*\d{2}-\d{4}|第\s*\d+\s*卷|\d{4}\s*年\s*第\s*\d+\s*期")
_AFFILIATION = re.compile(r"^\s*[（(].*(大学|学院|研究[所院]|医院|公司|中心|学校).*\d{6}")
SHORT_LINE = 25  # characters: titles, headings, bylines; a body line of a PDF is longer


def body_only(text: str, references_span: tuple[int, int] | None = None) -> str:
    """``text`` with masthead, headings, bylines, affiliations, keywords and references blanked.

    Blanked characters become spaces (offsets unchanged); the matcher ignores whitespace, so the cross
    ratio is a share of the body alone.
    """
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if not chars[i].isspace():
                chars[i] = " "

    if references_span is not None:
        blank(*references_span)
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and (
            len(stripped) < SHORT_LINE
            or _BOILERPLATE.match(stripped)
            or _MASTHEAD.search(stripped)
            or _AFFILIATION.match(stripped)
        ):
            blank(pos, pos + len(line))
        pos += len(line)
    return "".join(chars)


def _excerpt(texts: Any, limit: int = 300) -> str:
    """The matched passages for the 交叉比对 sheet, joined and cut to ``limit`` characters."""
    joined = " … ".join(re.sub(r"\s+", "", t) for t in texts if t and t.strip())
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


def apply_cross_review(
    outcomes: list[PaperOutcome], flags: list[CrossFlag], min_ratio: float, citation: str
) -> None:
    """Both rows of a same_file / mutual_copy flag at or over ``min_ratio`` need review (需核实).

    A rejected row stays rejected (the overlap is added to its problems); an accepted one becomes review.
    """
    by_row = {o.row.row: o for o in outcomes}
    for f in flags:
        if f.kind not in ("same_file", "mutual_copy") or f.ratio < min_ratio:
            continue
        for mine, row, applicant, title in (
            (f.row_a, f.row_b, f.applicant_b, f.title_b),
            (f.row_b, f.row_a, f.applicant_a, f.title_a),
        ):
            o = by_row.get(mine)
            if o is None:
                continue
            what = "提交了完全相同的文件" if f.kind == "same_file" else f"正文重复 {f.ratio:.1%}"
            o.findings.append(
                {
                    "code": "cross_applicant_overlap",
                    "severity": "warning",
                    "message": f"与本批第 {row} 行申报人{applicant}的论文《{title}》{what}"
                    f"（不低于 {min_ratio:.0%}），疑似共用或互抄论文，需核实署名与贡献",
                    "citation": citation,
                    "detail": {"row": row, "applicant": applicant, "ratio": f.ratio, "kind": f.kind},
                }
            )
            if o.status in ("accepted", "checked"):
                o.status = "review"
