"""Inputs the fuzzers found that once escaped as exceptions (500 / traceback); each is now a clear error."""

from __future__ import annotations

import io
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


def test_zip_of_an_unsupported_version_is_a_bad_archive(tmp_path: Path) -> None:
    """atheris (CI short run): a central directory claiming zip version 17.2 raised NotImplementedError."""
    from integrity.batch.zipsafe import safe_extract, validate_archive

    data = (CRASHES / "zip-unsupported-version.bin").read_bytes()[1:]
    with pytest.raises(InputError) as info:
        validate_archive(io.BytesIO(data), Settings(data_dir=tmp_path))
    assert info.value.code == "bad_archive"
    path = tmp_path / "batch.zip"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        safe_extract(path, tmp_path / "out", Settings(data_dir=tmp_path))
    assert info.value.code == "bad_archive"
    with pytest.raises(InputError) as info:  # the same bytes uploaded as a DOCX
        extract_docx(data, Settings(data_dir=tmp_path))
    assert info.value.code == "corrupt_file"


def test_zip_member_without_a_name_is_a_bad_archive(tmp_path: Path) -> None:
    """atheris: a member whose name is empty made ``ZipInfo.is_dir()`` raise IndexError."""
    from integrity.batch.zipsafe import validate_archive

    data = (CRASHES / "zip-empty-member-name.bin").read_bytes()[1:]
    with pytest.raises(InputError) as info:
        validate_archive(io.BytesIO(data), Settings(data_dir=tmp_path))
    assert info.value.code == "bad_archive" and "名称" in info.value.message
