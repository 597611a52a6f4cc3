"""The journal catalogue at run time: lookups by ISSN, CN and name, and tiers by year.

Why in memory: the service looks journals up for every paper; ~11k journals load from SQLite in well
under a second, once per process (``Catalogue.open`` caches by path and file version), and lookups are
then dictionary hits. The TF-IDF index for fuzzy names is built lazily on the first fuzzy lookup.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.catalogue.identifiers import (
    check_cn,
    check_issn,
    normalise_cn,
    normalise_issn,
    normalise_name,
    strip_trailing_qualifiers,
)
from integrity.catalogue.tiers import (
    ListInfo,
    Membership,
    TierStatus,
    edition_status,
    listed_status,
    period_status,
    warning_status,
)
from integrity.errors import CatalogueError

DEFAULT_CORE_LISTS = ("pku_core", "cssci", "cscd")
EXCLUDED_LABELS = {
    "electronic": "电子期刊",
    "internal": "内部期刊（无国内统一连续出版物号）",
    "proceedings": "论文集",
    "special": "专辑",
}


@dataclass
class Journal:
    id: int
    name: str
    issn: str | None
    cn: str | None
    raw_cn: str | None
    status: str
    ceased_year: int | None
    successor_id: int | None
    excluded_kind: str | None
    publication_type: str | None
    language: str | None
    sponsor: str | None
    frequency: str | None
    place: str | None
    founded: int | None
    cnki_code: str | None
    origin: str
    former_names: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "issn": self.issn,
            "cn": self.cn,
            "raw_cn": self.raw_cn,
            "status": self.status,
            "ceased_year": self.ceased_year,
            "successor_id": self.successor_id,
            "excluded_kind": self.excluded_kind,
            "former_names": list(self.former_names),
            "sponsor": self.sponsor,
            "place": self.place,
            "frequency": self.frequency,
            "language": self.language,
            "founded": self.founded,
            "publication_type": self.publication_type,
            "cnki_code": self.cnki_code,
            "url": f"https://navi.cnki.net/knavi/journals/{self.cnki_code}/detail"
            if self.cnki_code
            else None,
            "origin": self.origin,
            "lists": sorted({f"{m.list_id}:{m.edition}" for m in self.memberships}),
        }


@dataclass
class LevelAssessment:
    """The level a journal earns in a year from the catalogue alone (the policy adds issue-level rules)."""

    level: str | None  # core | provincial | None
    core: bool | None  # None: cannot be known for that year
    core_basis: list[str]
    provincial_evidence: str | None
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "core": self.core,
            "core_basis": list(self.core_basis),
            "provincial_evidence": self.provincial_evidence,
            "reasons": list(self.reasons),
        }


@dataclass
class JournalMatch:
    """One catalogue hit for a query, with its tiers in ``year`` when a year was given."""

    journal: Journal
    matched_by: str  # issn | cn | name | former_name | alias | fuzzy_name
    score: float
    query: str
    year: int | None = None
    tiers: list[TierStatus] = field(default_factory=list)
    level: LevelAssessment | None = None
    successor: Journal | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matched_by": self.matched_by,
            "score": round(self.score, 4),
            "year": self.year,
            "journal": self.journal.to_dict(),
            "successor": self.successor.to_dict() if self.successor else None,
            "tiers": [t.to_dict() for t in self.tiers],
            "level": self.level.to_dict() if self.level else None,
        }


_ISSN_QUERY = re.compile(r"^\s*(ISSN)?\s*\d{4}\s*-?\s*\d{3}[\dXx]\s*$", re.IGNORECASE)
_CN_QUERY = re.compile(r"^\s*(CN)?\s*\d{2}\s*-\s*\S+", re.IGNORECASE)

_cache: dict[tuple[str, int, int], Catalogue] = {}
_cache_lock = threading.Lock()


class Catalogue:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.meta = {k: v for k, v in conn.execute("SELECT key, value FROM meta")}
        self.lists: dict[str, ListInfo] = {
            r[0]: ListInfo(*r)
            for r in conn.execute(
                "SELECT list_id,title,kind,version,snapshot,source,licence,rows FROM lists ORDER BY list_id"
            )
        }
        self.pku_editions = [int(x) for x in self.meta.get("pku_editions", "").split(",") if x]
        self._journals: dict[int, Journal] | None = None
        self._by_key: dict[str, list[tuple[int, str]]] = {}
        self._by_issn: dict[str, list[int]] = {}
        self._by_cn: dict[str, list[int]] = {}
        self._by_base: dict[str, list[int]] = {}  # current names without trailing （…） qualifiers
        self._periods: dict[str, list[tuple[int, int]]] = {}
        self._load_lock = threading.Lock()
        self._fuzzy: tuple[Any, Any, list[str]] | None = None
        self._fuzzy_lock = threading.Lock()

    @property
    def journals(self) -> dict[int, Journal]:
        """All journals by id; the rows are read on first use, so a check without journal metadata
        (or ``catalogue stats``) does not pay for loading them."""
        if self._journals is None:
            with self._load_lock:
                if self._journals is None:
                    self._load()
        assert self._journals is not None
        return self._journals

    def _ensure(self) -> None:
        self.journals  # noqa: B018 - loads the rows on first use

    def _load(self) -> None:
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise CatalogueError(f"无法打开期刊目录文件：{self.path}（{exc}）") from exc
        try:
            self._load_rows(conn)
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"期刊目录文件损坏或不是目录数据库：{self.path}（{exc}）") from exc
        finally:
            conn.close()

    def _load_rows(self, conn: sqlite3.Connection) -> None:
        journals: dict[int, Journal] = {}

        cols = (
            "id,name,issn,cn,raw_cn,status,ceased_year,successor_id,excluded_kind,publication_type,language,"
            "sponsor,frequency,place,founded,cnki_code,origin"
        )
        for row in conn.execute(f"SELECT {cols} FROM journals ORDER BY id"):
            journals[row[0]] = Journal(*row)

        for journal_id, name, key, kind in conn.execute(
            "SELECT journal_id,name,key,kind FROM names ORDER BY rowid"
        ):
            journal = journals.get(journal_id)
            if journal is None:
                continue
            if kind == "former":
                journal.former_names.append(name)
            elif kind == "alias":
                journal.aliases.append(name)
            self._by_key.setdefault(key, []).append((journal_id, kind))
            if kind == "current":
                for base in strip_trailing_qualifiers(name):
                    self._by_base.setdefault(normalise_name(base), []).append(journal_id)
        for row in conn.execute(
            "SELECT journal_id,list_id,start_year,end_year,edition,grade,note FROM memberships ORDER BY rowid"
        ):
            if row[0] in journals:
                journals[row[0]].memberships.append(Membership(*row[1:]))

        for j in journals.values():
            if j.issn:
                self._by_issn.setdefault(j.issn, []).append(j.id)
            if j.cn:
                self._by_cn.setdefault(j.cn, []).append(j.id)

        for list_id, start, end in conn.execute(
            "SELECT DISTINCT list_id,start_year,end_year FROM memberships WHERE start_year IS NOT NULL"
        ):
            self._periods.setdefault(list_id, []).append((start, end if end is not None else start))
        if not journals or not self._by_key:
            # an empty or half-written file (e.g. read while a rebuild replaces it) must not look like
            # "journal not found" for every paper
            raise CatalogueError(f"期刊目录为空或未写完：{self.path}；请重新运行 integrity catalogue build")
        self._journals = journals

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | Any | None = None) -> Catalogue:
        """The catalogue at ``path`` (default: settings.catalogue_path), loaded once per file version.

        A ``Settings`` object is accepted too (its ``catalogue_path`` is used)."""
        if path is None:
            from integrity.settings import get_settings

            path = get_settings().catalogue_path
        elif hasattr(path, "catalogue_path"):
            path = path.catalogue_path
        path = Path(path).resolve()
        try:
            stat = path.stat()
        except OSError as exc:
            raise CatalogueError(
                f"期刊目录文件不存在：{path}（请运行 integrity catalogue build --from <数据目录>）"
            ) from exc
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                return cached
            try:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                try:
                    catalogue = cls(path, conn)
                finally:
                    conn.close()
            except sqlite3.DatabaseError as exc:
                raise CatalogueError(f"期刊目录文件损坏或不是目录数据库：{path}（{exc}）") from exc
            for old in [k for k in _cache if k[0] == str(path)]:
                del _cache[old]
            _cache[key] = catalogue
            return catalogue

    @property
    def version(self) -> str:
        return self.meta.get("catalogue_version", "unknown")

    def describe(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "version": self.version,
            "schema_version": self.meta.get("schema_version"),
            "journals": len(self.journals),
            "lists": {
                k: {"title": v.title, "version": v.version, "rows": v.rows} for k, v in self.lists.items()
            },
        }

    # --- lookups ---------------------------------------------------------------------------------
    def get(self, journal_id: int) -> Journal | None:
        return self.journals.get(journal_id)

    def by_issn(self, issn: str, year: int | None = None) -> list[JournalMatch]:
        self._ensure()
        canon = normalise_issn(issn)
        if canon is None:
            return []
        return [self._match(self.journals[i], "issn", 1.0, issn, year) for i in self._by_issn.get(canon, [])]

    def by_cn(self, cn: str, year: int | None = None) -> list[JournalMatch]:
        self._ensure()
        canon = normalise_cn(cn)
        if canon is None:
            return []
        return [self._match(self.journals[i], "cn", 1.0, cn, year) for i in self._by_cn.get(canon, [])]

    def by_name(
        self, name: str, year: int | None = None, fuzzy: bool = True, limit: int = 5, min_score: float = 0.5
    ) -> list[JournalMatch]:
        """Exact current names, then former names/aliases; fuzzy TF-IDF candidates only when none match."""
        self._ensure()
        key = normalise_name(name)
        if not key:
            return []
        hits: list[JournalMatch] = []
        seen: set[int] = set()
        # a running header often pairs both titles (原子与分子物理学报 JOURNAL OF ATOMIC AND MOLECULAR
        # PHYSICS): when the whole string is unknown, its Chinese part and then its Latin part are tried
        keys = [key]
        if key not in self._by_key and re.search(r"[a-z]", key) and re.search(r"[\u3400-\u9fff]", key):
            keys += [re.sub(r"[a-z0-9]+", "", key), re.sub(r"[^a-z0-9]+", "", key)]
        for variant in keys:
            for kind in ("current", "former", "alias"):
                for journal_id, k in self._by_key.get(variant, []):
                    if k == kind and journal_id not in seen:
                        seen.add(journal_id)
                        how = {"current": "name", "former": "former_name", "alias": "alias"}[kind]
                        hits.append(self._match(self.journals[journal_id], how, 1.0, name, year))
            if hits:
                return hits
        # 《数学年刊·A辑》 for 数学年刊A辑(中文版), 《国际商务》 for 国际商务(对外经济贸易大学学报): the name
        # without the catalogue's qualifier; several editions (西藏大学学报 …) are all returned, scored lower
        base_ids = list(dict.fromkeys(self._by_base.get(key, [])))
        score = 0.95 if len(base_ids) == 1 else 0.9
        for journal_id in base_ids:
            hits.append(self._match(self.journals[journal_id], "name_without_qualifier", score, name, year))
        if hits or not fuzzy:
            return hits
        for journal_id, score in self.fuzzy_candidates(key, limit, min_score):
            hits.append(self._match(self.journals[journal_id], "fuzzy_name", score, name, year))
        return hits

    def fuzzy_candidates(self, key: str, limit: int = 5, min_score: float = 0.5) -> list[tuple[int, float]]:
        """Character 1–3-gram TF-IDF cosine over all current and former names (scikit-learn)."""
        vec, matrix, keys = self._fuzzy_index()
        scores = (matrix @ vec.transform([key]).T).toarray().ravel()
        out: list[tuple[int, float]] = []
        seen: set[int] = set()
        for i in scores.argsort()[::-1][: limit * 4]:
            score = float(scores[i])
            if score < min_score:
                break
            for journal_id, _kind in self._by_key.get(keys[int(i)], []):
                if journal_id not in seen:
                    seen.add(journal_id)
                    out.append((journal_id, score))
            if len(out) >= limit:
                break
        return out[:limit]

    def _fuzzy_index(self) -> tuple[Any, Any, list[str]]:
        self._ensure()
        with self._fuzzy_lock:
            if self._fuzzy is None:
                from sklearn.feature_extraction.text import TfidfVectorizer

                keys = sorted(self._by_key)
                vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
                matrix = vec.fit_transform(keys)
                self._fuzzy = (vec, matrix, keys)
            return self._fuzzy

    def lookup(self, query: str, year: int | None = None) -> list[JournalMatch]:
        """ISSN, CN or name, whichever the query looks like; an invalid ISSN/CN raises a clear error."""
        query = (query or "").strip()
        if not query:
            raise CatalogueError("查询内容为空：请给出 ISSN、CN 或期刊名称")
        if _ISSN_QUERY.match(query):
            checked = check_issn(query)
            if not checked.valid:
                raise CatalogueError(checked.reason, code="invalid_issn")
            return self.by_issn(query, year)
        if (_CN_QUERY.match(query) and "/" in query) or re.match(r"^CN\s*\d", query, re.IGNORECASE):
            checked_cn = check_cn(query)
            if not checked_cn.valid:
                raise CatalogueError(checked_cn.reason, code="invalid_cn")
            return self.by_cn(query, year)
        return self.by_name(query, year)

    # --- tiers -----------------------------------------------------------------------------------
    def _match(self, journal: Journal, how: str, score: float, query: str, year: int | None) -> JournalMatch:
        successor = self.journals.get(journal.successor_id) if journal.successor_id else None
        match = JournalMatch(journal, how, score, query, year, successor=successor)
        if year is not None:
            match.tiers = self.tiers(journal, year)
            match.level = self.level(journal, year)
        return match

    def tiers(self, journal: Journal, year: int, edition_lag: int = 0) -> list[TierStatus]:
        """Status in every list the catalogue knows that applies to this journal in ``year``."""
        self._ensure()
        out: list[TierStatus] = []
        by_list: dict[str, list[Membership]] = {}
        for m in journal.memberships:
            by_list.setdefault(m.list_id, []).append(m)
        for list_id, info in self.lists.items():
            rows = by_list.get(list_id, [])
            if info.kind == "edition":
                out.append(edition_status(info, self.pku_editions, rows, year, edition_lag))
            elif info.kind == "warning":
                status = warning_status(info, rows, year)
                if status is not None:
                    out.append(status)
            elif info.kind == "registry":
                continue
            elif info.kind in ("provincial", "provincial_authority") and rows:
                out.append(listed_status(info, rows, year))
            elif rows or list_id in DEFAULT_CORE_LISTS:
                out.append(period_status(info, self._periods.get(list_id, []), rows, year))
        return out

    def _provincial_evidence(self, journal: Journal) -> str | None:
        """Why the journal counts as a registered serial: an imported registry, a provincial list, else
        CNKI + a valid CN (seed 003: 以国家新闻出版总署网站公布的期刊结果为准; no such registry here)."""
        kinds = {m.list_id: self.lists[m.list_id] for m in journal.memberships if m.list_id in self.lists}
        registry = [i for i in kinds.values() if i.kind == "registry" and i.list_id != "cnki"]
        if registry and journal.cn:
            return f"{registry[0].title}（版本 {registry[0].version}）登记该刊，CN {journal.cn}"
        provincial = [i for i in kinds.values() if i.kind == "provincial"]
        if provincial:
            return f"{provincial[0].title}（版本 {provincial[0].version}）收录该刊"
        if journal.cn:
            origin = self.lists.get(journal.origin)
            where = origin.title if origin else journal.origin
            return (
                f"{where}收录该刊且 CN {journal.cn} 格式有效"
                "（暂无国家新闻出版署期刊登记数据，以知网目录收录作为登记证据）"
            )
        return None

    def level(
        self,
        journal: Journal,
        year: int,
        core_lists: tuple[str, ...] | list[str] = DEFAULT_CORE_LISTS,
        edition_lag: int = 0,
        excluded_kinds: Collection[str] = tuple(EXCLUDED_LABELS),
    ) -> LevelAssessment:
        """Core if any of ``core_lists`` holds the journal in ``year``; provincial if it has a CN.

        Journals of an ``excluded_kinds`` kind (electronic, internal, proceedings, special) earn no level;
        a policy that accepts electronic journals passes a smaller set."""
        reasons: list[str] = []
        tiers = {t.list_id: t for t in self.tiers(journal, year, edition_lag)}
        basis = [f"{t.title} {t.basis}" for lid in core_lists if (t := tiers.get(lid)) and t.member]
        unknown = [lid for lid in core_lists if (t := tiers.get(lid)) and t.member is None]
        core: bool | None = True if basis else (None if unknown else False)
        for lid in core_lists:
            t = tiers.get(lid)
            if t is not None:
                reasons.append(f"{t.title}：{t.reason}")
        if journal.excluded_kind and journal.excluded_kind in excluded_kinds:
            label = EXCLUDED_LABELS.get(journal.excluded_kind, journal.excluded_kind)
            reasons.append(f"该刊为{label}，核心期刊和省级期刊均不予认可")
            return LevelAssessment(None, core, basis, None, reasons)
        evidence = self._provincial_evidence(journal)
        if core:
            return LevelAssessment("core", True, basis, evidence, reasons)
        if evidence:
            reasons.append(f"非核心期刊；{evidence}，按省级期刊认定")
            return LevelAssessment("provincial", core, basis, evidence, reasons)
        reasons.append("目录中该刊没有国内统一连续出版物号（CN），无法认定为省级期刊")
        return LevelAssessment(None, core, basis, None, reasons)
