"""The ``integrity`` command: a thin Typer layer over the core.

Every sub-command module imports the heavy stages lazily, inside the command, so ``integrity --help``
and the per-paper ``integrity check`` start fast. ``main()`` turns ``IntegrityError`` into one line on
stderr and the error's exit code: bad input never ends in a traceback.
"""

from __future__ import annotations

import sys

import typer

from integrity.cli import catalogue as catalogue_cli
from integrity.cli import check as check_cli
from integrity.cli import corpus as corpus_cli
from integrity.cli import extract as extract_cli
from integrity.cli import plugins
from integrity.cli import report as report_cli
from integrity.errors import IntegrityError

app = typer.Typer(
    name="integrity",
    help="职称评审论文核查：文字复制比、期刊核验与政策判定。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(corpus_cli.app, name="corpus", help="管理比对库（reference corpus）。")
check_cli.register(app)
extract_cli.register(app)
catalogue_cli.register(app)
report_cli.register(app)
plugins.load(app)  # serve, worker, keys, audit, db … come from the service's entry point


def main() -> None:
    try:
        app()
    except IntegrityError as exc:
        print(f"错误[{exc.code}]: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        sys.exit(130)
