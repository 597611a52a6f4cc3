"""Receiving uploads: size limit while copying, type sniffed from content (never from the name)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import BinaryIO

from integrity.errors import FileTooLarge, InputError, UnsupportedFileType

ALLOWED_TYPES = ("pdf", "docx", "txt")
CHUNK = 1 << 20


def save_limited(src: BinaryIO, dest: Path, limit: int) -> tuple[int, str]:
    """Copy ``src`` to ``dest``; raise ``FileTooLarge`` (413) past ``limit`` bytes. Returns (size, sha256)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        while block := src.read(CHUNK):
            size += len(block)
            if size > limit:
                out.close()
                dest.unlink(missing_ok=True)
                raise too_large(limit)
            h.update(block)
            out.write(block)
    if size == 0:
        dest.unlink(missing_ok=True)
        raise InputError("上传的文件为空", code="empty_file")
    return size, h.hexdigest()


def too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"文件过大：上传大小上限为 {limit / 1024 / 1024:.1f} MB（{limit} 字节）",
        detail={"limit": "max_upload_bytes", "max_upload_bytes": limit},
    )


def sniff_type(path: Path) -> str:
    """``pdf``, ``docx`` or ``txt`` from the content; ``UnsupportedFileType`` (415) otherwise."""
    with path.open("rb") as f:
        head = f.read(8192)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                if "word/document.xml" in zf.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise unsupported("zip")
    from integrity.ingest.txt import decode_text

    if _looks_binary(head):
        raise unsupported("binary")
    try:
        decode_text(head if len(head) < 8192 else _cut_utf8(head))
    except InputError as exc:
        if exc.code == "empty_file":
            raise
        raise unsupported("binary") from exc
    return "txt"


def _looks_binary(head: bytes) -> bool:
    """Control bytes (NUL etc.) in what is not UTF-16 text: an executable, image or archive."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    zeros_even, zeros_odd = head[0::2].count(0), head[1::2].count(0)
    if max(zeros_even, zeros_odd) > len(head) // 4 and min(zeros_even, zeros_odd) < len(head) // 64:
        return False  # UTF-16 without BOM
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(2, len(head) // 100)


def _cut_utf8(head: bytes) -> bytes:
    """Drop a multi-byte character cut at the end of the sniffing window."""
    for cut in range(0, 4):
        try:
            (head[: len(head) - cut]).decode("utf-8")
            return head[: len(head) - cut]
        except UnicodeDecodeError:
            continue
    return head


def unsupported(found: str) -> UnsupportedFileType:
    return UnsupportedFileType(
        "不支持的文件类型：仅接受 PDF、DOCX 或 TXT 文本（按文件内容识别）",
        detail={"limit": "allowed_types", "allowed_types": list(ALLOWED_TYPES), "detected": found},
    )
