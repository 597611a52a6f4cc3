"""Ingest: turn an uploaded file into ``ExtractedDocument`` (text + metadata + references span).

Entry points ``extract(path)`` (CLI, corpus) and ``extract_bytes(data, filename)`` (service uploads).
The type is sniffed from content, not the name. PDF and DOCX are parsed in a sandboxed child process
(``integrity.ingest.sandbox``) under the limits in settings; TXT decoding is cheap and safe and stays
in-process, so TXT offsets are exactly the decoded file text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from integrity.errors import FileTooLarge, InputError
from integrity.ingest.sniff import sniff
from integrity.models import ExtractedDocument

if TYPE_CHECKING:  # pydantic-settings costs ~0.3 s to import: the sandboxed worker never loads it
    from integrity.settings import Settings

__all__ = ["extract", "extract_bytes", "sniff"]


def _too_large(size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"文件过大：{size / 1024 / 1024:.1f} MB，上限 {limit / 1024 / 1024:.0f} MB",
        detail={"bytes": size, "limit": limit},
    )


def extract(path: Path, settings: Settings | None = None) -> ExtractedDocument:
    """Read ``path`` and return its text and metadata, or raise an ``InputError`` naming the problem."""
    from integrity.settings import get_settings

    settings = settings or get_settings()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"文件不存在：{path}", code="file_not_found")
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise _too_large(size, settings.max_upload_bytes)
    return extract_bytes(path.read_bytes(), path.name, settings)


def extract_bytes(
    data: bytes, filename: str | None = None, settings: Settings | None = None
) -> ExtractedDocument:
    """Like ``extract`` for an upload held in memory; ``filename`` only improves error messages."""
    from integrity.settings import get_settings

    settings = settings or get_settings()
    if len(data) > settings.max_upload_bytes:
        raise _too_large(len(data), settings.max_upload_bytes)
    if not data.strip():
        raise InputError("文件为空：没有可检测的文字", code="empty_file")
    kind = sniff(data, filename)
    if kind == "txt":
        return extract_txt(data)
    from integrity.ingest.sandbox import run_parser

    return run_parser(data, kind, settings)


def extract_txt(data: bytes) -> ExtractedDocument:
    from integrity.ingest.metadata import fill_metadata
    from integrity.ingest.txt import decode_text

    text, encoding = decode_text(data)
    from integrity.errors import UnreadableText
    from integrity.ingest.quality import garbled_plain_text_reason, measure

    reason = garbled_plain_text_reason(measure(text))
    if reason:
        raise UnreadableText(
            f"{reason}；请另存为 UTF-8 编码的 TXT 后提交",
            detail={"text_layer": "unreadable", "reason": reason, "encoding": encoding},
        )
    doc = ExtractedDocument(text=text, file_type="txt", encoding=encoding, engine="charset-normalizer")
    fill_metadata(doc, front=text[:5000], headers=[], front_source="text")
    return doc
