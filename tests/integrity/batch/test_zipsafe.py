from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from integrity.batch import UnsafeArchive, safe_extract
from integrity.errors import InputError
from integrity.settings import Settings


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_extracts_nested_files_and_skips_mac_junk(tmp_path: Path) -> None:
    z = _zip(tmp_path / "b.zip", {"top/a.txt": b"a", "top/sub/b.txt": b"b", "__MACOSX/._a.txt": b"x"})
    written = safe_extract(z, tmp_path / "out")
    assert sorted(written) == ["top/a.txt", "top/sub/b.txt"]
    assert (tmp_path / "out/top/sub/b.txt").read_bytes() == b"b"


def test_gbk_names_from_windows_zips_are_decoded(tmp_path: Path) -> None:
    z = tmp_path / "gbk.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("XXXX.txt", b"text")
    # How Chinese Windows stores names: GBK bytes, no UTF-8 flag (same length as the placeholder).
    z.write_bytes(z.read_bytes().replace(b"XXXX.txt", "论文.txt".encode("gbk")))
    assert safe_extract(z, tmp_path / "out") == ["论文.txt"]


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:/evil.txt"])
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    z = _zip(tmp_path / "t.zip", {"ok.txt": b"1", name: b"2"})
    with pytest.raises(UnsafeArchive):
        safe_extract(z, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out" / "ok.txt").exists()  # validated before anything is written


def test_symlink_members_are_refused(tmp_path: Path) -> None:
    z = tmp_path / "l.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="符号链接"):
        safe_extract(z, tmp_path / "out")


def test_zip_bomb_ratio_total_size_and_count_limits(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.txt": b"\0" * (5 * 1024 * 1024)})
    with pytest.raises(UnsafeArchive, match="压缩炸弹"):
        safe_extract(bomb, tmp_path / "o1")
    big = _zip(tmp_path / "big.zip", {"a.txt": b"x" * 4000}, compression=zipfile.ZIP_STORED)
    with pytest.raises(UnsafeArchive, match="上限"):
        safe_extract(big, tmp_path / "o2", Settings(batch_max_unpacked_bytes=2048))
    many = _zip(tmp_path / "many.zip", {f"{i}.txt": b"x" for i in range(4)})
    with pytest.raises(UnsafeArchive) as exc:
        safe_extract(many, tmp_path / "o3", Settings(batch_max_files=3))
    assert exc.value.code == "too_many_files"


def test_not_a_zip(tmp_path: Path) -> None:
    p = tmp_path / "x.zip"
    p.write_bytes(b"not a zip")
    with pytest.raises(InputError) as exc:
        safe_extract(p, tmp_path / "out")
    assert exc.value.code == "bad_archive"


@pytest.mark.parametrize("damage", ["deflate", "crc"])
def test_damaged_member_data_is_a_bad_archive_not_a_traceback(tmp_path: Path, damage: str) -> None:
    """The headers are valid, so the archive is accepted; the member's data is broken and only reading
    it fails (zlib.error for a broken deflate stream, BadZipFile for a CRC mismatch)."""
    payload = bytes(range(256)) * 64
    z = _zip(tmp_path / "d.zip", {"ok.txt": b"fine", "paper.txt": payload})
    data = bytearray(z.read_bytes())
    local = data.find(b"PK\x03\x04", 1)  # the second member's local header
    body = local + 30 + len("paper.txt")
    if damage == "deflate":
        data[body : body + 8] = b"\xff" * 8
    else:
        cd = data.rfind(b"PK\x01\x02")
        data[local + 14 : local + 18] = data[cd + 16 : cd + 20] = b"\x00\x00\x00\x00"
    z.write_bytes(bytes(data))
    with pytest.raises(InputError) as exc:
        safe_extract(z, tmp_path / "out")
    assert exc.value.code == "bad_archive"
    assert "paper.txt" in str(exc.value)


def test_lying_sizes_are_a_clear_error(tmp_path: Path) -> None:
    z = _zip(tmp_path / "lie.zip", {"a.txt": b"y" * 10000}, compression=zipfile.ZIP_STORED)
    data = bytearray(z.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    with pytest.raises(InputError) as exc:
        safe_extract(z, tmp_path / "out")
    assert exc.value.code in {"bad_archive", "unsafe_archive"}
