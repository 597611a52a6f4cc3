"""``integrity corpus add|import|list|remove|stats``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)

CORPUS_OPT = typer.Option(..., "--corpus", help="比对库目录")
NAMESPACE_OPT = typer.Option("default", "--namespace", help="命名空间（租户 ID，Redis 索引键前缀）")


@app.command("add")
def add(
    paths: list[Path] = typer.Argument(..., help="TXT、PDF、DOCX 文件、目录或 JSONL（id、title、text）"),
    corpus: Path = CORPUS_OPT,
    namespace: str = NAMESPACE_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
) -> None:
    """导入文献到比对库（同 ID 覆盖）；任何一条出错则整批不导入。"""
    from rich.console import Console

    from integrity.corpus.loaders import count_records, expand_paths
    from integrity.corpus.store import DB_NAME
    from integrity.settings import get_settings

    settings = get_settings()
    files = expand_paths(paths)
    total = count_records(files)
    err = Console(stderr=True)
    existed = (corpus / DB_NAME).exists()
    try:
        n, size = _add(corpus, settings, namespace, files, total, err, quiet)
    except BaseException:
        if not existed:  # a failed first import leaves no half-created corpus behind
            for f in corpus.glob(DB_NAME + "*"):
                f.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                corpus.rmdir()
        raise
    typer.echo(f"已导入 {n} 篇文献；比对库现有 {size} 篇（{corpus}）")


def _add(
    corpus: Path, settings: Any, namespace: str, files: list[Path], total: int, err: Any, quiet: bool
) -> tuple[int, int]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from integrity.corpus import Corpus
    from integrity.corpus.loaders import iter_records

    with Corpus.open(corpus, settings, create=True, namespace=namespace) as c:
        with Progress(
            TextColumn("导入比对库"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=quiet,
            transient=True,
        ) as progress:
            task = progress.add_task("add", total=total)
            n = c.add(iter_records(files, settings), progress=lambda k: progress.advance(task, k))
        return n, len(c)


@app.command("import")
def import_(
    source: Path = typer.Argument(..., help="JSONL 文件（每行 id、title、text，可选 authors、year）"),
    corpus: Path = CORPUS_OPT,
    namespace: str = NAMESPACE_OPT,
    batch: int = typer.Option(500, "--batch", min=1, max=100_000, help="每批篇数（每批一个事务）"),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="断点文件（默认在比对库目录内）"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度条"),
) -> None:
    """批量导入大型比对库：分批提交，中断后重新运行同一命令即从断点继续（同 ID 覆盖）。"""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from integrity.corpus import Corpus
    from integrity.corpus.imports import count_lines, default_checkpoint, import_jsonl, load_checkpoint
    from integrity.errors import CorpusError
    from integrity.settings import get_settings

    if not source.is_file():
        raise CorpusError(f"导入文件不存在：{source}", code="bad_record")
    settings = get_settings()
    cp_path = checkpoint or default_checkpoint(corpus, source)
    err = Console(stderr=True)
    with Corpus.open(corpus, settings, create=True, namespace=namespace) as c:
        cp = load_checkpoint(cp_path, source)
        if cp.offset and not quiet:
            err.print(f"从断点继续：已导入 {cp.records} 篇（{cp.batches} 批）")
        total = count_lines(source, cp.offset)
        with Progress(
            TextColumn("批量导入"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=quiet,
            transient=True,
        ) as progress:
            task = progress.add_task("import", total=total)
            done = import_jsonl(c, source, cp_path, batch=batch, progress=lambda k: progress.advance(task, k))
        size = len(c)
    typer.echo(f"已导入 {done.records} 篇文献（{done.batches} 批）；比对库现有 {size} 篇（{corpus}）")


@app.command("list")
def list_(
    corpus: Path = CORPUS_OPT,
    namespace: str = NAMESPACE_OPT,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出比对库中的文献。"""
    from integrity.corpus import Corpus

    with Corpus.open(corpus, namespace=namespace) as c:
        docs = c.list()
    if as_json:
        typer.echo(json.dumps(docs, ensure_ascii=False))
        return
    for d in docs:
        authors = "、".join(d["authors"])
        year = d["year"] or ""
        typer.echo(f"{d['id']}\t{d['title']}\t{d['chars']} 字\t{authors}\t{year}")
    typer.echo(f"共 {len(docs)} 篇")


@app.command("remove")
def remove(
    ids: list[str] = typer.Argument(..., help="要删除的文献 ID"),
    corpus: Path = CORPUS_OPT,
    namespace: str = NAMESPACE_OPT,
) -> None:
    """从比对库删除文献。"""
    from integrity.corpus import Corpus
    from integrity.errors import CorpusError

    with Corpus.open(corpus, namespace=namespace) as c:
        n = c.remove(ids)
        size = len(c)
    if n == 0:
        raise CorpusError(f"比对库中没有这些 ID：{'、'.join(ids)}", code="doc_not_found")
    typer.echo(f"已删除 {n} 篇；比对库现有 {size} 篇")


@app.command("stats")
def stats(
    corpus: Path = CORPUS_OPT,
    namespace: str = NAMESPACE_OPT,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """比对库统计：文献数、字数、索引条目与每篇索引占用。"""
    from integrity.corpus import Corpus

    with Corpus.open(corpus, namespace=namespace) as c:
        st = c.stats()
    if as_json:
        typer.echo(json.dumps(st, ensure_ascii=False))
        return
    p = st["params"]
    lines = [
        f"比对库：{corpus}（ID {st['corpus_id']}，版本 {st['version']}）",
        f"文献：{st['documents']} 篇，共 {st['chars']} 字，{st['chunks']} 个分块",
        f"LSH 索引（{st['lsh_backend']}）：{st['lsh_entries']} 条，{st['index_bytes']} 字节，"
        f"每篇 {st['index_bytes_per_document']} 字节"
        + ("（在内存中）" if st["index_in_memory"] else "（在磁盘上，打开比对库时不载入内存）"),
        f"指纹参数：MinHash {p['num_perm']} 个排列，{p['bands']} 段 × {p['rows']} 行，"
        f"分块 {p['chunk_chars']} 字",
        f"磁盘占用：{st['disk_bytes']} 字节",
    ]
    typer.echo("\n".join(lines))
