"""Parse untrusted files in a child process under time, memory and file-size limits; JSON back, never pickle.

Why a process and not a thread: a hostile PDF can loop forever inside C code (pdfium), exhaust memory or
crash the interpreter; only a separate process with ``RLIMIT_AS`` and a wall-clock kill keeps the caller
(CLI, API worker) alive. The child runs ``python -m integrity.ingest.worker``, reads one JSON request on
stdin, sets its own rlimits before importing any parser, and prints one JSON object on stdout. The parent
kills the whole process group on timeout, so tesseract children die too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from integrity import errors
from integrity.errors import InputError, IntegrityError, ParseLimitExceeded
from integrity.models import ExtractedDocument, MetaField, PaperMetadata

if TYPE_CHECKING:
    from integrity.settings import Settings

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_CHILD_SETTINGS = {
    "max_pages",
    "parse_memory_mb",
    "max_unzipped_bytes",
    "ocr_enabled",
    "ocr_languages",
    "ocr_dpi",
    "ocr_min_confidence",
    "expect_chinese",
    "min_cjk_ratio",
}
_CHILD_ENV = {"PATH", "LANG", "LANGUAGE", "TESSDATA_PREFIX", "SYSTEMROOT", "VIRTUAL_ENV"}


def document_to_json(doc: ExtractedDocument) -> dict[str, Any]:
    d = doc.to_dict()
    d["text"] = doc.text
    return d


def document_from_json(d: dict[str, Any]) -> ExtractedDocument:
    md = PaperMetadata()
    for name, value in (d.get("metadata") or {}).items():
        if value is not None and hasattr(md, name):
            setattr(md, name, MetaField(value["value"], value["source"], float(value.get("confidence", 1.0))))
    span = d.get("references_span")
    return ExtractedDocument(
        text=str(d["text"]),
        file_type=d["file_type"],
        text_layer=d.get("text_layer", "ok"),
        encoding=d.get("encoding"),
        pages=d.get("pages"),
        ocr_confidence=d.get("ocr_confidence"),
        metadata=md,
        references_span=(int(span[0]), int(span[1])) if span else None,
        warnings=list(d.get("warnings") or []),
        engine=d.get("engine"),
    )


def _error_classes() -> dict[str, type[IntegrityError]]:
    from integrity.ingest.docx import UnsafeXml, ZipBomb

    classes: dict[str, type[IntegrityError]] = {
        name: obj
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, IntegrityError)
    }
    classes.update({"ZipBomb": ZipBomb, "UnsafeXml": UnsafeXml})
    return classes


def error_from_json(e: dict[str, Any]) -> IntegrityError:
    cls = _error_classes().get(str(e.get("class")), InputError)
    return cls(
        str(e.get("message") or "解析失败"), code=str(e.get("code") or cls.code), detail=e.get("detail") or {}
    )


def run_parser(data: bytes, kind: str, settings: Settings, engine: str | None = None) -> ExtractedDocument:
    """Parse ``data`` as ``kind`` ("pdf" / "docx") in a limited child process.

    A PDF without a usable text layer comes back as ``needs_ocr``; OCR then runs in a second child under
    ``settings.ocr_timeout_s`` (tesseract needs seconds per page, far more than text extraction)."""
    payload = _run_child(data, kind, settings, engine, None, settings.parse_timeout_s)
    if isinstance(payload, dict) and isinstance(payload.get("needs_ocr"), dict):
        payload = _run_child(data, "pdf_ocr", settings, None, payload["needs_ocr"], settings.ocr_timeout_s)
    assert isinstance(payload, ExtractedDocument)
    return payload


def _run_child(
    data: bytes, kind: str, settings: Settings, engine: str | None, ocr: dict[str, Any] | None, timeout: float
) -> ExtractedDocument | dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="integrity-parse-") as tmp:
        path = Path(tmp) / "input.bin"
        path.write_bytes(data)
        os.chmod(path, 0o600)
        request = {
            "path": str(path),
            "kind": kind,
            "engine": engine,
            "ocr": ocr,
            "settings": {
                **settings.model_dump(mode="json", include=_CHILD_SETTINGS),
                "parse_timeout_s": timeout,  # the child's CPU limit follows the pass it runs
            },
        }
        # the child sees no credentials: only the ingest settings above and a minimal environment
        env = {k: v for k, v in os.environ.items() if k in _CHILD_ENV or k.startswith("LC_")}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)
        env["OMP_THREAD_LIMIT"] = "1"
        env["TMPDIR"] = tmp
        env["HOME"] = tmp
        proc = subprocess.Popen(
            [sys.executable, "-m", "integrity.ingest.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(json.dumps(request).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            what = "OCR 识别" if kind == "pdf_ocr" else "解析"
            raise ParseLimitExceeded(
                f"{what}超时：超过 {timeout:g} 秒上限（文件过大、过于复杂或构造异常）",
                code="parse_timeout",
                detail={"limit_s": timeout},
            ) from None
        finally:
            _kill_group(proc)
    return _result(proc.returncode, out, err, settings, timeout)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _result(
    returncode: int, out: bytes, err: bytes, settings: Settings, timeout: float
) -> ExtractedDocument | dict[str, Any]:
    payload: dict[str, Any] | None = None
    try:
        payload = json.loads(out.decode("utf-8")) if out.strip() else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    if isinstance(payload, dict) and payload.get("ok") is True:
        return document_from_json(payload["document"])
    if isinstance(payload, dict) and isinstance(payload.get("needs_ocr"), dict):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        raise error_from_json(payload["error"])
    memory_hint = b"MemoryError" in err or b"std::bad_alloc" in err or b"Out of memory" in err
    if memory_hint or returncode in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGTRAP):
        raise ParseLimitExceeded(
            f"解析进程异常退出（{_describe(returncode)}），可能超出内存上限 {settings.parse_memory_mb} MB",
            code="parse_memory",
            detail={"limit_mb": settings.parse_memory_mb, "returncode": returncode},
        )
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ParseLimitExceeded(
            f"解析超时：CPU 时间超过 {timeout:g} 秒上限",
            code="parse_timeout",
            detail={"limit_s": timeout},
        )
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    raise InputError(f"文件解析失败（{_describe(returncode)}）：{tail[0][:200]}", code="parse_failed")


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"信号 {signal.Signals(-returncode).name}"
        except ValueError:
            return f"信号 {-returncode}"
    return f"退出码 {returncode}"
