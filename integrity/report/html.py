"""HTML report in Chinese, laid out like the CNKI 文本复制检测报告单 reviewers already know.

``render_html(result, text=...)`` takes the check result (``integrity.check.check_paper``) and, when
available, the extracted paper text: with the text the full paper is shown with copied passages
highlighted; without it only the passages carried in the result are shown side by side with their
sources. The same HTML is turned into PDF by ``integrity.report.pdf``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jinja2

from integrity.match.wording import classify_wording
from integrity.report import verify
from integrity.settings import Settings, get_settings

# Top-level headings only (sub-sections such as "1.1" stay inside their chapter).
_SP = r"[ \t\u3000]*"
_HEADING = re.compile(
    r"^[ \t\u3000]*(?:第[一二三四五六七八九十百\d]+[章节部分]|[一二三四五六七八九十]+[、.．]"
    r"|\d{1,2}(?:[、.．](?!\d)|[ \t\u3000]+)"
    + "".join(f"|{a}{_SP}{b}" for a, b in ("摘要", "引言", "前言", "结论", "结语", "致谢"))
    + r"|参考文献|abstract\b|references\b)",
    re.IGNORECASE,
)
_MAX_HEADING_LEN = 40


@dataclass
class Segment:
    """A run of paper text; ``kind`` is ``None`` (not copied), ``copy``, ``self`` or ``ref``."""

    text: str
    kind: str | None = None
    sources: list[int] = field(default_factory=list)  # 1-based source numbers in the source table


@dataclass
class ReportContext:
    """Everything the template needs, computed once (and reused by tests)."""

    result: dict[str, Any]
    paper: dict[str, Any]
    sim: dict[str, Any]
    sources: list[dict[str, Any]]
    sections: list[dict[str, Any]]
    segments: list[Segment] | None
    comparisons: list[dict[str, Any]]
    verdict: dict[str, Any] | None
    journal_rows: list[tuple[str, str]]
    code: str
    code_display: str
    verify_url: str
    qr_data_uri: str
    digest: str
    issued_at: str
    corpus: dict[str, Any]
    offline: bool = False  # not registered with a verify service: no QR code, says so on its face
    extra: dict[str, Any] = field(default_factory=dict)


def build_context(
    result: dict[str, Any],
    text: str | None = None,
    *,
    code: str | None = None,
    settings: Settings | None = None,
    issued_at: datetime | None = None,
    base_url: str | None = None,
    offline: bool = False,
) -> ReportContext:
    """Compute the figures, highlighted segments and verification data of one report.

    ``offline``: a report not registered with the verify service (``integrity report`` without
    ``--register``): an offline code, no QR code or URL, and a notice that it cannot be verified online.
    """
    settings = settings or get_settings()
    if offline:
        code = verify.offline_code(result, verify.signing_key(settings, offline=True))
    elif code is None:
        code = verify.verification_code(result, verify.signing_key(settings))
    url = "" if offline else verify.verify_url(code, base_url or settings.report_base_url)
    sim = result.get("similarity") or {}
    paper_in = result.get("paper") or {}
    ref_span = _span(paper_in.get("references_span"))
    sources = _sources(sim.get("sources") or [])
    if text is not None and not text.strip():
        text = None
    intervals = _intervals(sources, ref_span, len(text) if text is not None else None)
    segments = _segments(text, intervals) if text is not None else None
    sections = _sections(sim, text, intervals)
    return ReportContext(
        result=result,
        paper=_paper(paper_in),
        sim=sim,
        sources=sources,
        sections=sections,
        segments=segments,
        comparisons=_comparisons(sources, text, ref_span),
        verdict=result.get("verdict"),
        journal_rows=_journal_rows(result.get("journal")),
        code=code,
        code_display=verify.format_code(code),
        verify_url=url,
        qr_data_uri="" if offline else verify.qr_png_data_uri(url),
        digest=verify.result_digest(result),
        issued_at=display_time(issued_at or datetime.now(UTC), settings),
        corpus=result.get("corpus") or {},
        offline=offline,
    )


def display_time(when: datetime, settings: Settings) -> str:
    """A time as reviewers read it: in ``settings.timezone`` (default Asia/Shanghai), zone named."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(settings.display_zone)
    name = (
        "北京时间" if settings.timezone in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else settings.timezone
    )
    return f"{local.strftime('%Y-%m-%d %H:%M:%S')}（{name}）"


def render_html(
    result: dict[str, Any],
    text: str | None = None,
    *,
    code: str | None = None,
    settings: Settings | None = None,
    issued_at: datetime | None = None,
    base_url: str | None = None,
    offline: bool = False,
) -> str:
    """The complete, self-contained HTML report (inline CSS and QR image, no external requests)."""
    ctx = build_context(
        result, text, code=code, settings=settings, issued_at=issued_at, base_url=base_url, offline=offline
    )
    return render_context(ctx)


def render_context(ctx: ReportContext) -> str:
    env = _env()
    css = env.loader.get_source(env, "report.css")[0] if env.loader else ""
    return env.get_template("report.html").render(c=ctx, css=css)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("integrity.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    return env


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"


def _span(value: Any) -> tuple[int, int] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def _meta_value(meta: dict[str, Any], name: str) -> Any:
    f = meta.get(name)
    if isinstance(f, dict):
        return f.get("value")
    return f


def _paper(paper: dict[str, Any]) -> dict[str, Any]:
    meta = paper.get("metadata") or {}
    out: dict[str, Any] = {"file_name": paper.get("file_name") or "", "sha256": paper.get("sha256") or ""}
    for name in ("title", "authors", "affiliations", "journal", "issn", "cn", "year", "volume", "issue"):
        value = _meta_value(meta, name)
        if isinstance(value, list):
            value = "；".join(str(v) for v in value)
        out[name] = "" if value is None else str(value)
    supplement = _meta_value(meta, "supplement")
    out["supplement"] = "" if supplement is None else str(supplement)
    out["title"] = out["title"] or out["file_name"]
    out["text_layer"] = {"ok": "文字层", "ocr": "OCR 识别", "unreadable": "不可读"}.get(
        str(paper.get("text_layer")), str(paper.get("text_layer") or "")
    )
    out["ocr_confidence"] = paper.get("ocr_confidence")
    out["pages"] = paper.get("pages")
    out["warnings"] = list(paper.get("warnings") or [])
    return out


def _sources(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(raw, 1):
        authors = s.get("authors") or []
        out.append(
            {
                "no": i,
                "doc_id": str(s.get("doc_id", "")),
                "title": s.get("title") or str(s.get("doc_id", "")),
                "authors": "；".join(authors) if isinstance(authors, list) else str(authors),
                "year": s.get("year") or "",
                "ratio": float(s.get("ratio") or 0.0),
                "copied_chars": int(s.get("copied_chars") or 0),
                "passages": list(s.get("passages") or []),
                "is_self": bool(s.get("is_self")),
                "journal": s.get("journal") or "",  # when the corpus record carries it
                "corpus": s.get("corpus") or "",
            }
        )
    return out


def _intervals(
    sources: list[dict[str, Any]], ref_span: tuple[int, int] | None, limit: int | None
) -> list[tuple[int, int, str, int]]:
    """(start, end, kind, source_no) of every passage, clamped to the text."""
    out = []
    for s in sources:
        for p in s["passages"]:
            start, end = int(p.get("start", 0)), int(p.get("end", 0))
            if limit is not None:
                start, end = max(0, min(start, limit)), max(0, min(end, limit))
            if end <= start:
                continue
            if s["is_self"]:
                kind = "self"
            elif ref_span and start >= ref_span[0] and end <= ref_span[1]:
                kind = "ref"
            else:
                kind = "copy"
            out.append((start, end, kind, s["no"]))
    return out


_KIND_RANK = {"copy": 3, "ref": 2, "self": 1}


def _segments(text: str, intervals: list[tuple[int, int, str, int]]) -> list[Segment]:
    """Split ``text`` at every passage boundary; overlapping passages show all their sources."""
    cuts = {0, len(text)}
    for start, end, _, _ in intervals:
        cuts.update((start, end))
    points = sorted(cuts)
    segments: list[Segment] = []
    for a, b in itertools.pairwise(points):
        covering = [iv for iv in intervals if iv[0] <= a and iv[1] >= b]
        if covering:
            kind = max((iv[2] for iv in covering), key=_KIND_RANK.__getitem__)
            nos = sorted({iv[3] for iv in covering})
        else:
            kind, nos = None, []
        if segments and segments[-1].kind == kind and segments[-1].sources == nos:
            segments[-1].text += text[a:b]
        else:
            segments.append(Segment(text[a:b], kind, nos))
    return segments


def _visible(s: str) -> int:
    return sum(1 for ch in s if not ch.isspace())


def _sections(
    sim: dict[str, Any], text: str | None, intervals: list[tuple[int, int, str, int]]
) -> list[dict[str, Any]]:
    """Per-section ratios: the engine's when it gives them, else derived from headings in the text."""
    given = sim.get("sections") or []
    if given:
        out = []
        for i, s in enumerate(given, 1):
            out.append(
                {
                    "name": s.get("title") or s.get("name") or f"第 {i} 部分",
                    "ratio": float(s.get("ratio") or s.get("copy_ratio") or 0.0),
                    "copied_chars": int(s.get("copied_chars") or 0),
                    "total_chars": int(s.get("total_chars") or s.get("chars") or 0),
                }
            )
        return out
    if text is None:
        return []
    bounds: list[tuple[int, str]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and len(stripped) <= _MAX_HEADING_LEN and _HEADING.match(line):
            bounds.append((pos, stripped))
        pos += len(line)
    if not bounds or bounds[0][0] > 0:
        bounds.insert(0, (0, "前置部分" if bounds else "全文"))
    covered = _covered_mask(len(text), intervals)
    out = []
    for i, (start, name) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        chunk = text[start:end]
        total = _visible(chunk)
        if total == 0:
            continue
        copied = sum(1 for k, ch in enumerate(chunk) if covered[start + k] and not ch.isspace())
        out.append({"name": name, "ratio": copied / total, "copied_chars": copied, "total_chars": total})
    return out


def _covered_mask(n: int, intervals: list[tuple[int, int, str, int]]) -> bytearray:
    mask = bytearray(n)
    for start, end, kind, _ in intervals:
        if kind != "self":
            mask[start:end] = b"\x01" * (end - start)
    return mask


def _comparisons(
    sources: list[dict[str, Any]], text: str | None, ref_span: tuple[int, int] | None
) -> list[dict[str, Any]]:
    """Per source, each passage of the paper beside the matching source text."""
    out = []
    for s in sources:
        rows = []
        for p in sorted(s["passages"], key=lambda p: int(p.get("start", 0))):
            start, end = int(p.get("start", 0)), int(p.get("end", 0))
            own = text[start:end] if text is not None and 0 <= start < end <= len(text) else p.get("text", "")
            wording = classify_wording(own, p["source_text"]) if own and p.get("source_text") else None
            rows.append(
                {
                    "start": start,
                    "end": end,
                    "source_start": p.get("source_start"),
                    "source_end": p.get("source_end"),
                    "text": own or "（结果未包含片段文字）",
                    "source_text": p.get("source_text") or "（结果未包含来源文字）",
                    "in_references": bool(ref_span and start >= ref_span[0] and end <= ref_span[1]),
                    "wording": wording,
                }
            )
        out.append({**s, "rows": rows})
    return out


_JOURNAL_LABELS = {
    "name": "期刊名称",
    "title": "期刊名称",
    "matched_name": "核验期刊",
    "issn": "ISSN",
    "cn": "CN",
    "level": "认定级别",
    "recognised_level": "认定级别",
    "status": "状态",
    "core_lists": "核心目录",
    "editions": "收录版本",
    "publisher": "主办单位",
    "sponsor": "主办单位",
    "warnings": "提示",
}


_LEVEL_NAMES = {"core": "核心期刊", "provincial": "省级期刊", "none": "不予认定"}


def _journal_rows(journal: Any) -> list[tuple[str, str]]:
    """The journal check as label/value rows: the catalogue match and level (``integrity.catalogue``
    shape), falling back to the scalar fields of any other shape (unknown keys shown raw)."""
    if not isinstance(journal, dict):
        return []
    if "identified" in journal or "match" in journal:
        return _catalogue_rows(journal)
    rows: list[tuple[str, str]] = []
    for key, value in journal.items():
        if value is None or value == "" or value == [] or isinstance(value, dict):
            continue
        if isinstance(value, list):
            if any(isinstance(v, (dict, list)) for v in value):
                continue
            value = "；".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "是" if value else "否"
        elif key in ("level", "recognised_level"):
            value = _LEVEL_NAMES.get(str(value), value)
        rows.append((_JOURNAL_LABELS.get(str(key), str(key)), str(value)))
    return rows


_MATCHED_BY = {
    "name": "刊名",
    "issn": "ISSN",
    "cn": "CN",
    "former_name": "曾用刊名",
    "alias": "刊名别称",
    "name_without_qualifier": "刊名（不含版别）",
    "fuzzy_name": "相近刊名",
}
_STATUS = {"active": "正常出版", "ceased": "已停刊", "merged": "已合并"}


def _catalogue_rows(journal: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    match: dict[str, Any] = journal["match"] if isinstance(journal.get("match"), dict) else {}
    found: dict[str, Any] | None = match["journal"] if isinstance(match.get("journal"), dict) else None
    if journal.get("identified") and found:
        by = _MATCHED_BY.get(str(match.get("matched_by")), str(match.get("matched_by") or ""))
        rows.append(("目录核验", f"已在期刊目录中找到（按{by}匹配）" if by else "已在期刊目录中找到"))
        rows.append(("期刊名称", str(found.get("name") or "—")))
        rows.append(("ISSN / CN", f"{found.get('issn') or '—'} / {found.get('cn') or '—'}"))
        status = found.get("status")
        if status:
            ceased = f"（{found.get('ceased_year')} 年）" if found.get("ceased_year") else ""
            rows.append(("出版状态", _STATUS.get(str(status), str(status)) + ceased))
        if found.get("sponsor"):
            rows.append(("主办单位", str(found["sponsor"])))
    else:
        rows.append(("目录核验", "未在期刊目录中找到：请核实刊名、ISSN、CN（疑似假刊或名称有误）"))
    level: dict[str, Any] = journal["level"] if isinstance(journal.get("level"), dict) else {}
    if level.get("level"):
        rows.append(("期刊级别", _LEVEL_NAMES.get(str(level["level"]), str(level["level"]))))
    if level.get("core_basis"):
        rows.append(("核心依据", "；".join(str(b) for b in level["core_basis"])))
    if level.get("provincial_evidence"):
        rows.append(("省级依据", str(level["provincial_evidence"])))
    for reason in level.get("reasons") or []:
        rows.append(("判定理由", str(reason)))
    if journal.get("catalogue_version"):
        rows.append(("目录版本", str(journal["catalogue_version"])))
    return rows
