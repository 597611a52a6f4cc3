"""Run the checks of a batch: every manifest row against one open corpus, then the cross-applicant check.

Why this shape: the corpus is opened once for the whole batch (``check.compare_document``), a failing
paper becomes a per-row error while the rest goes on, and each paper's full result is handed to an
optional ``on_result`` callback (the service stores it) instead of being kept in memory for thousands
of papers: the outcome keeps only what the summary needs.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.batch.manifest import ManifestRow, RowError, read_manifest
from integrity.errors import IntegrityError
from integrity.models import CheckOptions, PaperClaims
from integrity.settings import Settings, get_settings

Progress = Callable[[int, int, str], None]
OnResult = Callable[["PaperOutcome", dict[str, Any]], None]

STATUS_LABELS = {
    "accepted": "通过",
    "rejected": "不予认定",
    "review": "需核实",
    "checked": "已检测",
    "error": "出错",
}


@dataclass
class PaperOutcome:
    """What the summary shows for one manifest row."""

    row: ManifestRow
    status: str  # accepted | rejected | review | checked | error
    error_code: str | None = None
    error: str | None = None
    sha256: str | None = None
    total_copy_ratio: float | None = None
    copy_ratio_excluding_references: float | None = None
    copy_ratio_excluding_self: float | None = None
    max_single_source_ratio: float | None = None
    copied_chars: int | None = None
    total_chars: int | None = None
    top_sources: list[dict[str, Any]] = field(default_factory=list)  # doc_id, title, ratio, is_self
    recognised_level: str | None = None
    verdict_summary: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    cross_flags: list[str] = field(default_factory=list)  # zh-CN one-liners, filled by the cross-check
    check_id: str | None = None  # set by the service: this paper's stored check (for its report)
    file_path: str | None = None  # where the paper was read from (not shown in summaries)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PaperOutcome:
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "row"}
        return cls(row=ManifestRow(**d["row"]), **fields)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("row", "file_path")}
        d["row"] = self.row.to_dict()
        d["status_label"] = STATUS_LABELS.get(self.status, self.status)
        return d


@dataclass
class CrossFlag:
    """Two papers of different applicants that copy each other, share a source, or are the same file."""

    kind: str  # mutual_copy | shared_source | same_file
    row_a: int
    applicant_a: str
    title_a: str
    row_b: int
    applicant_b: str
    title_b: str
    ratio: float
    detail: str  # zh-CN
    text: str = ""  # the matched passages (body only), for the 交叉比对 sheet

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BatchResult:
    outcomes: list[PaperOutcome]
    manifest_errors: list[RowError]
    cross_flags: list[CrossFlag] = field(default_factory=list)
    unlisted_files: list[str] = field(default_factory=list)  # in the zip/folder, in no manifest row

    def counts(self) -> dict[str, int]:
        by = {s: sum(1 for o in self.outcomes if o.status == s) for s in STATUS_LABELS}
        return {
            "rows": len(self.outcomes) + len(self.manifest_errors),
            "accepted": by["accepted"],
            "rejected": by["rejected"],
            "review": by["review"],
            "checked": by["checked"],
            "errors": by["error"] + len(self.manifest_errors),
            "cross_flags": len(self.cross_flags),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchResult:
        """Rebuild from ``to_dict`` output (the service regenerates the XLSX from the stored JSON)."""
        return cls(
            outcomes=[PaperOutcome.from_dict(o) for o in d.get("outcomes", [])],
            manifest_errors=[RowError(**e) for e in d.get("manifest_errors", [])],
            cross_flags=[CrossFlag(**f) for f in d.get("cross_flags", [])],
            unlisted_files=list(d.get("unlisted_files", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "manifest_errors": [e.to_dict() for e in self.manifest_errors],
            "cross_flags": [f.to_dict() for f in self.cross_flags],
            "unlisted_files": list(self.unlisted_files),
        }


def run_batch_path(
    folder: Path,
    manifest: Path,
    corpus_dir: Path,
    *,
    policy_id: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    on_result: OnResult | None = None,
) -> BatchResult:
    """CLI entry: ``folder`` is a directory of papers or a zip (unpacked safely to a temp dir)."""
    from integrity.batch.zipsafe import safe_extract

    settings = settings or get_settings()
    rows, errors = read_manifest(manifest, settings)
    folder = Path(folder)
    if folder.is_file():
        with tempfile.TemporaryDirectory(prefix="integrity-batch-") as tmp:
            safe_extract(folder, Path(tmp), settings)
            return run_batch(
                Path(tmp), rows, errors, corpus_dir, policy_id=policy_id, settings=settings,
                progress=progress, on_result=on_result,
            )  # fmt: skip
    if not folder.is_dir():
        raise IntegrityError(f"论文目录不存在：{folder}", code="folder_not_found")
    return run_batch(
        folder, rows, errors, corpus_dir, policy_id=policy_id, settings=settings, progress=progress,
        on_result=on_result,
    )  # fmt: skip


def run_batch(
    folder: Path,
    rows: list[ManifestRow],
    manifest_errors: list[RowError],
    corpus_dir: Path | Any,
    *,
    policy_id: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    on_result: OnResult | None = None,
) -> BatchResult:
    """Check every row's paper; missing or unreadable files become per-row errors.

    ``corpus_dir`` is a corpus directory, or an already open ``Corpus`` (the service opens the tenant's
    corpus with its namespace); an open corpus is left open.
    """
    from integrity.check import search_corpora
    from integrity.corpus import Corpus

    settings = settings or get_settings()
    folder = Path(folder).resolve()
    opened = isinstance(corpus_dir, (str, Path))
    corpus: Any = Corpus.open(Path(corpus_dir), settings) if opened else corpus_dir
    label = str(corpus_dir) if opened else str(getattr(corpus, "directory", "比对库"))
    try:
        with search_corpora(corpus, label, settings) as searched:  # plus the shared base corpora
            return _run(folder, rows, manifest_errors, searched, policy_id, settings, progress, on_result)
    finally:
        if opened:
            corpus.close()


def _run(
    folder: Path,
    rows: list[ManifestRow],
    manifest_errors: list[RowError],
    corpus: Any,
    policy_id: str | None,
    settings: Settings,
    progress: Progress | None,
    on_result: OnResult | None,
) -> BatchResult:
    from integrity.batch.cross import CrossChecker, apply_cross_review
    from integrity.check import build_result, compare_document
    from integrity.ingest import extract

    files = _index_files(folder)
    total = len(rows)  # progress counts papers (a clerk's unit), not internal steps
    outcomes: list[PaperOutcome] = []
    listed: set[Path] = set()
    _tick(progress, 0, total, "检测论文")
    with CrossChecker(settings) as cross:
        corpus_info = corpus.describe()
        for i, row in enumerate(rows, 1):
            path = _locate(folder, files, row.file_name)
            if path is None:
                outcomes.append(
                    PaperOutcome(row, "error", "file_missing", f"第 {row.row} 行：找不到文件 {row.file_name}")
                )
                _tick(progress, i, total, "检测论文")
                continue
            listed.add(path)
            options = _options(row, policy_id)
            try:
                doc = extract(path, settings)
                similarity = compare_document(doc, corpus, options)
                result = build_result(path, doc, similarity, options, settings, corpus_info)
            except IntegrityError as exc:
                outcomes.append(PaperOutcome(row, "error", exc.code, f"第 {row.row} 行：{exc.message}"))
            except Exception as exc:  # one broken paper must not stop a batch of thousands
                outcomes.append(
                    PaperOutcome(
                        row, "error", "internal_error", f"第 {row.row} 行：内部错误（{type(exc).__name__}）"
                    )
                )
            else:
                outcome = summarise(row, result)
                outcome.file_path = str(path)
                outcomes.append(outcome)
                cross.add(outcome, doc, _corpus_spans(result))
                if on_result is not None:
                    on_result(outcome, result)
            _tick(progress, i, total, "检测论文")
        flags = cross.run(
            outcomes, lambda done: _tick(progress, total, total, f"交叉比对（{done}/{total} 篇）")
        )
    apply_cross_review(outcomes, flags, settings.cross_review_ratio, _cross_citation(policy_id, settings))
    _tick(progress, total, total, "完成")
    return BatchResult(outcomes, manifest_errors, flags, unlisted_files(folder, files, listed))


# Files an archiver or desktop adds on its own: never a paper someone forgot to list.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\._)|(^|/)(\.DS_Store|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)


def unlisted_files(folder: Path, files: dict[str, list[Path]], listed: set[Path]) -> list[str]:
    """Relative paths of the papers in the zip that no manifest row names (a clerk forgot a row, or a
    file name was mistyped): reported, never silently skipped."""
    out = set()
    for key, paths in files.items():
        if key.startswith("name:"):
            continue
        for path in paths:
            rel = path.relative_to(folder).as_posix()
            if path.resolve() not in listed and not _JUNK.search(rel):
                out.add(rel)
    return sorted(out)


def _cross_citation(policy_id: str | None, settings: Settings) -> str:
    """The rule a cross-applicant finding cites: the policy's ``cross_applicant_overlap`` (else default)."""
    from integrity.errors import PolicyError
    from integrity.policy import load_policy

    try:
        return load_policy(policy_id, settings).cite("cross_applicant_overlap")
    except PolicyError:
        return ""


def summarise(row: ManifestRow, result: dict[str, Any]) -> PaperOutcome:
    """Reduce a full check result to the figures of one summary row."""
    sim = result.get("similarity") or {}
    verdict = result.get("verdict")
    if not verdict:
        status = "checked"
    elif verdict.get("status") == "review":
        status = "review"
    elif not verdict.get("accepted"):
        status = "rejected"
    elif any(f.get("severity") in ("reject", "warning") for f in verdict.get("findings") or []):
        status = "review"
    else:
        status = "accepted"
    return PaperOutcome(
        row=row,
        status=status,
        sha256=(result.get("paper") or {}).get("sha256"),
        total_copy_ratio=sim.get("total_copy_ratio"),
        copy_ratio_excluding_references=sim.get("copy_ratio_excluding_references"),
        copy_ratio_excluding_self=sim.get("copy_ratio_excluding_self"),
        max_single_source_ratio=sim.get("max_single_source_ratio"),
        copied_chars=sim.get("copied_chars"),
        total_chars=sim.get("total_chars"),
        top_sources=[
            {
                "doc_id": s.get("doc_id"),
                "title": s.get("title") or s.get("doc_id"),
                "ratio": float(s.get("ratio") or 0.0),
                "is_self": bool(s.get("is_self")),
            }
            for s in (sim.get("sources") or [])[:5]
        ],
        recognised_level=(verdict or {}).get("recognised_level"),
        verdict_summary=(verdict or {}).get("summary"),
        findings=[
            {k: f.get(k) for k in ("code", "severity", "message", "citation")}
            for f in (verdict or {}).get("findings") or []
        ],
    )


def _options(row: ManifestRow, policy_id: str | None) -> CheckOptions:
    level = row.claimed_level if row.claimed_level in ("core", "provincial") else None
    return CheckOptions(
        self_authors=[row.applicant],
        claims=PaperClaims(
            applicant=row.applicant,
            claimed_level=level,  # type: ignore[arg-type]
            journal=row.journal or None,
            issn=row.issn or None,
            cn=row.cn or None,
            year=row.year,
            issue=row.issue or None,
            published_on=row.published_on,
        ),
        policy_id=policy_id,
    )


def _tick(progress: Progress | None, done: int, total: int, stage: str) -> None:
    if progress is not None:
        progress(done, total, stage)


def _index_files(folder: Path) -> dict[str, list[Path]]:
    """Files under ``folder`` by case-folded relative path and by case-folded base name."""
    index: dict[str, list[Path]] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(folder).as_posix().casefold()
            index.setdefault(rel, []).append(path)
            index.setdefault("name:" + path.name.casefold(), []).append(path)
    return index


def _locate(folder: Path, files: dict[str, list[Path]], file_name: str) -> Path | None:
    """The row's file: exact relative path, else a unique match by base name (zips with a top folder)."""
    exact = files.get(file_name.casefold())
    if exact:
        path = exact[0]
    else:
        by_name = files.get("name:" + Path(file_name).name.casefold(), [])
        if len(by_name) != 1:
            return None
        path = by_name[0]
    resolved = path.resolve()
    return resolved if resolved.is_relative_to(folder) else None


def _corpus_spans(result: dict[str, Any]) -> list[tuple[int, int]]:
    """Merged spans of the paper copied from the reference corpus (own papers excluded)."""
    spans = sorted(
        (int(p["start"]), int(p["end"]))
        for s in (result.get("similarity") or {}).get("sources") or []
        if not s.get("is_self")
        for p in s.get("passages") or []
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
