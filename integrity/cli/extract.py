"""``integrity extract PAPER [--format json|text]`` — what ingest reads from a paper, before any matching.

Reviewers use it to see why a paper scored as it did (text layer, OCR, reading order, metadata and where
each field came from). An unreadable text layer is printed as ``"text_layer": "unreadable"`` with the
error, and the command exits non-zero: never a silent empty text.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("extract")(extract)


def extract(
    paper: Path = typer.Argument(..., help="论文文件（TXT、PDF、DOCX；类型按内容识别）"),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="json 或 text"),
    include_text: bool = typer.Option(True, "--text/--no-text", help="JSON 中是否包含全文"),
) -> None:
    """提取论文全文与元数据（标题、作者、期刊、ISSN/CN、年期、增刊标记、参考文献位置）。"""
    from integrity.errors import UnreadableText
    from integrity.ingest import extract as do_extract

    try:
        doc = do_extract(paper)
    except UnreadableText as exc:
        if output_format is OutputFormat.json:
            typer.echo(
                json.dumps(
                    {"file_name": paper.name, "text_layer": "unreadable", "error": exc.to_dict()},
                    ensure_ascii=False,
                )
            )
            print(f"错误[{exc.code}]: {exc.message}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        raise
    if output_format is OutputFormat.json:
        out = {"file_name": paper.name, **doc.to_dict()}
        if include_text:
            out["text"] = doc.text
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(_render_text(paper, doc))


def _render_text(paper: Path, doc: object) -> str:
    from integrity.models import ExtractedDocument

    assert isinstance(doc, ExtractedDocument)
    layer = {"ok": "正常", "ocr": "OCR 识别", "unreadable": "无法识别"}[doc.text_layer]
    lines = [
        f"文件：{paper.name}",
        f"类型：{doc.file_type}　引擎：{doc.engine or '-'}",
        f"页数：{doc.pages or '-'}　字符数：{len(doc.text)}",
        f"文字层：{layer}"
        + (f"（置信度 {doc.ocr_confidence:.0f}）" if doc.ocr_confidence is not None else ""),
    ]
    labels = {
        "title": "标题",
        "authors": "作者",
        "affiliations": "单位",
        "journal": "期刊",
        "issn": "ISSN",
        "cn": "CN",
        "year": "年份",
        "volume": "卷",
        "issue": "期",
        "pages": "页码",
        "article_number": "文章编号",
        "doi": "DOI",
        "supplement": "增刊/专刊标记",
        "keywords": "关键词",
        "abstract": "摘要",
    }
    for name, label in labels.items():
        field = getattr(doc.metadata, name)
        if field is None:
            continue
        value = "；".join(map(str, field.value)) if isinstance(field.value, list) else str(field.value)
        if len(value) > 80:
            value = value[:80] + "…"
        lines.append(f"{label}：{value}　〔来源 {field.source}〕")
    if doc.references_span:
        s, e = doc.references_span
        lines.append(f"参考文献：第 {s}–{e} 字符（{e - s} 字）")
    for w in doc.warnings:
        lines.append(f"提示：{w}")
    lines.append("")
    lines.append(doc.text[:500] + ("…" if len(doc.text) > 500 else ""))
    return "\n".join(lines)
