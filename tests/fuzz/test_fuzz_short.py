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

    # repeatable: a fixed seed and input count (make fuzz-ingest explores with fresh seeds)
    result = run(seconds=120, seed=1, runs=8000)
    assert result["cases"] > 0, result
    assert result["server_errors"] == 0, result
