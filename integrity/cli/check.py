"""``integrity check PAPER --corpus DIR [--format json|text]`` — the contract other tools rely on."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


class Level(StrEnum):
    core = "core"
    provincial = "provincial"


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    paper: Path = typer.Argument(..., help="论文文件（TXT、PDF、DOCX）"),
    corpus: list[Path] = typer.Option(..., "--corpus", help="比对库目录（可重复：多个比对库一并检索）"),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="json 或 text"),
    exclude_doc: list[str] = typer.Option([], "--exclude-doc", help="本人文献的比对库 ID（可重复）"),
    author: list[str] = typer.Option([], "--author", help="本人姓名：作者含此名的来源计为本人文献"),
    policy: str | None = typer.Option(None, "--policy", help="政策 ID，默认见 INTEGRITY_DEFAULT_POLICY"),
    claimed_level: Level | None = typer.Option(None, "--claimed-level", help="申报级别 core|provincial"),
    applicant: str | None = typer.Option(None, "--applicant", help="申报人姓名（核对是否为作者）"),
    journal: str | None = typer.Option(None, "--journal", help="期刊名称（覆盖从论文提取的值）"),
    issn: str | None = typer.Option(None, "--issn"),
    cn: str | None = typer.Option(None, "--cn"),
    year: int | None = typer.Option(None, "--year", help="发表年份"),
    issue: str | None = typer.Option(None, "--issue", help="期次（如 2021年第3期、增刊1）"),
    published_on: str | None = typer.Option(None, "--published-on", help="发表日期 YYYY-MM-DD"),
    title_grade: str | None = typer.Option(None, "--title-grade", help="申报职称等级：正高/副高/中级"),
    no_verdict: bool = typer.Option(False, "--no-verdict", help="只计算复制比，不做期刊与政策判定"),
) -> None:
    """检测一篇论文：文字复制比、来源与片段，以及期刊与政策判定。"""
    from integrity.check import check_paper
    from integrity.models import CheckOptions, PaperClaims
    from integrity.report.text import render_text

    options = CheckOptions(
        exclude_doc_ids=list(exclude_doc),
        self_authors=list(author),
        claims=PaperClaims(
            applicant=applicant,
            claimed_level=claimed_level.value if claimed_level else None,
            journal=journal,
            issn=issn,
            cn=cn,
            year=year,
            issue=issue,
            published_on=published_on,
            title_grade=title_grade,
        ),
        policy_id=policy,
        verdict=not no_verdict,
    )
    result = check_paper(paper, corpus, options)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(render_text(result))
