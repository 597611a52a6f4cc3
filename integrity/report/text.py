"""Plain-text (terminal) rendering of a check result, in Chinese."""

from __future__ import annotations

from typing import Any


def render_text(result: dict[str, Any]) -> str:
    """A short readable summary: the four ratios, then the sources (most copied first)."""
    sim = result["similarity"]
    lines = [
        f"论文：{result['paper'].get('file_name', '')}",
        f"总文字复制比：{sim['total_copy_ratio']:.1%}（复制 {sim['copied_chars']} 字 / 共 {sim['total_chars']} 字）",
        f"去除引用文献复制比：{sim['copy_ratio_excluding_references']:.1%}",
        f"去除本人文献复制比：{sim['copy_ratio_excluding_self']:.1%}",
        f"单篇最大文字复制比：{sim['max_single_source_ratio']:.1%}",
    ]
    if sim["sources"]:
        lines.append("相似来源：")
        for i, src in enumerate(sim["sources"], 1):
            own = "（本人文献）" if src.get("is_self") else ""
            lines.append(
                f"  {i}. {src['title'] or src['doc_id']} [{src['doc_id']}] {src['ratio']:.1%}"
                f"，{len(src['passages'])} 处{own}"
            )
    else:
        lines.append("未发现相似来源。")
    verdict = result.get("verdict")
    if verdict:
        lines.append(f"判定：{verdict.get('summary', '')}")
        for f in verdict.get("findings", []):
            lines.append(f"  - [{f['severity']}] {f['message']}（依据：{f['citation']}）")
    return "\n".join(lines)
