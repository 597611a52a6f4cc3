"""Hostile PDFs end in a clear error from the sandbox while the caller keeps running; CLI ``extract``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from integrity.errors import InputError, ParseLimitExceeded
from integrity.ingest import extract, extract_bytes
from integrity.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def raw_pdf(chunks: list[bytes], n_pages: int = 1) -> bytes:
    """A minimal valid PDF whose pages share one FlateDecode content stream built from ``chunks``."""
    co = zlib.compressobj(1)
    stream = b"".join(co.compress(c) for c in chunks) + co.flush()
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    kids = " ".join(f"{4 + i} 0 R" for i in range(n_pages)).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n_pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objs += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R " + font + b" >>"
    ] * n_pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_that_never_finishes_hits_the_time_limit() -> None:
    heavy = raw_pdf([b"BT /F1 1 Tf 10 10 Td (a) Tj ET\n" * 20000 for _ in range(50)])
    started = time.monotonic()
    with pytest.raises(ParseLimitExceeded) as err:
        extract_bytes(heavy, "slow.pdf", Settings(parse_timeout_s=1.0, ocr_enabled=False))
    assert err.value.code == "parse_timeout" and "1 秒上限" in err.value.message
    assert time.monotonic() - started < 10


def test_pdf_bomb_hits_the_memory_limit() -> None:
    bomb = raw_pdf([b" " * (1 << 20)] * 450)  # 450 MB content stream from ~450 KB
    with pytest.raises(InputError) as err:
        extract_bytes(bomb, "bomb.pdf", Settings(parse_memory_mb=256, ocr_enabled=False))
    assert err.value.code in {"parse_memory", "text_layer_unreadable"}
    if err.value.code == "parse_memory":
        assert "256 MB" in err.value.message


def test_caller_keeps_running_after_hostile_files(paper_pdf: Path) -> None:
    for data in (b"%PDF-1.4\n" + b"\xff" * 5000 + b"%%EOF", raw_pdf([b"q Q\n"] * 3)):
        with pytest.raises(InputError):
            extract_bytes(data, "x.pdf", Settings(ocr_enabled=False))
    assert extract(paper_pdf, Settings(ocr_enabled=False)).text_layer == "ok"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"INTEGRITY_OCR_ENABLED": "false", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "integrity", "extract", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_cli_extract_json(paper_pdf: Path) -> None:
    p = _cli(str(paper_pdf), "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["file_type"] == "pdf" and out["text_layer"] == "ok" and out["chars"] == len(out["text"])
    assert out["metadata"]["issn"] == {"value": "1671-1637", "source": "running_header", "confidence": 1.0}
    assert out["references_span"][1] == len(out["text"])
    text = _cli(str(paper_pdf), "--format", "text")
    assert (
        text.returncode == 0 and "ISSN：1671-1637" in text.stdout and "〔来源 running_header〕" in text.stdout
    )


def test_cli_extract_unreadable_is_reported_not_zero(paper_pdf: Path, tmp_path: Path) -> None:
    garbled = tmp_path / "garbled.pdf"
    garbled.write_bytes(paper_pdf.read_bytes().replace(b"/ToUnicode", b"/ToUnicodX"))
    p = _cli(str(garbled), "--format", "json")
    assert p.returncode == 2
    out = json.loads(p.stdout)
    assert out["text_layer"] == "unreadable" and out["error"]["code"] == "text_layer_unreadable"
    assert "错误[text_layer_unreadable]" in p.stderr and "Traceback" not in p.stderr


def test_cli_extract_unsupported_doc(tmp_path: Path) -> None:
    doc = tmp_path / "paper.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    p = _cli(str(doc))
    assert p.returncode == 2 and "DOCX 或 PDF" in p.stderr and "Traceback" not in p.stderr


def test_child_gets_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    import json as _json

    from integrity.ingest import sandbox

    captured: dict[str, object] = {}
    real_popen = sandbox.subprocess.Popen

    def spy(*args: object, **kwargs: object) -> object:
        captured["env"] = kwargs.get("env")
        proc = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        real_communicate = proc.communicate

        def communicate(input: bytes | None = None, timeout: float | None = None) -> tuple[bytes, bytes]:
            captured["request"] = _json.loads(input or b"{}")
            return real_communicate(input, timeout=timeout)

        proc.communicate = communicate
        return proc

    monkeypatch.setenv("INTEGRITY_ADMIN_API_KEY", "secret-key")
    monkeypatch.setattr(sandbox.subprocess, "Popen", spy)
    with pytest.raises(InputError):
        extract_bytes(
            raw_pdf([b"q Q\n"]), "x.pdf", Settings(ocr_enabled=False, database_url="postgresql://u:pw@h/db")
        )
    env = captured["env"]
    assert isinstance(env, dict) and "INTEGRITY_ADMIN_API_KEY" not in env
    request = captured["request"]
    assert isinstance(request, dict)
    assert "database_url" not in request["settings"] and "pw@" not in _json.dumps(request)
