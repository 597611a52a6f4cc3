"""Plain-text (terminal) rendering of a check result, in Chinese.

Laid out like the CNKI summary reviewers know: the four ratios first, then each source with its
passages (where in the paper, where in the source, a short excerpt), per-section ratios, the verdict.
"""

from __future__ import annotations

from typing import Any

MAX_SOURCES = 10
MAX_PASSAGES = 3
EXCERPT = 36


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT] + "…"


def render_text(result: dict[str, Any]) -> str:
    """A short readable summary: the four ratios, then the sources (most copied first)."""
    sim = result["similarity"]
    corpus = result.get("corpus") or {}
    lines = [
        f"论文：{result['paper'].get('file_name', '')}",
        f"比对库：{corpus.get('documents', '?')} 篇文献",
        f"总文字复制比：{sim['total_copy_ratio']:.1%}"
        f"（复制 {sim['copied_chars']} 字 / 共 {sim['total_chars']} 字）",
        f"去除引用文献复制比：{sim['copy_ratio_excluding_references']:.1%}",
        f"去除本人文献复制比：{sim['copy_ratio_excluding_self']:.1%}",
        f"单篇最大文字复制比：{sim['max_single_source_ratio']:.1%}",
    ]
    if "paragraphs_total" in sim:
        lines.append(
            f"总段落数：{sim['paragraphs_total']}　疑似段落数：{sim['paragraphs_suspect']}　"
            f"前部重合字数：{sim['front_overlap_chars']}　后部重合字数：{sim['rear_overlap_chars']}　"
            f"引用字数：{sim['quoted_chars']}　参考文献字数：{sim['references_chars']}（不计入复制）"
        )
    sources = sim["sources"]
    if sources:
        lines.append(f"相似来源（{len(sources)} 篇）：")
        for i, src in enumerate(sources[:MAX_SOURCES], 1):
            own = "（本人文献，已在去除本人文献复制比中排除）" if src.get("is_self") else ""
            authors = "、".join(src.get("authors") or [])
            meta = "；".join(x for x in (authors, str(src.get("year") or "")) if x)
            lines.append(
                f"  {i}. {src['title'] or src['doc_id']} [{src['doc_id']}]"
                f"{'（' + meta + '）' if meta else ''} 复制比 {src['ratio']:.1%}"
                f"，{src['copied_chars']} 字，{len(src['passages'])} 处{own}"
            )
            for p in src["passages"][:MAX_PASSAGES]:
                where = f"     - 论文第 {p['start']}–{p['end']} 字 ↔ "
                where += f"来源第 {p['source_start']}–{p['source_end']} 字"
                excerpt = p.get("text") or ""
                lines.append(where + (f"：“{_excerpt(excerpt)}”" if excerpt else ""))
            if len(src["passages"]) > MAX_PASSAGES:
                lines.append(f"     - 另有 {len(src['passages']) - MAX_PASSAGES} 处")
        if len(sources) > MAX_SOURCES:
            lines.append(f"  另有 {len(sources) - MAX_SOURCES} 篇来源，见 JSON 报告")
    else:
        lines.append("未发现相似来源。")
    sections = [s for s in sim.get("sections") or [] if s.get("chars")]
    if len(sections) > 1:
        lines.append("分段复制比：")
        for s in sections:
            lines.append(f"  {s['name'][:20]}：{s['ratio']:.1%}（{s['copied_chars']}/{s['chars']} 字）")
    verdict = result.get("verdict")
    if verdict:
        lines.append(f"判定：{verdict.get('summary', '')}")
        severity = {"reject": "否决", "warning": "需核实", "info": "提示"}
        for f in verdict.get("findings", []):
            label = severity.get(f["severity"], f["severity"])
            lines.append(f"  - [{label}] {f['message']}（依据：{f['citation']}）")
    return "\n".join(lines)
