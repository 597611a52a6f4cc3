"""Ingest: turn an uploaded file into ``ExtractedDocument`` (text + metadata + references span).

Entry point ``extract(path)``. The type is sniffed from content, not the name.
"""

from __future__ import annotations

from pathlib import Path

from integrity.errors import InputError, UnsupportedFileType
from integrity.ingest.txt import decode_text
from integrity.models import ExtractedDocument
from integrity.settings import Settings, get_settings


def extract(path: Path, settings: Settings | None = None) -> ExtractedDocument:
    """Read ``path`` and return its text and metadata, or raise an ``InputError`` naming the problem."""
    settings = settings or get_settings()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"文件不存在：{path}", code="file_not_found")
    data = path.read_bytes()
    if data[:5] == b"%PDF-" or data[:4] == b"PK\x03\x04":
        raise UnsupportedFileType("暂不支持该文件类型：请提交 TXT 文本")
    text, encoding = decode_text(data)
    return ExtractedDocument(text=text, file_type="txt", encoding=encoding, engine="charset-normalizer")
