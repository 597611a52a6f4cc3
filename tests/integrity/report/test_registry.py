"""One registry of report formats read by render_report, the CLI and the API (issue 13 seam)."""

from __future__ import annotations

import pytest

from integrity.errors import InputError
from integrity.report import registry, render_report
from tests.integrity.report.sample import result


def test_registry_lists_formats_with_media_types() -> None:
    assert registry.formats()[:2] == ("html", "pdf")
    assert registry.get("pdf").media_type == "application/pdf" and registry.get("pdf").download
    assert registry.get("txt").media_type.startswith("text/plain")
    with pytest.raises(InputError, match="可选 html、pdf、txt"):
        registry.get("docx")


def test_a_registered_format_is_rendered_by_render_report() -> None:
    registry.register(
        registry.ReportRenderer(
            "csv",
            "text/csv",
            lambda r, t, **o: b"ratio\n" + str(r["similarity"]["total_copy_ratio"]).encode(),
            "CSV",
            verifiable=False,
        )
    )
    try:
        assert render_report(result(), fmt="csv").startswith(b"ratio\n")
    finally:
        registry._REGISTRY.pop("csv")
    assert "总文字复制比" in render_report(result(), fmt="txt").decode("utf-8")


def test_cli_choices_come_from_the_registry() -> None:
    from typer.testing import CliRunner

    from integrity.cli import app

    out = CliRunner().invoke(app, ["report", "--help"], terminal_width=200).output
    assert "txt" in out and "pdf" in out
