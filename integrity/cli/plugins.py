"""Commands contributed by installed packages (the ``integrity.cli_plugins`` entry-point group).

The core CLI knows nothing about the HTTP service: ``service`` declares an entry point whose
``register(app)`` adds ``serve``, ``worker``, ``keys``, ``audit``, ``db`` … to the root Typer app, the way
datasette plugins register commands. That keeps ``integrity/`` free of imports of ``service/`` (see
tests/integrity/test_layering.py) while ``integrity serve`` keeps working once the package is installed.

Hooks let a plugin serve an option the core owns: ``report --register`` calls the registered
:data:`ReportRegistrar` to store the verification code in the service database.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import typer

GROUP = "integrity.cli_plugins"

ReportRegistrar = Callable[[dict[str, Any], Any, str], str]
"""``(check_result, settings, fmt) -> verification code``, stored where ``/verify/{code}`` can find it."""

_report_registrar: ReportRegistrar | None = None


def set_report_registrar(fn: ReportRegistrar) -> None:
    """Called by a plugin's ``register`` to make ``integrity report --register`` available."""
    global _report_registrar
    _report_registrar = fn


def report_registrar() -> ReportRegistrar | None:
    """The registrar a plugin installed, or ``None`` when no service is installed."""
    return _report_registrar


def load(app: typer.Typer) -> list[str]:
    """Call ``register(app)`` of every plugin in the group; returns the names loaded.

    A broken plugin prints one line and is skipped: the core commands must keep working.
    """
    loaded: list[str] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            register = ep.load()
            register(app)
        except Exception as exc:  # a plugin must never take the core CLI down
            print(f"警告：命令插件 {ep.name}（{ep.value}）加载失败：{exc}", file=sys.stderr)
            continue
        loaded.append(ep.name)
    return loaded
