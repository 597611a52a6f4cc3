"""Inputs the fuzzers found that once escaped as exceptions (500 / traceback); each is now a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity.errors import InputError
from integrity.ingest.docx import extract_docx
from integrity.settings import Settings

CRASHES = Path(__file__).parent / "crashes"


@pytest.mark.parametrize("name", ["docx-zlib-invalid-distance.bin", "docx-negative-seek.bin"])
def test_damaged_docx_is_corrupt_file(tmp_path: Path, name: str) -> None:
    data = (CRASHES / name).read_bytes()[1:]  # byte 0 chose the target
    with pytest.raises(InputError) as info:
        extract_docx(data, Settings(data_dir=tmp_path))
    assert info.value.code == "corrupt_file"
