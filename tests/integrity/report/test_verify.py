from __future__ import annotations

import stat
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from integrity.errors import IntegrityError
from integrity.report import verify
from integrity.settings import Settings
from tests.integrity.report.sample import result


def test_code_is_deterministic_and_changes_with_the_result() -> None:
    key = b"k" * 32
    r = result()
    code = verify.verification_code(r, key)
    assert len(code) == verify.CODE_LENGTH and code.isalnum() and code.isupper()
    assert verify.verification_code(result(), key) == code
    r["similarity"]["total_copy_ratio"] = 0.05  # a forger lowering the ratio
    assert verify.verification_code(r, key) != code
    assert verify.verification_code(result(), b"other-key-000000") != code


def test_check_code_accepts_printed_form_and_rejects_others() -> None:
    key = b"k" * 32
    code = verify.verification_code(result(), key)
    printed = verify.format_code(code).lower()
    assert "-" in printed
    assert verify.check_code(result(), printed, key)
    assert not verify.check_code(result(), "A" * verify.CODE_LENGTH, key)


def test_configured_key_is_used_and_short_key_rejected(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, report_signing_key=SecretStr("s" * 32))
    assert verify.signing_key(s) == b"s" * 32
    with pytest.raises(IntegrityError) as exc:
        verify.signing_key(Settings(data_dir=tmp_path, report_signing_key=SecretStr("short")))
    assert exc.value.code == "weak_signing_key"


def test_installation_key_is_created_once_private(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "d")
    first = verify.signing_key(s)
    assert len(first) == 64
    key_file = tmp_path / "d" / "report-signing.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert verify.signing_key(s) == first


def test_qr_is_a_png(tmp_path: Path) -> None:
    import base64
    import io

    uri = verify.qr_png_data_uri("http://127.0.0.1:8000/verify/ABC")
    assert uri.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.size[0] == img.size[1] and img.size[0] > 100
    assert verify.verify_url("ABC", "http://x/") == "http://x/verify/ABC"
