"""Verification codes that make a printed report hard to forge.

Why an HMAC: the code is derived from the canonical JSON of the check result with a secret key
(``settings.report_signing_key``), so nobody without the key can produce a valid code for an altered
result, and the same result always yields the same code. The service stores every issued code with the
result digest; ``GET /v1/reports/{code}/verify`` and the public verify page look it up.

Without a configured key a random per-installation key is created once in ``data_dir`` (mode 0600), so
offline CLI reports still carry a stable code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from integrity.errors import IntegrityError
from integrity.settings import Settings, get_settings

CODE_LENGTH = 20  # base32 characters = 100 bits
_KEY_FILE = "report-signing.key"
# Offline (unregistered) report codes start with "00": base32 never yields a 0, so the verify page can tell
# an offline report (not verifiable online) from a code that does not exist (possibly forged).
OFFLINE_PREFIX = "00"


def canonical_json(result: dict[str, Any]) -> bytes:
    """Byte-stable JSON of a result: sorted keys, no whitespace, UTF-8."""
    return json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def result_digest(result: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (stored beside the code, shown on the verify page)."""
    return hashlib.sha256(canonical_json(result)).hexdigest()


def key_directory(settings: Settings) -> Path:
    """Where the per-installation key lives: ``INTEGRITY_DATA_DIR`` when set, else the user's data directory
    (``$XDG_DATA_HOME/integrity``, default ``~/.local/share/integrity``) — never ./var of whatever directory
    a CLI user happens to run ``integrity report`` in."""
    if "data_dir" in settings.model_fields_set:
        return Path(settings.data_dir)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "integrity"


def signing_key(settings: Settings | None = None, *, offline: bool = False) -> bytes:
    """The configured key, else a per-installation key created once (``data_dir``; offline CLI reports:
    ``key_directory``)."""
    settings = settings or get_settings()
    if settings.report_signing_key is not None:
        key = settings.report_signing_key.get_secret_value().encode("utf-8")
        if len(key) < 16:
            raise IntegrityError("INTEGRITY_REPORT_SIGNING_KEY 太短：至少 16 个字符", code="weak_signing_key")
        return key
    path = (key_directory(settings) if offline else Path(settings.data_dir)) / _KEY_FILE
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def verification_code(result: dict[str, Any], key: bytes) -> str:
    """Upper-case base32 HMAC-SHA256 of the canonical result, ``CODE_LENGTH`` characters."""
    mac = hmac.new(key, canonical_json(result), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:CODE_LENGTH]


def offline_code(result: dict[str, Any], key: bytes) -> str:
    """The code of an unregistered report: ``OFFLINE_PREFIX`` + the first characters of the HMAC."""
    return OFFLINE_PREFIX + verification_code(result, key)[: CODE_LENGTH - len(OFFLINE_PREFIX)]


def is_offline_code(code: str) -> bool:
    return normalise_code(code).startswith(OFFLINE_PREFIX)


def check_code(result: dict[str, Any], code: str, key: bytes) -> bool:
    """Constant-time check that ``code`` belongs to ``result`` (online or offline code)."""
    expected = offline_code(result, key) if is_offline_code(code) else verification_code(result, key)
    return hmac.compare_digest(expected, normalise_code(code))


def normalise_code(code: str) -> str:
    """Accept codes as printed (grouped with dashes or spaces, any case)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """Group a code in fours for print: ``ABCD-EFGH-...``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_url(code: str, base_url: str) -> str:
    """The public verify page a QR code points to."""
    return f"{base_url.rstrip('/')}/verify/{code}"


def qr_png_data_uri(data: str) -> str:
    """A QR code as a ``data:image/png`` URI (renders the same in browsers and in WeasyPrint)."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
