"""What every policy rule reads and writes: one ``Context`` per assessed paper.

Why one context: the verdict is an ordered list of small rules (``integrity.policy.rules.RULES``); each
reads the inputs and what earlier rules decided (journal, level, recognised level) and adds findings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from integrity.catalogue import Catalogue, Journal, JournalMatch
from integrity.catalogue.identifiers import to_simplified
from integrity.catalogue.store import LevelAssessment
from integrity.models import ExtractedDocument, Finding, PaperClaims, Severity, SimilarityReport
from integrity.policy.model import Policy

SUPPLEMENT_CODES = re.compile(r"(?<![A-Za-z])(S\d{1,2}|Suppl\.?|Supplement|Z\d)(?![A-Za-z])", re.IGNORECASE)
EPS = 1e-9
# Warnings that stop a verdict at 需核实 instead of 认可: the evidence itself is missing or unreliable.
REVIEW_CODES = ("corpus_too_small", "catalogue_gap")


@dataclass
class Inputs:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str | None] = field(default_factory=dict)

    def take(self, name: str, claimed: Any, doc: ExtractedDocument, meta_name: str | None = None) -> Any:
        if claimed not in (None, "", []):
            self.values[name], self.sources[name] = claimed, "claims"
            return claimed
        meta = getattr(doc.metadata, meta_name or name, None)
        if meta is not None and meta.value not in (None, "", []):
            self.values[name], self.sources[name] = meta.value, f"extracted:{meta.source}"
            return meta.value
        self.values[name], self.sources[name] = None, None
        return None

    def to_dict(self) -> dict[str, Any]:
        return {k: {"value": self.values[k], "source": self.sources.get(k)} for k in self.values}


class Findings:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.items: list[Finding] = []

    def add(self, code: str, severity: Severity, message: str, **detail: Any) -> None:
        self.items.append(Finding(code, severity, message, self.policy.cite(code), detail))

    def has(self, *codes: str) -> bool:
        return any(f.code in codes for f in self.items)

    @property
    def rejects(self) -> list[Finding]:
        return [f for f in self.items if f.severity == "reject"]


@dataclass
class Context:
    """The paper, its claims, the policy and catalogue, and what the rules have decided so far."""

    doc: ExtractedDocument
    similarity: SimilarityReport
    claims: PaperClaims
    policy: Policy
    catalogue: Catalogue
    corpus: dict[str, Any] | None = None
    min_corpus_documents: int = 0
    inputs: Inputs = field(default_factory=Inputs)
    findings: Findings = field(init=False)
    name: Any = None
    issn: Any = None
    cn: Any = None
    year: int | None = None
    published_on: date | None = None
    issue: Any = None
    supplement: Any = None
    authors: list[str] = field(default_factory=list)
    ratio: float = 0.0
    journal: Journal | None = None
    match: JournalMatch | None = None
    candidates: list[JournalMatch] = field(default_factory=list)
    level: LevelAssessment | None = None
    recognised: str | None = None  # the level the paper is recognised at, as the rules go
    journal_level: str | None = None  # the level from the journal alone (before the copy-ratio rule)

    def __post_init__(self) -> None:
        self.findings = Findings(self.policy)


def to_year(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    m = re.search(r"(19|20)\d{2}", str(value or ""))
    return int(m.group(0)) if m else None


def to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def normalise_person(name: str) -> str:
    """Names compared tolerant of spacing, full/half width, traditional characters and footnote marks;
    romanised names also of word order (``Zhang San`` = ``SAN Zhang``)."""
    text = to_simplified(unicodedata.normalize("NFKC", name or "")).lower()
    text = re.sub(r"[\d*＊†‡#,，、;；()（）\[\]]", "", text)
    if re.fullmatch(r"[a-z\s.\-]+", text.strip()):
        return "".join(sorted(w for w in re.split(r"[\s.\-]+", text) if w))
    return re.sub(r"[\s·•.\-_]", "", text)


def authors(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,，、;；]|\s{2,}", str(value))
    return [str(x).strip() for x in items if str(x).strip()]


def excluded_kinds(policy: Policy) -> set[str]:
    kinds = {"proceedings", "special"}
    if policy.exclude_electronic:
        kinds.add("electronic")
    if policy.exclude_internal:
        kinds.add("internal")
    return kinds


def titled(j: Journal) -> str:
    ids = "，".join(x for x in (f"ISSN {j.issn}" if j.issn else "", f"CN {j.cn}" if j.cn else "") if x)
    return f"《{j.name}》" + (f"（{ids}）" if ids else "")


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"
