"""``integrity report CHECK_JSON --format html|pdf`` and ``integrity batch DIR --manifest M --corpus C``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from integrity.errors import InputError


def _formats() -> str:
    from integrity.report.registry import formats

    return "、".join(formats())


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``batch`` to the root app."""
    app.command("report")(report)
    app.command("batch")(batch)


def report(
    check_json: Path = typer.Argument(..., help="integrity check --format json 的输出文件（- 表示标准输入）"),
    output_format: str = typer.Option("html", "--format", help=f"报告格式：{_formats()}"),
    output: Path | None = typer.Option(None, "-o", "--output", help="输出文件；默认与 JSON 同名"),
    paper: Path | None = typer.Option(None, "--paper", help="原论文文件：附全文并标注重复片段"),
    register: bool = typer.Option(
        False, "--register", help="登记到本机服务数据库，使验证码可在线核验（/verify/验证码）"
    ),
) -> None:
    """生成检测报告单（HTML、PDF 等，含验证码与二维码；格式见 integrity/report/registry.py）。"""
    from integrity.report import render_report
    from integrity.report.registry import get

    renderer = get(output_format)  # an unknown format: one clear error before any work
    result = load_result(check_json)
    text = paper_text(paper, result) if paper is not None else None
    code = None
    if register:
        from integrity.cli.plugins import report_registrar
        from integrity.settings import get_settings

        registrar = report_registrar()
        if registrar is None:
            raise InputError(
                "未安装服务组件（service），无法登记验证码：请去掉 --register 或安装完整的 integrity 包",
                code="service_not_installed",
            )
        code = registrar(result, get_settings(), renderer.fmt)
    data = render_report(result, text, fmt=renderer.fmt, code=code, offline=not register)
    if output is None:
        if str(check_json) == "-":
            if renderer.download:
                raise InputError(
                    f"从标准输入读取时 {renderer.fmt.upper()} 报告需要用 -o 指定输出文件",
                    code="output_required",
                )
            sys.stdout.write(data.decode("utf-8"))
            return
        output = check_json.with_suffix("." + renderer.fmt)
    output.write_bytes(data)
    typer.echo(f"报告已写入：{output}")
    if register:
        typer.echo("验证码已登记到本机服务数据库，可在线核验")
    elif renderer.verifiable:
        typer.echo("离线报告：未登记到核验服务，不能在线核验（需要在线核验请加 --register）")


def load_result(path: Path) -> dict[str, Any]:
    """Read and sanity-check a check result JSON (clear error instead of a KeyError later)."""
    try:
        raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"检测结果文件不存在：{path}", code="file_not_found") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"检测结果文件不是 UTF-8 文本：{path}", code="bad_check_json") from exc
    try:
        result = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"检测结果不是有效的 JSON（第 {exc.lineno} 行）：请使用 integrity check --format json 的输出",
            code="bad_check_json",
        ) from exc
    if not isinstance(result, dict) or not isinstance(result.get("similarity"), dict):
        raise InputError(
            "检测结果缺少 similarity 字段：请使用 integrity check --format json 的输出", code="bad_check_json"
        )
    return result


def paper_text(paper: Path, result: dict[str, Any]) -> str:
    """Re-extract the paper; refuse a different file (its offsets would highlight the wrong text)."""
    from integrity.check import _sha256
    from integrity.ingest import extract

    expected = (result.get("paper") or {}).get("sha256")
    if expected and paper.is_file() and _sha256(paper) != expected:
        raise InputError(f"--paper 文件与检测结果不一致（SHA-256 不同）：{paper.name}", code="paper_mismatch")
    return extract(paper).text


def batch(
    folder: Path = typer.Argument(..., help="论文文件所在目录（或 zip 文件）"),
    manifest: Path = typer.Option(..., "--manifest", help="清单 CSV 或 XLSX"),
    corpus: Path = typer.Option(..., "--corpus", help="比对库目录"),
    output: Path = typer.Option(Path("summary.xlsx"), "-o", "--output", help="汇总表 XLSX"),
    policy: str | None = typer.Option(None, "--policy", help="政策 ID"),
) -> None:
    """批量筛查：按清单逐篇检测，输出汇总表（含按申报人汇总与跨申报人交叉比对）。"""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from integrity.batch import run_batch_path, write_summary_xlsx

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("检测中", total=None)

        def on_progress(done: int, total: int, stage: str) -> None:
            progress.update(task, completed=done, total=total, description=stage)

        result = run_batch_path(folder, manifest, corpus, policy_id=policy, progress=on_progress)
    write_summary_xlsx(result, output)
    counts = result.counts()
    console.print(
        f"共 {counts['rows']} 行：通过 {counts['accepted']}，不予认定 {counts['rejected']}，"
        f"需核实 {counts['review']}，出错 {counts['errors']}；交叉比对标记 {len(result.cross_flags)} 条"
    )
    if result.unlisted_files:
        console.print(
            f"[yellow]压缩包/目录中有 {len(result.unlisted_files)} 个文件不在清单中，未检测："
            + "、".join(result.unlisted_files[:20])
            + ("…" if len(result.unlisted_files) > 20 else "")
        )
    typer.echo(f"汇总表已写入：{output}")
