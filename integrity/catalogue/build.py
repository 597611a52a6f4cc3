"""Build ``corpora/catalogue/catalogue.sqlite`` from the source snapshots (``integrity catalogue build``).

Why a script: the shipped file must be reproducible from the files named in its MANIFEST, so a reviewer
can rebuild it and get the same rows. No clock is read; versions come from the sources' snapshot dates.

Sources (see /work/shared/data/MANIFEST.md):
- ``cnki_journals_<date>.csv``: the registry of journals (name, ISSN, CN, status, former names) and the
  北大核心 edition history (1992–2020), CSSCI 2021–2022 and CSCD 2023–2024 from 收录信息详细;
- ``pku_core_2023_10th.json``: the 2023 (10th) 北大核心 edition, joined by name;
- ``cssci_2025-2026_full.csv``: CSSCI 2025–2026 source and extended lists, joined by name;
- ``cas_warning_list_<year>.csv``: CAS early-warning lists of international journals;
- ``editions/pku_core_2020_9th.csv``: the full 2020 (9th) 北大核心 list (1,990 journals; CNKI's field lacks
  the 2020 flag for 99 of them) and ``editions/cssci_2021-2022.csv`` (615 来源 + 229 扩展版), joined by
  ISSN, else by name; they only add memberships the CNKI field lacks.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.catalogue import schema
from integrity.catalogue.identifiers import (
    check_cn,
    is_electronic_cn,
    normalise_issn,
    normalise_name,
    osa_distance,
    strip_trailing_qualifiers,
)
from integrity.errors import CatalogueError

PKU_EDITIONS = (1992, 1996, 2000, 2004, 2008, 2011, 2014, 2017, 2020, 2023)
_PKU_RE = re.compile(r"要目总览》来源期刊：([^;]*)")
_PKU_EDITION_RE = re.compile(r"(\d{4})年")
_CSSCI_RE = re.compile(r"CSSCI 中文社会科学引文索引\((\d{4})-(\d{4})\)来源(期刊|集刊)(\(扩展版\))?")
_CSCD_RE = re.compile(r"CSCD 中国科学引文数据库来源期刊\((\d{4})-(\d{4})年度\)(\(扩展版\))?")
_RENAMED_RE = re.compile(r"^(.*?)[(（]改名为[:：](.*)[)）]$")


@dataclass
class _Row:
    id: int
    name: str
    issn: str | None
    cn: str | None
    status: str
    has_lists: set[str] = field(default_factory=set)


class _Index:
    """Name/ISSN/CN index over the rows built so far, used to join lists that only give names."""

    def __init__(self) -> None:
        self.rows: dict[int, _Row] = {}
        self.by_key: dict[str, list[int]] = {}
        self.by_former: dict[str, list[int]] = {}
        self.by_base: dict[str, list[int]] = {}
        self._fuzzy: tuple[Any, Any, list[int]] | None = None

    def add(self, row: _Row, formers: Iterable[str]) -> None:
        self.rows[row.id] = row
        for key in _keys(row.name):
            self.by_key.setdefault(key, []).append(row.id)
        for base in strip_trailing_qualifiers(row.name):
            for key in _keys(base):
                self.by_base.setdefault(key, []).append(row.id)
        for former in formers:
            for key in _keys(former):
                self.by_former.setdefault(key, []).append(row.id)
        # the fuzzy index is fitted once, on first use (after the registry rows): rows created later for
        # unmatched list entries are not typo targets, and refitting per row made the build 10 s slower

    def resolve(self, name: str, prefer: Callable[[_Row], bool], fuzzy: bool = True) -> tuple[list[int], str]:
        """Journal ids a list entry names, and how they were found (exact → former → qualifier → fuzzy)."""
        candidates = [name]
        m = _RENAMED_RE.match(name)
        if m:  # "旧名（改名为：新名）": the new name is the journal's current name
            candidates = [m.group(2), m.group(1)]
        for how, index in (("name", self.by_key), ("former_name", self.by_former)):
            for cand in candidates:
                ids = _pick(_lookup(index, cand), self.rows, prefer)
                if ids:
                    return ids, how
        for cand in candidates:
            variants = [cand, *strip_trailing_qualifiers(cand, editions=False)]
            for variant in variants:
                for index in (self.by_key, self.by_base):
                    ids = _pick(_lookup(index, variant), self.rows, prefer)
                    if ids:
                        return ids, "name_without_qualifier"
        best = self.fuzzy(candidates[0]) if fuzzy else None
        if best is not None:
            return [best[0]], f"fuzzy_name:{best[1]:.2f}"
        return [], "unmatched"

    def fuzzy(self, name: str) -> tuple[int, float] | None:
        """A typo in a third-party list (太学图书馆学报, 代当世界与社会主义): TF-IDF character n-grams pick
        candidates, and only a unique one that differs by one inserted/deleted character or one swap of
        neighbours is taken (names of ≥ 5 characters). One substituted character already names another
        journal (现代金融研究 / 当代金融研究), and looser similarity joined 民族文学 → 民族文学研究."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        key = normalise_name(name)
        if len(key) < 5:
            return None
        if self._fuzzy is None:
            ids = sorted(self.rows)
            vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
            matrix = vec.fit_transform([normalise_name(self.rows[i].name) for i in ids])
            self._fuzzy = (vec, matrix, ids)
        vec, matrix, ids = self._fuzzy
        q = vec.transform([key])
        scores = (matrix @ q.T).toarray().ravel()
        order = scores.argsort()[::-1][:5]
        close = [int(i) for i in order if _one_gap_or_swap(key, normalise_name(self.rows[ids[int(i)]].name))]
        if len(close) == 1:
            return ids[close[0]], float(scores[close[0]])
        return None


def _one_gap_or_swap(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) == 1:
        return osa_distance(a, b) == 1
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    return False


def _keys(name: str) -> set[str]:
    key = normalise_name(name)
    keys = {key} if key else set()
    if key.endswith("版") and len(key) > 2:  # 美术与设计版 vs 美术与设计
        keys.add(key[:-1])
    return keys


def _lookup(index: dict[str, list[int]], name: str) -> list[int]:
    out: list[int] = []
    for key in _keys(name):
        out.extend(i for i in index.get(key, []) if i not in out)
    return out


def _pick(ids: list[int], rows: dict[int, _Row], prefer: Callable[[_Row], bool]) -> list[int]:
    if len(ids) <= 1:
        return ids
    preferred = [i for i in ids if prefer(rows[i])]
    if preferred:
        return preferred
    active = [i for i in ids if rows[i].status == "active"]
    return active[:1] or ids[:1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _int(value: str) -> int | None:
    m = re.match(r"^\s*(\d{4})", value or "")
    return int(m.group(1)) if m else None


def excluded_kind(name: str, cn: str | None, raw_cn: str | None) -> str | None:
    """Kinds seed 003 never counts: 电子期刊, 内部期刊, 论文集/专辑 (by name or identifier)."""
    if "电子版" in name or "电子期刊" in name or is_electronic_cn(cn):
        return "electronic"
    if raw_cn and check_cn(raw_cn).internal:
        return "internal"
    if re.search(r"论文集$|论文集[(（]", name):
        return "proceedings"
    if name.endswith("专辑"):
        return "special"
    return None


def build_catalogue(source_dir: Path, out_path: Path) -> dict[str, int]:
    """Build a fresh catalogue at ``out_path`` (replaced atomically) and return row counts."""
    source_dir = Path(source_dir)
    cnki_files = sorted(source_dir.glob("cnki_journals_*.csv"))
    if not cnki_files:
        raise CatalogueError(f"在 {source_dir} 中找不到 cnki_journals_*.csv，无法构建期刊目录")
    cnki = cnki_files[-1]
    tmp = out_path.with_suffix(".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if tmp.exists():
        tmp.unlink()
    conn = sqlite3.connect(tmp)
    try:
        schema.create(conn)
        index = _Index()
        counts = {"journals": _load_cnki(conn, index, cnki)}
        pku = source_dir / "pku_core_2023_10th.json"
        if pku.exists():
            counts["pku_core_2023"] = _load_pku_2023(conn, index, pku)
        cssci = source_dir / "cssci_2025-2026_full.csv"
        if cssci.exists():
            counts["cssci_2025"] = _load_cssci_2025(conn, index, cssci)
        counts["cas_warning"] = _load_cas_warning(
            conn, index, sorted(source_dir.glob("cas_warning_list_*.csv"))
        )
        editions = source_dir / "editions"
        if (editions / "pku_core_2020_9th.csv").exists():
            counts["pku_core_2020_added"] = _load_edition_csv(conn, index, editions / "pku_core_2020_9th.csv")
        if (editions / "cssci_2021-2022.csv").exists():
            counts["cssci_2021_added"] = _load_edition_csv(conn, index, editions / "cssci_2021-2022.csv")
        _link_successors(conn)
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('pku_editions', ?)", (",".join(map(str, PKU_EDITIONS)),)
        )
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('built_from', ?)",
            (
                json.dumps(
                    sorted(str(p.relative_to(source_dir)) for p in _sources(source_dir)), ensure_ascii=False
                ),
            ),
        )
        version = hashlib.sha256("".join(_sha256(p) for p in _sources(source_dir)).encode()).hexdigest()[:12]
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('catalogue_version', ?)", (f"{cnki.stem[-10:]}+{version}",)
        )
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    tmp.replace(out_path)
    return counts


def _sources(source_dir: Path) -> list[Path]:
    """The source files a build reads: the top level and ``editions/`` (the catalogue version covers all)."""
    files = [p for p in sorted(source_dir.iterdir()) if p.is_file()]
    editions = source_dir / "editions"
    if editions.is_dir():
        files += [p for p in sorted(editions.iterdir()) if p.is_file()]
    return files


_EDITION_LISTS = {
    "PKU": ("pku_core", "2020第九版全表", "RSSCI/CSSCI pdf/2020版北大核心期刊目录（第九版）.pdf (converted)"),
    "CSSCI": ("cssci", "2021-2022全表", "RSSCI/CSSCI pdf/CSSCI来源期刊目录（2021-2022）.pdf (converted)"),
    "CSSCI-ext": (
        "cssci_extended",
        "2021-2022全表",
        "RSSCI/CSSCI pdf/CSSCI扩展版来源期刊目录（2021-2022）.pdf (converted)",
    ),
}


def _load_edition_csv(conn: sqlite3.Connection, index: _Index, path: Path) -> int:
    """A full edition list (``list,edition,name,issn,cn``): adds the memberships the CNKI field lacks.

    Joined by ISSN (then CN) when the row has one and the registry holds it, else by name like the other
    name-only lists. Returns how many memberships were added.
    """
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sha = _sha256(path)
    added = 0
    touched: set[str] = set()
    for r in rows:
        list_id, version, source = _EDITION_LISTS[r["list"].strip()]
        if list_id not in touched:
            conn.execute(
                "UPDATE lists SET version=version||' + '||?, source=source||' + '||?, sha256=sha256||','||? "
                "WHERE list_id=?",
                (version, source, sha, list_id),
            )
            touched.add(list_id)
        edition = r["edition"].strip()
        start, _, end = edition.partition("-")
        start_year, end_year = int(start), (int(end) if end else None)
        label = f"{start_year}年版" if end_year is None else edition
        name = r["name"].strip()
        ids = _by_identifier(conn, r.get("issn"), r.get("cn"))
        if ids:
            existing = {
                jid
                for (jid,) in conn.execute(
                    f"SELECT journal_id FROM memberships WHERE list_id=? AND start_year=? "
                    f"AND journal_id IN ({','.join('?' * len(ids))})",
                    (list_id, start_year, *ids),
                )
            }
            for jid in ids:
                if jid in existing:
                    continue
                conn.execute(
                    "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
                    (jid, list_id, start_year, end_year, label, None, f"joined by issn/cn: {name}"),
                )
                index.rows[jid].has_lists.add(list_id)
                added += 1
            continue
        found, _how = index.resolve(name, prefer=_prefers(list_id.split("_")[0]))
        if (
            found
            and conn.execute(
                f"SELECT 1 FROM memberships WHERE list_id=? AND start_year=? "
                f"AND journal_id IN ({','.join('?' * len(found))})",
                (list_id, start_year, *found),
            ).fetchone()
        ):
            continue
        _join(conn, index, name, list_id, start_year, end_year, label)
        added += 1
    for list_id in touched:
        _count_rows(conn, list_id)
    return added


def _prefers(family: str) -> Callable[[_Row], bool]:
    """Prefer rows already in a list of the same family (cssci_extended → cssci) when a name is shared."""
    return lambda row: any(x.startswith(family) for x in row.has_lists)


def _by_identifier(conn: sqlite3.Connection, issn: str | None, cn: str | None) -> list[int]:
    issn_n = normalise_issn(issn or "") if issn else None
    if issn_n:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM journals WHERE issn=?", (issn_n,))]
        if ids:
            return ids
    checked = check_cn(cn) if cn else None
    if checked is not None and checked.valid and checked.normalised:
        return [int(r[0]) for r in conn.execute("SELECT id FROM journals WHERE cn=?", (checked.normalised,))]
    return []


def _register_list(
    conn: sqlite3.Connection,
    list_id: str,
    version: str,
    snapshot: str | None,
    source: str,
    licence: str,
    sha: str,
) -> None:
    title, kind = schema.BUILTIN_LISTS[list_id]
    conn.execute(
        "INSERT OR REPLACE INTO lists(list_id,title,kind,version,snapshot,source,licence,sha256,rows) "
        "VALUES (?,?,?,?,?,?,?,?,0)",
        (list_id, title, kind, version, snapshot, source, licence, sha),
    )


def _count_rows(conn: sqlite3.Connection, list_id: str) -> None:
    conn.execute(
        "UPDATE lists SET rows=(SELECT COUNT(*) FROM memberships WHERE list_id=?) WHERE list_id=?",
        (list_id, list_id),
    )


def _load_cnki(conn: sqlite3.Connection, index: _Index, path: Path) -> int:
    snapshot = path.stem.rsplit("_", 1)[-1]
    sha = _sha256(path)
    src = "doublessay/cnki-journal-info dataset (navi.cnki.net scrape)"
    lic = "no licence stated; factual catalogue data"
    _register_list(conn, "cnki", snapshot, snapshot, src, lic, sha)
    for list_id in ("pku_core", "cssci", "cssci_extended", "cssci_collection", "cscd", "cscd_extended"):
        _register_list(conn, list_id, f"cnki-{snapshot}", snapshot, f"{src}: 收录信息详细", lic, sha)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for n, r in enumerate(rows, start=1):
        name = r["期刊名称"].strip()
        raw_cn = r["CN"].strip() or None
        cn = None
        if raw_cn:
            checked = check_cn(raw_cn)
            cn = checked.normalised if checked.valid else None
        issn = normalise_issn(r["ISSN"])
        status = {"停刊": "ceased", "合并": "merged"}.get(r["目前状态"].strip(), "active")
        formers = [x.strip() for x in r["曾用刊名"].split(";") if x.strip()]
        conn.execute(
            "INSERT INTO journals(id,name,issn,cn,raw_cn,status,excluded_kind,publication_type,language,"
            "sponsor,"
            "frequency,place,founded,cnki_code,origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                n,
                name,
                issn,
                cn,
                raw_cn if raw_cn != cn else None,
                status,
                excluded_kind(name, cn, raw_cn),
                r["出版类型"] or None,
                r["语种"] or None,
                r["主办单位"] or None,
                r["出版周期"] or None,
                r["出版地"] or None,
                _int(r["创刊时间"]),
                r["code"] or None,
                "cnki",
            ),
        )
        conn.execute("INSERT INTO names VALUES (?,?,?,?)", (n, name, normalise_name(name), "current"))
        for former in formers:
            conn.execute("INSERT INTO names VALUES (?,?,?,?)", (n, former, normalise_name(former), "former"))
        row = _Row(n, name, issn, cn, status)
        row.has_lists.update(_cnki_memberships(conn, n, r))
        index.add(row, formers)
    for list_id in ("pku_core", "cssci", "cssci_extended", "cssci_collection", "cscd", "cscd_extended"):
        _count_rows(conn, list_id)
    conn.execute("UPDATE lists SET rows=? WHERE list_id='cnki'", (len(rows),))
    return len(rows)


def _cnki_memberships(conn: sqlite3.Connection, journal_id: int, r: dict[str, str]) -> set[str]:
    detail = r["收录信息详细"]
    found: set[str] = set()
    m = _PKU_RE.search(detail)
    editions = sorted({int(y) for y in _PKU_EDITION_RE.findall(m.group(1))}) if m else []
    note = "cnki 收录信息详细"
    if not editions and "北大核心" in r["收录信息"].split(";"):
        # CNKI flags the journal as 北大核心 without an edition history: the edition in force at the
        # snapshot (2020) is the only one we can vouch for.
        editions, note = [2020], "cnki 收录信息 flag without edition history; assumed 2020 edition"
    for year in editions:
        conn.execute(
            "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
            (journal_id, "pku_core", year, None, f"{year}年版", None, note),
        )
        found.add("pku_core")
    for start, end, what, ext in _CSSCI_RE.findall(detail):
        list_id = "cssci_collection" if what == "集刊" else ("cssci_extended" if ext else "cssci")
        conn.execute(
            "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
            (journal_id, list_id, int(start), int(end), f"{start}-{end}", None, "cnki 收录信息详细"),
        )
        found.add(list_id)
    for start, end, ext in _CSCD_RE.findall(detail):
        list_id = "cscd_extended" if ext else "cscd"
        conn.execute(
            "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
            (journal_id, list_id, int(start), int(end), f"{start}-{end}", None, "cnki 收录信息详细"),
        )
        found.add(list_id)
    return found


def _new_journal(conn: sqlite3.Connection, index: _Index, name: str, origin: str) -> int:
    """A journal a list names but the registry does not hold: kept so lookups find it, without ISSN/CN."""
    (next_id,) = conn.execute("SELECT COALESCE(MAX(id),0)+1 FROM journals").fetchone()
    conn.execute(
        "INSERT INTO journals(id,name,status,excluded_kind,origin) VALUES (?,?,?,?,?)",
        (next_id, name, "active", excluded_kind(name, None, None), origin),
    )
    conn.execute("INSERT INTO names VALUES (?,?,?,?)", (next_id, name, normalise_name(name), "current"))
    index.add(_Row(next_id, name, None, None, "active"), [])
    return int(next_id)


def _join(
    conn: sqlite3.Connection,
    index: _Index,
    name: str,
    list_id: str,
    start: int,
    end: int | None,
    edition: str,
    grade: str | None = None,
    create_missing: bool = True,
) -> str:
    family = list_id.split("_")[0]
    ids, how = index.resolve(
        name,
        prefer=lambda row: any(x.startswith(family) for x in row.has_lists),
        fuzzy=list_id != "cas_warning",
    )
    if not ids:
        if not create_missing:
            return how
        m = _RENAMED_RE.match(name)
        ids = [_new_journal(conn, index, (m.group(2) if m else name).strip(), list_id)]
        how = "new_row"
    for journal_id in ids:
        conn.execute(
            "INSERT INTO memberships VALUES (?,?,?,?,?,?,?)",
            (journal_id, list_id, start, end, edition, grade, f"joined by {how}: {name}"),
        )
        index.rows[journal_id].has_lists.add(list_id)
    return how


def _load_pku_2023(conn: sqlite3.Connection, index: _Index, path: Path) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    conn.execute(
        "UPDATE lists SET version=version||' + 2023第十版', source=source||' + zzlb0224/journal-rank-mcp "
        "data/北大核心.json (MIT)', sha256=sha256||','||? WHERE list_id='pku_core'",
        (_sha256(path),),
    )
    names = sorted({j["name_cn"].strip() for j in data["journals"] if j.get("pkua")})
    for name in names:
        _join(conn, index, name, "pku_core", 2023, None, "2023年版")
    _count_rows(conn, "pku_core")
    return len(names)


def _load_cssci_2025(conn: sqlite3.Connection, index: _Index, path: Path) -> int:
    sha = _sha256(path)
    for list_id in ("cssci", "cssci_extended"):
        conn.execute(
            "UPDATE lists SET version=version||' + 2025-2026', source=source||' + zzlb0224/journal-rank-mcp "
            "CSSCI 2025-26 xlsx (MIT)', sha256=sha256||','||? WHERE list_id=?",
            (sha, list_id),
        )
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        name = re.sub(r"\s*\n.*$", "", r["期刊名称"]).strip()  # "财贸研究\n3": xlsx artefact
        list_id = "cssci" if r["目录"].strip() == "来源期刊" else "cssci_extended"
        _join(conn, index, name, list_id, 2025, 2026, "2025-2026")
    _count_rows(conn, "cssci")
    _count_rows(conn, "cssci_extended")
    return len(rows)


def _load_cas_warning(conn: sqlite3.Connection, index: _Index, paths: list[Path]) -> int:
    if not paths:
        return 0
    _register_list(
        conn,
        "cas_warning",
        ",".join(p.stem.rsplit("_", 1)[-1] for p in paths),
        None,
        "zzlb0224/journal-rank-mcp GJQKYJMD{year}.csv (from hitfyd/ShowJCR)",
        "MIT (repo); factual public list",
        ",".join(_sha256(p) for p in paths),
    )
    total = 0
    for path in paths:
        year = int(path.stem.rsplit("_", 1)[-1])
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            for row in reader:
                if not row or not row[0].strip():
                    continue
                grade = row[1].strip() if len(row) > 1 else None
                _join(conn, index, row[0].strip(), "cas_warning", year, year, str(year), grade)
                total += 1
    _count_rows(conn, "cas_warning")
    return total


def _link_successors(conn: sqlite3.Connection) -> None:
    """A merged journal's successor: an active journal with its ISSN or CN, else one naming it as former."""
    merged = conn.execute("SELECT id,name,issn,cn FROM journals WHERE status='merged'").fetchall()
    for journal_id, name, issn, cn in merged:
        succ = conn.execute(
            "SELECT id FROM journals WHERE status='active' AND id<>? AND ((issn IS NOT NULL AND issn=?) "
            "OR (cn IS NOT NULL AND cn=?)) ORDER BY id LIMIT 1",
            (journal_id, issn, cn),
        ).fetchone()
        if succ is None:
            succ = conn.execute(
                "SELECT j.id FROM names n JOIN journals j ON j.id=n.journal_id WHERE n.kind='former' "
                "AND n.key=? AND j.status='active' AND j.id<>? ORDER BY j.id LIMIT 1",
                (normalise_name(name), journal_id),
            ).fetchone()
        if succ is not None:
            conn.execute("UPDATE journals SET successor_id=? WHERE id=?", (succ[0], journal_id))
