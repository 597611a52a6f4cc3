"""Short runs of ``make fuzz-api`` and ``make fuzz-ingest`` (about 10-30 s each) so CI fuzzes every time."""

from __future__ import annotations

import pytest


def test_fuzz_api_short() -> None:
    pytest.importorskip("schemathesis")
    from tests.fuzz.api import run

    result = run(max_examples=2, max_time=None, seed=1)
    assert result["cases"] > 0, result
    assert result["server_errors"] == 0, result


def test_fuzz_ingest_short() -> None:
    pytest.importorskip("atheris")
    from tests.fuzz.ingest import run

    result = run(seconds=10)
    assert result["cases"] > 0, result
    assert result["server_errors"] == 0, result
