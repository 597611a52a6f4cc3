"""File type from content, not from the name: a renamed ``.doc`` or an image called ``paper.pdf`` must
get the right error, and a PDF called ``paper.txt`` must still be parsed as a PDF."""

from __future__ import annotations

import io
import zipfile
from typing import Literal

from integrity.errors import UnsupportedFileType

Kind = Literal["pdf", "docx", "txt"]

_SAVE_AS = "请另存为 DOCX 或 PDF 后提交"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"{\\rtf", "RTF 文档"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"AT&TFORM", "DjVu 文档"),
)


def sniff(data: bytes, filename: str | None = None) -> Kind:
    """Return the kind to parse as, or raise ``UnsupportedFileType`` naming what the file really is."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(_OLE2) and "EncryptedPackage".encode("utf-16-le") in data:
        from integrity.errors import EncryptedFile

        raise EncryptedFile("文档已加密（设置了打开密码），无法提取文字：请取消密码后另存为 DOCX 或 PDF 提交")
    if data.startswith(_OLE2):
        what = _ole_kind(filename)
        raise UnsupportedFileType(
            f"不支持 {what}（旧版 Office/WPS 二进制格式）：{_SAVE_AS}", code="unsupported_file_type"
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if data.startswith((b"CAJ", b"HN")) and b"\x00" in head:
        raise UnsupportedFileType(f"不支持 CAJ 文档（知网格式）：{_SAVE_AS}")
    for sig, what in _BINARY_SIGNATURES:
        if data.startswith(sig):
            hint = "扫描图片请合成为 PDF 后提交" if "图片" in what else _SAVE_AS
            raise UnsupportedFileType(f"不支持 {what}：{hint}")
    return "txt"


def _ole_kind(filename: str | None) -> str:
    name = (filename or "").lower()
    if name.endswith(".wps"):
        return "WPS 文字文档（.wps）"
    if name.endswith((".xls", ".et", ".ppt", ".dps")):
        return f"{name.rsplit('.', 1)[-1]} 文件"
    return "Word 97-2003 文档（.doc）或 WPS 文档"


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:5000])
    except (zipfile.BadZipFile, OSError, ValueError):
        # a truncated DOCX loses its central directory: say so rather than "unsupported"
        if b"word/" in data[:4096] or b"[Content_Types].xml" in data[:4096]:
            from integrity.errors import InputError

            raise InputError(
                "DOCX 文件已损坏或不完整（压缩目录缺失，可能被截断）", code="corrupt_file"
            ) from None
        raise UnsupportedFileType("无法识别的压缩文件：请提交 PDF、DOCX 或 TXT") from None
    if "word/document.xml" in names:
        return "docx"
    if "content.xml" in names and "mimetype" in names:
        raise UnsupportedFileType(f"不支持 ODF 文档（.odt）：{_SAVE_AS}")
    if any(n.startswith(("xl/", "ppt/")) for n in names):
        raise UnsupportedFileType("不支持 Excel/PowerPoint 文件：请提交论文的 PDF、DOCX 或 TXT")
    raise UnsupportedFileType(
        "不支持 ZIP 压缩包作为论文：请提交单个 PDF、DOCX 或 TXT（批量检测请用批量接口）"
    )
