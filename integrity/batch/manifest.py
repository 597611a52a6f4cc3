"""Batch manifests (CSV or XLSX): one row per paper, with errors reported per row.

Why per-row errors: a review office uploads thousands of rows typed by hand; one bad year or a duplicated
file must not stop the batch. Only a manifest that cannot be read at all (wrong type, no header, missing
required column, too many rows) raises ``InputError``. Column headers may be Chinese or English.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from integrity.errors import InputError
from integrity.settings import Settings, get_settings

MAX_MANIFEST_BYTES = 20 * 1024 * 1024

_ALIASES: dict[str, tuple[str, ...]] = {
    "applicant": ("applicant", "申报人", "申请人", "姓名", "作者"),
    "unit": ("unit", "单位", "工作单位", "申报单位"),
    "title": ("title", "paper_title", "论文题目", "题目", "论文名称", "篇名", "论文标题"),
    "journal": ("journal", "期刊", "期刊名称", "刊名", "发表期刊"),
    "issn": ("issn",),
    "cn": ("cn", "cn号", "国内统一刊号"),
    "issn_cn": ("issn/cn", "issn_cn", "刊号", "issn/cn号"),
    "year": ("year", "年份", "发表年份", "年"),
    "issue": ("issue", "期次", "期号", "卷期", "年期", "刊期"),
    "published_on": ("published_on", "publication_date", "发表日期", "出版日期", "刊出日期", "发表时间"),
    "claimed_level": ("claimed_level", "level", "申报级别", "级别", "期刊级别"),
    "file_name": ("file_name", "file", "filename", "文件名", "文件", "文件名称"),
}
_REQUIRED = ("applicant", "file_name")
_LEVELS = {
    "core": "core",
    "核心": "core",
    "核心期刊": "core",
    "provincial": "provincial",
    "省级": "provincial",
    "省级期刊": "provincial",
    "一般": "provincial",
    "一般期刊": "provincial",
}
_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_DATE_COMPACT = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})")
_CN = re.compile(r"\b(\d{2})\s*-\s*(\d{4})\s*/\s*([A-Za-z]{1,4})\b")


@dataclass
class ManifestRow:
    """One paper of the batch. ``row`` is the spreadsheet row number (header = row 1)."""

    row: int
    applicant: str
    file_name: str
    unit: str = ""
    title: str = ""
    journal: str = ""
    issn: str = ""
    cn: str = ""
    year: int | None = None
    claimed_level: str | None = None
    issue: str = ""  # 期次 as printed, e.g. 2022年第3期 or 增刊1 (增刊 markers feed the policy)
    published_on: str | None = None  # ISO date: decides papers near the material cutoff

    @property
    def key(self) -> str:
        """A stable id for this row inside the batch (used as the doc id in the cross-check corpus)."""
        return f"row-{self.row}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RowError:
    row: int
    code: str
    message: str  # zh-CN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(path: Path, settings: Settings | None = None) -> tuple[list[ManifestRow], list[RowError]]:
    """Parse a CSV or XLSX manifest file (type sniffed from content)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"清单文件不存在：{path}", code="manifest_not_found")
    size = path.stat().st_size
    if size > MAX_MANIFEST_BYTES:
        raise InputError(
            f"清单文件过大：{size // 1024 // 1024} MB（上限 {MAX_MANIFEST_BYTES // 1024 // 1024} MB）",
            code="manifest_too_large",
        )
    return parse_manifest(path.read_bytes(), path.name, settings)


def parse_manifest(
    data: bytes, name: str = "manifest", settings: Settings | None = None
) -> tuple[list[ManifestRow], list[RowError]]:
    """Rows that can be checked, and one ``RowError`` for each row that cannot."""
    settings = settings or get_settings()
    table = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data, name)
    if not table:
        raise InputError(f"清单为空：{name}", code="manifest_empty")
    header, body = table[0][1], table[1:]
    columns = _columns(header)
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        names = "、".join(_ALIASES[c][1] + f"（{c}）" for c in missing)
        raise InputError(
            f"清单缺少必需的列：{names}；表头为：{'，'.join(header)}", code="manifest_missing_column"
        )
    if len(body) > settings.batch_max_manifest_rows:
        raise InputError(
            f"清单行数过多：{len(body)} 行（上限 {settings.batch_max_manifest_rows} 行）",
            code="manifest_too_many_rows",
        )
    rows: list[ManifestRow] = []
    errors: list[RowError] = []
    seen_files: dict[str, int] = {}
    seen_papers: dict[tuple[str, str], int] = {}
    for row_no, cells in body:
        values = {field: (cells[i].strip() if i < len(cells) else "") for field, i in columns.items()}
        row, problem = _build_row(row_no, values)
        if problem:
            errors.append(problem)
            continue
        assert row is not None
        file_key = row.file_name.casefold()
        if file_key in seen_files:
            errors.append(
                RowError(
                    row_no,
                    "duplicate_row",
                    f"第 {row_no} 行与第 {seen_files[file_key]} 行的文件重复：{row.file_name}",
                )
            )
            continue
        paper_key = (row.applicant, _squash(row.title))
        if row.title and paper_key in seen_papers:
            errors.append(
                RowError(
                    row_no,
                    "duplicate_row",
                    f"第 {row_no} 行与第 {seen_papers[paper_key]} 行重复：同一申报人的同一论文{row.title}",
                )
            )
            continue
        seen_files[file_key] = row_no
        if row.title:
            seen_papers[paper_key] = row_no
        rows.append(row)
    return rows, errors


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s).casefold()


def _columns(header: list[str]) -> dict[str, int]:
    lookup = {alias.casefold(): field for field, aliases in _ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        field = lookup.get(re.sub(r"\s+", "", name).casefold().lstrip("\ufeff"))
        if field and field not in columns:
            columns[field] = i
    return columns


def _build_row(row_no: int, v: dict[str, str]) -> tuple[ManifestRow | None, RowError | None]:
    def err(code: str, msg: str) -> tuple[None, RowError]:
        return None, RowError(row_no, code, f"第 {row_no} 行：{msg}")

    applicant, file_name = v.get("applicant", ""), v.get("file_name", "")
    if not applicant:
        return err("missing_applicant", "缺少申报人")
    if not file_name:
        return err("missing_file_name", "缺少文件名")
    posix = PurePosixPath(file_name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", file_name):
        return err("bad_file_name", f"文件名不能是绝对路径或包含 ..：{file_name}")
    year: int | None = None
    if v.get("year"):
        raw = v["year"]
        m = re.fullmatch(r"(\d{4})(?:\.0+)?(?:年)?(?:-\d{2}-\d{2})?", raw)  # a date cell: its year
        this_year = datetime.now(UTC).year
        if not m or not 1950 <= int(m.group(1)) <= this_year + 1:
            return err("bad_year", f"年份无效：{raw}（应为 1950–{this_year + 1} 的四位年份）")
        year = int(m.group(1))
    published_on: str | None = None
    if v.get("published_on"):
        raw = v["published_on"]
        parsed = _parse_date(raw)
        if parsed is None:
            return err("bad_date", f"发表日期无效：{raw}（应为 2022-06-15 或 2022年6月15日 这样的完整日期）")
        if year is not None and parsed.year != year:
            return err("date_year_mismatch", f"发表日期 {parsed.isoformat()} 与年份 {year} 不一致")
        published_on, year = parsed.isoformat(), parsed.year
    issue = v.get("issue", "")
    if len(issue) > 50:
        return err("bad_issue", f"期次过长：{issue[:20]}…（上限 50 个字符）")
    level: str | None = None
    if v.get("claimed_level"):
        level = _LEVELS.get(v["claimed_level"].strip().casefold())
        if level is None:
            return err("bad_level", f"申报级别无效：{v['claimed_level']}（应为 核心 或 省级）")
    issn, cn = v.get("issn", ""), v.get("cn", "")
    combined = v.get("issn_cn", "")
    if combined:
        if not issn and (m := _ISSN.search(combined)):
            issn = f"{m.group(1)}-{m.group(2).upper()}"
        if not cn and (m := _CN.search(combined)):
            cn = f"{m.group(1)}-{m.group(2)}/{m.group(3).upper()}"
    if issn and not _ISSN.fullmatch(issn.strip()):
        return err("bad_issn", f"ISSN 格式无效：{issn}（应为 1234-567X）")
    return (
        ManifestRow(
            row=row_no,
            applicant=applicant,
            file_name=posix.as_posix(),
            unit=v.get("unit", ""),
            title=v.get("title", ""),
            journal=v.get("journal", ""),
            issn=issn.upper(),
            cn=cn,
            year=year,
            claimed_level=level,
            issue=issue,
            published_on=published_on,
        ),
        None,
    )


def _parse_date(raw: str) -> date | None:
    """2022-06-15, 2022/6/15, 2022.6.15, 2022年6月15日, 20220615 (and Excel's ``2022-06-15 00:00:00``)."""
    text = raw.strip()
    m = _DATE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):  # a date cell: the 发表日期 column needs the day, 年份 the year
        return value.strftime("%Y-%m-%d")
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of every non-blank row of the first sheet."""
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        if unpacked > 20 * MAX_MANIFEST_BYTES:  # an XLSX is a zip: refuse a bomb before openpyxl opens it
            raise InputError("清单 XLSX 解压后过大，疑似压缩炸弹", code="manifest_too_large")
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"无法读取 XLSX 清单：{type(exc).__name__}", code="manifest_unreadable") from exc
    try:
        ws = wb.worksheets[0]
        table: list[tuple[int, list[str]]] = []
        for idx, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells = [_cell(c) for c in row]
            if any(c.strip() for c in cells):
                table.append((idx, cells))
    finally:
        wb.close()
    return table


def _csv_rows(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row; UTF-8 (BOM) or GB18030 as Excel saves it."""
    from integrity.ingest.txt import decode_text

    try:
        text, _ = decode_text(data)
    except InputError as exc:
        raise InputError(f"无法读取清单 {name}：{exc.message}", code="manifest_unreadable") from exc
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    table: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                table.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(
            f"清单 CSV 格式错误（第 {reader.line_num} 行）：{exc}", code="manifest_unreadable"
        ) from exc
    return table
