"""Request bodies of the API (pydantic). Field names are English snake_case; unknown fields are errors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from integrity.models import CheckOptions, PaperClaims


class CheckMetadata(BaseModel):
    """The optional ``metadata`` JSON field of ``POST /v1/checks`` (maps onto ``CheckOptions``)."""

    model_config = ConfigDict(extra="forbid")

    applicant: str | None = Field(default=None, max_length=200)
    claimed_level: Literal["core", "provincial"] | None = None
    title_grade: str | None = Field(default=None, max_length=20)
    journal: str | None = Field(default=None, max_length=300)
    issn: str | None = Field(default=None, max_length=20)
    cn: str | None = Field(default=None, max_length=30)
    year: int | None = Field(default=None, ge=1900, le=2100)
    issue: str | None = Field(default=None, max_length=50)
    published_on: str | None = Field(default=None, max_length=30)
    in_cnki: bool | None = None
    policy_id: str | None = Field(default=None, max_length=100)
    exclude_doc_ids: list[str] = Field(default_factory=list, max_length=1000)
    self_authors: list[str] = Field(default_factory=list, max_length=100)
    add_to_corpus: bool = False
    verdict: bool = True
    callback_url: str | None = Field(default=None, max_length=2000)

    def to_options(self) -> CheckOptions:
        return CheckOptions(
            exclude_doc_ids=list(self.exclude_doc_ids),
            self_authors=list(self.self_authors),
            claims=PaperClaims(
                applicant=self.applicant,
                claimed_level=self.claimed_level,
                title_grade=self.title_grade,
                journal=self.journal,
                issn=self.issn,
                cn=self.cn,
                year=self.year,
                issue=self.issue,
                published_on=self.published_on,
                in_cnki=self.in_cnki,
            ),
            policy_id=self.policy_id,
            verdict=self.verdict,
        )


# A corpus document id: no whitespace, slashes or control characters, not only dots ("." / ".."). Shared
# by the JSON route and the form field of ``POST /v1/corpus/files``.
_ID_CHAR = r"[^\s/\\\x00-\x1f]"
DOC_ID_PATTERN = rf"^{_ID_CHAR}*[^\s/\\\x00-\x1f.]{_ID_CHAR}*$"
DOC_ID_MAX = 200
TITLE_MAX = 1000


class CorpusDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=DOC_ID_MAX, pattern=DOC_ID_PATTERN)
    title: str = Field(default="", max_length=TITLE_MAX)
    text: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list, max_length=200)
    year: int | None = Field(default=None, ge=1900, le=2100)


class CorpusAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[CorpusDocumentIn] = Field(min_length=1, max_length=10000)


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["unit", "reviewer", "admin"]
    tenant: str | None = None  # default: the caller's tenant
    name: str = Field(default="", max_length=200)
    callback_url: str | None = Field(default=None, max_length=2000)
