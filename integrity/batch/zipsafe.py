"""Unpack an uploaded batch zip without trusting it.

Why so strict: the zip comes from outside. We refuse path traversal (``../``, absolute paths, drive
letters), symlinks, encrypted members, too many files, too much unpacked data and members whose
compression ratio marks a zip bomb; and we count the bytes actually written, not the sizes the zip
claims. Chinese Windows zips store names in GBK without the UTF-8 flag; those names are decoded so the
manifest's file names match.
"""

from __future__ import annotations

import contextlib
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from integrity.errors import InputError
from integrity.settings import Settings, get_settings

_CHUNK = 1 << 16
# What opening or reading a damaged zip raises besides BadZipFile: OSError (truncated), ValueError (offsets
# out of the file), EOFError, NotImplementedError (a "zip file version" or compression Python lacks),
# zlib.error (a broken deflate stream). Shared with the DOCX reader, which is a zip too.
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    zlib.error,
)
_SKIP = re.compile(r"(^|/)(__MACOSX|\.DS_Store|Thumbs\.db|desktop\.ini)(/|$)", re.IGNORECASE)


class UnsafeArchive(InputError):
    code = "unsafe_archive"


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as the uploader saw it (GBK names of Chinese Windows zips decoded)."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name.replace("\\", "/")


def safe_extract(zip_path: Path, dest: Path, settings: Settings | None = None) -> list[str]:
    """Extract ``zip_path`` into ``dest``; return the relative POSIX paths of the files written."""
    settings = settings or get_settings()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        zf = zipfile.ZipFile(zip_path)
    except ZIP_ERRORS as exc:
        raise InputError(f"上传的文件不是有效的 zip 压缩包：{exc}", code="bad_archive") from exc
    with zf:
        members = _plan(zf, settings)
        written: list[str] = []
        total = 0
        for info, rel in members:
            target = (root / rel).resolve()
            if not target.is_relative_to(root):
                raise UnsafeArchive(f"压缩包内路径越界：{rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                total = _copy_member(zf, info, rel, target, total, settings)
            except ZIP_ERRORS as exc:  # valid headers, broken data: only reading the member tells
                raise InputError(
                    f"上传的压缩包已损坏：成员 {rel} 无法解压（{exc}）", code="bad_archive"
                ) from exc
            written.append(rel)
    return written


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, rel: str, target: Path, total: int, settings: Settings
) -> int:
    """Write one member to ``target`` under the size limits; returns the running unpacked total."""
    size = 0
    with zf.open(info) as src, target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            size += len(chunk)
            total += len(chunk)
            if size > info.file_size:
                raise UnsafeArchive(f"压缩包成员实际大小超过声明：{rel}")
            if total > settings.batch_max_unpacked_bytes:
                raise UnsafeArchive(
                    f"压缩包解压后超过 {settings.batch_max_unpacked_bytes // 1024 // 1024} MB 上限"
                )
            out.write(chunk)
    return total


def validate_archive(file: Any, settings: Settings | None = None) -> int:
    """Check a zip (path or seekable file object) without unpacking it; returns the number of files."""
    settings = settings or get_settings()
    try:
        with zipfile.ZipFile(file) as zf:
            return len(_plan(zf, settings))
    except ZIP_ERRORS as exc:
        raise InputError(f"上传的文件不是有效的 zip 压缩包：{exc}", code="bad_archive") from exc


def _plan(zf: zipfile.ZipFile, settings: Settings) -> list[tuple[zipfile.ZipInfo, str]]:
    """Validate every member before writing anything."""
    members: list[tuple[zipfile.ZipInfo, str]] = []
    declared = 0
    seen: set[str] = set()
    for info in zf.infolist():
        name = member_name(info)
        if not info.filename:  # ZipInfo.is_dir() itself fails on an empty name
            raise InputError("上传的文件不是有效的 zip 压缩包：有成员没有文件名称", code="bad_archive")
        if info.is_dir() or _SKIP.search(name):
            continue
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
            raise UnsafeArchive(f"压缩包包含不安全的路径：{name}（不允许绝对路径或 ..）")
        mode = info.external_attr >> 16
        if mode and stat.S_ISLNK(mode):
            raise UnsafeArchive(f"压缩包包含符号链接：{name}")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"压缩包成员已加密：{name}（请上传未加密的压缩包）", code="encrypted_archive")
        if info.compress_size and info.file_size / info.compress_size > settings.batch_max_ratio:
            raise UnsafeArchive(
                f"压缩包成员压缩比异常（{info.file_size / info.compress_size:.0f}:1，上限 "
                f"{settings.batch_max_ratio:.0f}:1），疑似压缩炸弹：{name}"
            )
        rel = path.as_posix()
        if rel.casefold() in seen:
            raise UnsafeArchive(f"压缩包内文件名重复：{name}")
        seen.add(rel.casefold())
        declared += info.file_size
        members.append((info, rel))
        if len(members) > settings.batch_max_files:
            raise UnsafeArchive(f"压缩包文件过多：超过 {settings.batch_max_files} 个", code="too_many_files")
    if declared > settings.batch_max_unpacked_bytes:
        raise UnsafeArchive(
            f"压缩包解压后 {declared // 1024 // 1024} MB，"
            f"超过 {settings.batch_max_unpacked_bytes // 1024 // 1024} MB 上限"
        )
    if not members:
        raise InputError("压缩包中没有文件", code="empty_archive")
    return members
