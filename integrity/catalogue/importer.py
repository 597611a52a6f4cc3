"""``integrity catalogue import FILE``: add or update a list without touching code.

Why a documented CSV: provinces publish their own catalogues (省级期刊目录, 省权威期刊目录) and a press-
administration (国家新闻出版署) registry export would be a table too; none ships in machine-readable form
here, so this is the format they are converted to. The whole file is validated first and written in one
transaction — a file with any bad row changes nothing. Format (UTF-8, header row; see
corpora/catalogue/MANIFEST.md):

    # list_id: provincial_authority:gansu      ← metadata lines (or the matching CLI options)
    # title: 甘肃省权威期刊目录
    # kind: provincial_authority   ← period|provincial|provincial_authority|registry|warning
    # version: 2017
    # source: 甘肃省职改办 2017 年公布目录（手工录入）
    # licence: public notice
    # snapshot: 2017-06-01
    name,issn,cn,start_year,end_year,status,ceased_year,successor,former_names,electronic,grade,note
    甘肃社会科学,1003-3637,62-1093/C,2017,2018,,,,,,,
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from integrity.catalogue import schema
from integrity.catalogue.identifiers import check_cn, check_issn, normalise_name
from integrity.errors import CatalogueError

IMPORTABLE_KINDS = ("period", "provincial", "provincial_authority", "registry", "warning")
COLUMNS = (
    "name",
    "issn",
    "cn",
    "start_year",
    "end_year",
    "status",
    "ceased_year",
    "successor",
    "former_names",
    "electronic",
    "grade",
    "note",
)
_TRUE = {"1", "true", "yes", "是", "y"}
_FALSE = {"", "0", "false", "no", "否", "n"}


class ListMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: str = Field(pattern=r"^[a-z][a-z0-9_]*(:[a-z0-9_-]+)?$")
    title: str = Field(min_length=1)
    kind: str
    version: str = Field(min_length=1)
    source: str = Field(min_length=1)
    licence: str | None = None
    snapshot: date | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in IMPORTABLE_KINDS:
            raise ValueError(f"kind 须为 {', '.join(IMPORTABLE_KINDS)} 之一")
        return value

    @field_validator("list_id")
    @classmethod
    def _not_builtin(cls, value: str) -> str:
        if value in schema.BUILTIN_LISTS:
            raise ValueError(f"{value} 是内置名录，只能由 integrity catalogue build 重建")
        return value


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    issn: str | None = None
    cn: str | None = None
    start_year: int | None = Field(default=None, ge=1949, le=2100)
    end_year: int | None = Field(default=None, ge=1949, le=2100)
    status: str = "active"
    ceased_year: int | None = Field(default=None, ge=1900, le=2100)
    successor: str | None = None
    former_names: list[str] = Field(default_factory=list)
    electronic: bool = False
    grade: str | None = None
    note: str | None = None

    @field_validator("issn")
    @classmethod
    def _issn(cls, value: str | None) -> str | None:
        if not value:
            return None
        checked = check_issn(value)
        if not checked.valid:
            raise ValueError(checked.reason)
        return checked.normalised

    @field_validator("cn")
    @classmethod
    def _cn(cls, value: str | None) -> str | None:
        if not value:
            return None
        checked = check_cn(value)
        if not checked.valid:
            raise ValueError(checked.reason)
        return checked.normalised

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        value = {"": "active", "正常": "active", "停刊": "ceased", "合并": "merged"}.get(value, value)
        if value not in ("active", "ceased", "merged"):
            raise ValueError("status 须为 active/ceased/merged（或 正常/停刊/合并）")
        return value

    @model_validator(mode="after")
    def _years(self) -> ImportRow:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValueError("end_year 早于 start_year")
        if self.ceased_year and self.status == "active":
            self.status = "ceased"
        return self


@dataclass
class ImportResult:
    list_id: str
    version: str
    rows: int
    matched: int
    created: int
    unchanged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _parse(text: str) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    meta: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        if line.startswith("#"):
            m = re.match(r"^#\s*([a-z_]+)\s*:\s*(.*?)\s*$", line)
            if m:
                meta[m.group(1)] = m.group(2)
            body_start = i + 1
        elif line.strip():
            break
        else:
            body_start = i + 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[body_start:])))
    if reader.fieldnames is None or "name" not in reader.fieldnames:
        raise CatalogueError("导入文件缺少表头或 name 列（格式见 corpora/catalogue/MANIFEST.md）")
    unknown = [c for c in reader.fieldnames if c not in COLUMNS]
    if unknown:
        raise CatalogueError(f"导入文件含未知列 {unknown}；允许的列：{', '.join(COLUMNS)}")
    rows = [(body_start + 1 + n, r) for n, r in enumerate(reader, start=1)]
    return meta, rows


def _row(raw: dict[str, str]) -> ImportRow:
    data: dict[str, Any] = {k: (v or "").strip() for k, v in raw.items() if k}
    for key in ("start_year", "end_year", "ceased_year"):
        data[key] = data.get(key) or None
    for key in ("issn", "cn", "successor", "grade", "note"):
        data[key] = data.get(key) or None
    data["former_names"] = [
        x.strip() for x in re.split(r"[;；]", data.get("former_names") or "") if x.strip()
    ]
    flag = (data.get("electronic") or "").lower()
    if flag not in _TRUE | _FALSE:
        raise ValueError(f"electronic 须为 0/1 或 是/否，而不是 “{flag}”")
    data["electronic"] = flag in _TRUE
    data["status"] = data.get("status") or "active"
    return ImportRow.model_validate(data)


def import_list(db_path: Path, file: Path, overrides: dict[str, str | None] | None = None) -> ImportResult:
    """Validate ``file`` completely, then apply it to the catalogue at ``db_path`` in one transaction."""
    try:
        raw = Path(file).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CatalogueError(f"无法读取导入文件 {file}：{exc}") from exc
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"导入文件 {file} 不是 UTF-8 编码（{exc.reason}）") from exc
    meta, raw_rows = _parse(text)
    meta.update({k: v for k, v in (overrides or {}).items() if v})
    try:
        list_meta = ListMeta.model_validate(meta)
    except ValidationError as exc:
        problems = "；".join(f"{'.'.join(map(str, e['loc'])) or '元数据'}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"导入文件元数据不完整或无效：{problems}", code="import_invalid") from exc
    rows: list[ImportRow] = []
    errors: list[str] = []
    for line, r in raw_rows:
        try:
            row = _row(r)
        except ValidationError as exc:
            errors.extend(f"第 {line} 行 {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            continue
        except ValueError as exc:
            errors.append(f"第 {line} 行: {exc}")
            continue
        if list_meta.kind in ("period", "warning") and row.start_year is None:
            errors.append(f"第 {line} 行: {list_meta.kind} 类名录须给出 start_year")
            continue
        rows.append(row)
    if not rows and not errors:
        errors.append("导入文件没有数据行")
    if errors:
        shown = "；".join(errors[:20]) + (f"；……共 {len(errors)} 处错误" if len(errors) > 20 else "")
        raise CatalogueError(
            f"导入文件 {Path(file).name} 校验失败，未做任何修改：{shown}", code="import_invalid"
        )
    sha = hashlib.sha256(raw).hexdigest()
    if not Path(db_path).is_file():
        raise CatalogueError(f"期刊目录文件不存在：{db_path}")
    conn = sqlite3.connect(db_path)
    try:
        return _apply(conn, list_meta, rows, sha)
    finally:
        conn.close()


def _find(conn: sqlite3.Connection, row: ImportRow) -> int | None:
    if row.issn:
        hit = conn.execute("SELECT id FROM journals WHERE issn=? ORDER BY id", (row.issn,)).fetchall()
        if len(hit) == 1:
            return int(hit[0][0])
    if row.cn:
        hit = conn.execute("SELECT id FROM journals WHERE cn=? ORDER BY id", (row.cn,)).fetchall()
        if len(hit) == 1:
            return int(hit[0][0])
    hit = conn.execute(
        "SELECT journal_id FROM names WHERE key=? ORDER BY kind='former', journal_id",
        (normalise_name(row.name),),
    ).fetchall()
    return int(hit[0][0]) if hit else None


def _apply(conn: sqlite3.Connection, meta: ListMeta, rows: list[ImportRow], sha: str) -> ImportResult:
    existing = conn.execute(
        "SELECT version, sha256, kind FROM lists WHERE list_id=?", (meta.list_id,)
    ).fetchone()
    if existing is not None:
        if existing[2] != meta.kind:
            raise CatalogueError(f"名录 {meta.list_id} 已存在且类型为 {existing[2]}，不能改为 {meta.kind}")
        if existing[0] == meta.version:
            if existing[1] == sha:
                return ImportResult(meta.list_id, meta.version, len(rows), 0, 0, unchanged=True)
            raise CatalogueError(
                f"名录 {meta.list_id} 的版本 {meta.version} 已导入且内容不同：修改内容时请提高 version",
                code="import_version_conflict",
            )
    matched = created = 0
    with conn:
        conn.execute("DELETE FROM memberships WHERE list_id=?", (meta.list_id,))
        for row in rows:
            journal_id = _find(conn, row)
            if journal_id is None:
                (journal_id,) = conn.execute("SELECT COALESCE(MAX(id),0)+1 FROM journals").fetchone()
                conn.execute(
                    "INSERT INTO journals(id,name,issn,cn,status,ceased_year,excluded_kind,origin) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    (
                        journal_id,
                        row.name,
                        row.issn,
                        row.cn,
                        row.status,
                        row.ceased_year,
                        "electronic" if row.electronic else None,
                        meta.list_id,
                    ),
                )
                conn.execute(
                    "INSERT INTO names VALUES (?,?,?,?)",
                    (journal_id, row.name, normalise_name(row.name), "current"),
                )
                created += 1
            else:
                matched += 1
                if meta.kind == "registry":
                    _update_from_registry(conn, journal_id, row)
            for former in row.former_names:
                conn.execute(
                    "INSERT INTO names SELECT ?,?,?,'former' WHERE NOT EXISTS "
                    "(SELECT 1 FROM names WHERE journal_id=? AND key=?)",
                    (journal_id, former, normalise_name(former), journal_id, normalise_name(former)),
                )
            conn.execute(
                "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
                (
                    journal_id,
                    meta.list_id,
                    row.start_year,
                    row.end_year if row.end_year is not None else row.start_year,
                    f"{row.start_year}-{row.end_year}" if row.start_year else meta.version,
                    row.grade,
                    row.note or f"imported {meta.list_id}@{meta.version}",
                ),
            )
        for row in rows:
            if row.successor and meta.kind == "registry":
                _link_successor(conn, row)
        conn.execute(
            "INSERT OR REPLACE INTO lists(list_id,title,kind,version,snapshot,source,licence,sha256,rows) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (
                meta.list_id,
                meta.title,
                meta.kind,
                meta.version,
                meta.snapshot.isoformat() if meta.snapshot else None,
                meta.source,
                meta.licence,
                sha,
                len(rows),
            ),
        )
        _bump_version(conn)
    return ImportResult(meta.list_id, meta.version, len(rows), matched, created)


def _update_from_registry(conn: sqlite3.Connection, journal_id: int, row: ImportRow) -> None:
    """A registry row is the authority on identifiers and status: it overwrites what it gives."""
    sets = {"status": row.status}
    if row.issn:
        sets["issn"] = row.issn
    if row.cn:
        sets["cn"] = row.cn
    assignments = ", ".join(f"{k}=?" for k in sets)
    conn.execute(f"UPDATE journals SET {assignments} WHERE id=?", (*sets.values(), journal_id))
    conn.execute("UPDATE journals SET ceased_year=? WHERE id=?", (row.ceased_year, journal_id))
    if row.electronic:
        conn.execute("UPDATE journals SET excluded_kind='electronic' WHERE id=?", (journal_id,))


def _link_successor(conn: sqlite3.Connection, row: ImportRow) -> None:
    journal_id = _find(conn, row)
    successor = row.successor or ""
    checked = check_issn(successor)
    if checked.valid:
        hit = conn.execute(
            "SELECT id FROM journals WHERE issn=? ORDER BY id", (checked.normalised,)
        ).fetchone()
    else:
        hit = conn.execute(
            "SELECT journal_id FROM names WHERE key=? AND journal_id<>? ORDER BY kind<>'current', journal_id",
            (normalise_name(successor), journal_id),
        ).fetchone()
    if hit is None:
        raise CatalogueError(f"“{row.name}”的继承刊“{successor}”不在目录中：请先导入继承刊或在同一文件中列出")
    conn.execute("UPDATE journals SET successor_id=? WHERE id=?", (hit[0], journal_id))


def _bump_version(conn: sqlite3.Connection) -> None:
    """catalogue_version = build version + digest of imported lists, so verdicts name the exact data."""
    base = conn.execute("SELECT value FROM meta WHERE key='base_version'").fetchone()
    if base is None:
        current = conn.execute("SELECT value FROM meta WHERE key='catalogue_version'").fetchone()
        base_value = current[0] if current else "unknown"
        conn.execute("INSERT INTO meta VALUES ('base_version', ?)", (base_value,))
    else:
        base_value = base[0]
    builtin = tuple(schema.BUILTIN_LISTS)
    placeholders = ",".join("?" * len(builtin))
    imported = conn.execute(
        f"SELECT list_id, version, sha256 FROM lists WHERE list_id NOT IN ({placeholders}) ORDER BY list_id",
        builtin,
    ).fetchall()
    digest = hashlib.sha256(repr(imported).encode()).hexdigest()[:8]
    conn.execute(
        "INSERT OR REPLACE INTO meta VALUES ('catalogue_version', ?)", (f"{base_value}+imports-{digest}",)
    )
