"""Decode plain-text papers: UTF-8 (with or without BOM), GB18030/GBK, UTF-16."""

from __future__ import annotations

from charset_normalizer import from_bytes

from integrity.errors import InputError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Raise ``InputError`` for empty, binary or undecodable bytes."""
    if not data.strip():
        raise InputError("文件为空：没有可检测的文字", code="empty_file")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096] and not _looks_utf16(data):
        raise InputError("文件是二进制数据，不是文本：请提交 TXT、PDF 或 DOCX", code="binary_file")
    best = from_bytes(data, cp_isolation=["gb18030", "utf_16", "big5"]).best()
    if best is None or best.encoding is None:
        raise InputError("无法识别文本编码（支持 UTF-8、GB18030/GBK、UTF-16）", code="undecodable_text")
    return str(best), best.encoding


def _looks_utf16(data: bytes) -> bool:
    head = data[:4096]
    zeros_even = head[0::2].count(0)
    zeros_odd = head[1::2].count(0)
    return max(zeros_even, zeros_odd) > len(head) // 8 and min(zeros_even, zeros_odd) < len(head) // 64
