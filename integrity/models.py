"""Data passed between stages. Plain dataclasses: the core stays framework-free and JSON-friendly.

Offsets are always Python ``str`` indices into ``ExtractedDocument.text`` (the decoded input text),
never into a normalised copy: reviewers and other tools look the passages up in what they uploaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TextLayer = Literal["ok", "ocr", "unreadable"]


@dataclass
class MetaField:
    """One metadata value and where it came from (``pdf_info``, ``first_page``, ``docx_core``, ``user``…)."""

    value: Any
    source: str
    confidence: float = 1.0


@dataclass
class PaperMetadata:
    """Bibliographic fields of the uploaded paper; each is a ``MetaField`` or ``None`` when not found."""

    title: MetaField | None = None
    authors: MetaField | None = None  # value: list[str]
    affiliations: MetaField | None = None  # value: list[str]
    abstract: MetaField | None = None
    keywords: MetaField | None = None  # value: list[str]
    journal: MetaField | None = None
    issn: MetaField | None = None
    cn: MetaField | None = None
    year: MetaField | None = None  # value: int
    volume: MetaField | None = None
    issue: MetaField | None = None
    pages: MetaField | None = None
    article_number: MetaField | None = None  # 文章编号
    doi: MetaField | None = None
    supplement: MetaField | None = None  # value: marker text such as "增刊", "S1", "专刊"

    def value(self, name: str) -> Any:
        f = getattr(self, name)
        return None if f is None else f.value

    def to_dict(self) -> dict[str, Any]:
        return {k: (asdict(v) if v is not None else None) for k, v in self.__dict__.items()}


@dataclass
class ExtractedDocument:
    """What ingest returns for any input type."""

    text: str
    file_type: Literal["txt", "pdf", "docx"]
    text_layer: TextLayer = "ok"
    encoding: str | None = None
    pages: int | None = None
    ocr_confidence: float | None = None
    metadata: PaperMetadata = field(default_factory=PaperMetadata)
    references_span: tuple[int, int] | None = None  # [start, end) of the 参考文献 section in ``text``
    warnings: list[str] = field(default_factory=list)
    engine: str | None = None  # e.g. "pypdfium2", "pdfplumber", "tesseract"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_type": self.file_type,
            "text_layer": self.text_layer,
            "encoding": self.encoding,
            "pages": self.pages,
            "ocr_confidence": self.ocr_confidence,
            "chars": len(self.text),
            "engine": self.engine,
            "references_span": list(self.references_span) if self.references_span else None,
            "metadata": self.metadata.to_dict(),
            "warnings": list(self.warnings),
        }


@dataclass
class Passage:
    start: int
    end: int
    source_start: int
    source_end: int
    text: str = ""
    source_text: str = ""
    language: str = "zh"  # "zh" | "en" | "other": the script the copied passage is mostly written in
    also_in: list[dict[str, Any]] = field(default_factory=list)  # same stretch in other sources

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceMatch:
    doc_id: str
    title: str
    ratio: float  # characters of the paper matched by this source / total characters
    copied_chars: int
    passages: list[Passage]
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    is_self: bool = False  # excluded from ``copy_ratio_excluding_self``
    corpus: str | None = None  # label of the 比对库 the source came from (own or a shared base corpus)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passages"] = [p.to_dict() for p in self.passages]
        return d


@dataclass
class SimilarityReport:
    """The CNKI-style figures. ``sources`` is sorted by ``ratio`` descending."""

    total_copy_ratio: float
    copied_chars: int
    total_chars: int
    copy_ratio_excluding_references: float
    copy_ratio_excluding_self: float
    max_single_source_ratio: float
    sources: list[SourceMatch]
    sections: list[dict[str, Any]] = field(default_factory=list)  # per-section ratios, if known
    # CNKI counting (issue 11; definitions in README "Detection v2"): characters are non-whitespace
    quoted_chars: int = 0  # copied characters inside quotation marks followed by a citation marker (引用)
    references_chars: int = 0  # characters of the 参考文献 list (never counted as copying)
    paragraphs_total: int = 0  # 总段落数: paragraphs (non-empty lines) of the body, references excluded
    paragraphs_suspect: int = 0  # 疑似段落数: paragraphs holding copied characters
    front_overlap_chars: int = 0  # 前部重合字数: copied characters in the first 20 % of the body
    rear_overlap_chars: int = 0  # 后部重合字数: copied characters in the last 20 % of the body

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources"] = [s.to_dict() for s in self.sources]
        return d


Severity = Literal["reject", "warning", "info"]


@dataclass
class Finding:
    """One problem found in a paper, with the rule it cites (seed file and section)."""

    code: str
    severity: Severity
    message: str  # zh-CN
    citation: str  # 文号 and section, e.g. "平工信发〔2022〕138号 附件1 第四条" (never a file name)
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PaperClaims:
    """What the applicant (or the review system) says about the paper; fills gaps in extracted metadata.

    Values given here win over extracted ones; the verdict says which was used.
    """

    applicant: str | None = None
    claimed_level: Literal["core", "provincial"] | None = None
    title_grade: str | None = None  # 正高 / 副高 / 中级
    journal: str | None = None
    issn: str | None = None
    cn: str | None = None
    year: int | None = None
    issue: str | None = None
    published_on: str | None = None  # ISO date, when known
    in_cnki: bool | None = None


@dataclass
class CheckOptions:
    """Options of one check; the CLI flags and the API's ``metadata`` field map onto this."""

    exclude_doc_ids: list[str] = field(default_factory=list)  # the applicant's own papers
    self_authors: list[str] = field(default_factory=list)  # sources by these authors count as own papers
    claims: PaperClaims = field(default_factory=PaperClaims)
    policy_id: str | None = None  # None: settings.default_policy
    verdict: bool = True  # False: similarity only
    include_text: bool = True  # matched text in passages
