"""The core stays framework-free: no module under ``integrity/`` imports the service layer.

Parsed with ``ast`` (not imported), so a lazy import inside a function is caught as well as a top-level
one. The service adds its CLI commands through the ``integrity.cli_plugins`` entry point instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "integrity"
FORBIDDEN = ("service", "workers", "fastapi", "celery", "starlette", "uvicorn")


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _violations(source: str, name: str) -> list[str]:
    out = []
    for lineno, module in _imports(ast.parse(source, filename=name)):
        if module.split(".")[0] in FORBIDDEN:
            out.append(f"{name}:{lineno} imports {module}")
    return out


def test_integrity_imports_no_service_or_framework() -> None:
    modules = sorted(ROOT.rglob("*.py"))
    assert len(modules) > 20
    bad: list[str] = []
    for path in modules:
        bad += _violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert not bad, "integrity/ must not import service/workers/frameworks:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "import service.db",
        "def f():\n    from service.routers.reports import register_cli_report\n",
        "from workers.app import app",
        "import fastapi",
        "from celery import Celery",
        "import importlib\nimportlib.import_module('service.cli')",
    ],
)
def test_checker_catches_each_form(source: str) -> None:
    assert _violations(source, "x.py")


def test_checker_allows_core_imports() -> None:
    assert not _violations("from integrity.settings import get_settings\nimport typer\n", "x.py")


def test_service_commands_come_from_the_entry_point() -> None:
    from importlib.metadata import entry_points

    from typer.main import get_command

    from integrity.cli import app

    names = {ep.name: ep.value for ep in entry_points(group="integrity.cli_plugins")}
    assert names.get("service") == "service.cli:register"
    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"serve", "worker", "keys", "audit", "db", "check", "corpus", "report", "batch"} <= commands


def test_report_register_without_service_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no service plugin installed, ``report --register`` names the problem (no ImportError)."""
    import json

    from typer.testing import CliRunner

    from integrity.cli import app, plugins

    monkeypatch.setattr(plugins, "_report_registrar", None)
    check = tmp_path / "c.json"
    check.write_text(json.dumps({"similarity": {"total_copy_ratio": 0.0}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(check), "--register"])
    assert result.exit_code != 0
    assert result.exception is not None
    assert "未安装服务组件" in str(result.exception)
