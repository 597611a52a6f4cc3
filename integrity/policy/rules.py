"""The verdict as an ordered list of small rules over one ``Context``.

Why a list: a jurisdiction's new rule is one function added at its place here, not an edit inside a
150-line function; the order is the order of the reasoning (identify the journal, its level in the
publication year, what takes a level away, the copy ratio against the remaining level, the claim, then
rules about the applicant). Every rule runs: one-time notification needs every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable

from integrity.errors import PolicyError
from integrity.policy import checks
from integrity.policy.context import Context, authors, excluded_kinds, to_date, to_year
from integrity.policy.identify import identify
from integrity.policy.model import LEVEL_RANK, LEVEL_ZH

Rule = Callable[[Context], None]

# Findings that leave a paper without any level, whatever its journal.
_NO_LEVEL = (
    "journal_not_found",
    "journal_identity_mismatch",
    "issn_invalid",
    "cn_invalid",
    "internal_journal",
    "electronic_journal",
    "excluded_publication",
    "supplement_issue",
    "journal_ceased_before_publication",
    "published_before_founding",
)


def read_inputs(ctx: Context) -> None:
    """Claims win over what was extracted from the paper; ``inputs`` records where each value came from."""
    claims, doc, inputs = ctx.claims, ctx.doc, ctx.inputs
    ctx.name = inputs.take("journal", claims.journal, doc)
    ctx.issn = inputs.take("issn", claims.issn, doc)
    ctx.cn = inputs.take("cn", claims.cn, doc)
    if claims.claimed_level is not None and claims.claimed_level not in LEVEL_RANK:
        raise PolicyError(
            f"申报级别“{claims.claimed_level}”无效，应为 core（核心期刊）或 provincial（省级期刊）",
            code="invalid_claimed_level",
        )
    ctx.published_on = to_date(claims.published_on)
    inputs.values["published_on"] = ctx.published_on.isoformat() if ctx.published_on else None
    inputs.sources["published_on"] = "claims" if ctx.published_on else None
    if claims.published_on and ctx.published_on is None:
        ctx.findings.add(
            "published_on_invalid",
            "warning",
            f"发表日期“{claims.published_on}”不是有效日期（应为 YYYY-MM-DD），已忽略",
        )
    ctx.year = to_year(inputs.take("year", claims.year, doc))
    if ctx.year is None and ctx.published_on is not None:
        ctx.year = ctx.published_on.year
        inputs.values["year"], inputs.sources["year"] = ctx.year, inputs.sources.get("published_on")
    inputs.values["year"] = ctx.year
    ctx.issue = inputs.take("issue", claims.issue, doc)
    ctx.supplement = inputs.take("supplement", None, doc)
    ctx.authors = authors(inputs.take("authors", None, doc))
    inputs.values["authors"] = ctx.authors
    for key, value in (
        ("applicant", claims.applicant),
        ("claimed_level", claims.claimed_level),
        ("title_grade", claims.title_grade),
        ("in_cnki", claims.in_cnki),
    ):
        inputs.values[key], inputs.sources[key] = value, ("claims" if value is not None else None)
    metric = ctx.policy.copy_ratio_metric
    ctx.ratio = float(getattr(ctx.similarity, metric))
    inputs.values["copy_ratio"] = {"metric": metric, "value": ctx.ratio}
    inputs.sources["copy_ratio"] = "similarity"
    inputs.values["catalogue_version"] = ctx.catalogue.version
    inputs.sources["catalogue_version"] = "catalogue"


def identify_journal(ctx: Context) -> None:
    ctx.journal, ctx.match, ctx.candidates = identify(
        ctx.catalogue, ctx.findings, ctx.name, ctx.issn, ctx.cn, ctx.year
    )


def journal_level(ctx: Context) -> None:
    """The catalogue level in the publication year, the journal's status and the provincial authority list."""
    journal, year, policy = ctx.journal, ctx.year, ctx.policy
    if journal is None:
        return
    if year is None:
        ctx.findings.add(
            "year_missing",
            "warning",
            "缺少发表年份：核心期刊按论文发表当年的名录认定，无法判定期刊级别，请补充发表年份",
            journal=journal.name,
        )
        return
    ctx.level = ctx.catalogue.level(
        journal, year, policy.core_lists, policy.core_edition_lag_years, excluded_kinds(policy)
    )
    ctx.recognised = ctx.level.level
    checks.journal_status(ctx.catalogue, ctx.findings, policy, journal, year, ctx.level)
    ctx.recognised = checks.authority_rule(
        ctx.catalogue, ctx.findings, policy, journal, year, ctx.published_on, ctx.recognised
    )


def excluded_journal(ctx: Context) -> None:
    if ctx.journal is not None:
        checks.excluded_journal(ctx.findings, ctx.policy, ctx.journal)


def issue_markers(ctx: Context) -> None:
    checks.issue_markers(ctx.findings, ctx.policy, ctx.name, ctx.issue, ctx.supplement)


def material_cutoff(ctx: Context) -> None:
    checks.cutoff(ctx.findings, ctx.policy, ctx.year, ctx.published_on)


def no_level_when_excluded(ctx: Context) -> None:
    if ctx.findings.has(*_NO_LEVEL):
        ctx.recognised = None
    ctx.journal_level = ctx.recognised


def copy_ratio(ctx: Context) -> None:
    ctx.recognised = checks.copy_ratio(ctx.findings, ctx.policy, ctx.claims, ctx.ratio, ctx.recognised)


def corpus_basis(ctx: Context) -> None:
    checks.corpus_size(
        ctx.findings, ctx.policy, ctx.claims, ctx.ratio, ctx.recognised, ctx.corpus, ctx.min_corpus_documents
    )


def claimed_level(ctx: Context) -> None:
    """A claim above the journal's level is rejected — unless a hole in the catalogue makes it unknown."""
    claimed, have = ctx.claims.claimed_level, ctx.journal_level
    if not claimed or (have is not None and LEVEL_RANK[have] >= LEVEL_RANK[claimed]):
        return
    core_unknown = ctx.findings.has("catalogue_gap") and ctx.level is not None and ctx.level.core is None
    if core_unknown and have is not None:
        return  # catalogue_gap already asks for review: never "not core"
    ctx.findings.add(
        "claimed_level_not_recognised",
        "reject",
        f"申报为{LEVEL_ZH[claimed]}论文，但按发表当年目录认定为：{LEVEL_ZH[have] if have else '不予认可'}",
        claimed_level=claimed,
        recognised_level=have,
    )


def provincial_evidence(ctx: Context) -> None:
    if ctx.recognised == "provincial" and ctx.level is not None and ctx.level.provincial_evidence:
        evidence = ctx.level.provincial_evidence
        ctx.findings.add("provincial_by_registry", "info", f"省级期刊认定依据：{evidence}")


def authorship(ctx: Context) -> None:
    checks.authorship(ctx.findings, ctx.policy, ctx.claims.applicant, ctx.authors)
    if ctx.findings.has("applicant_not_author"):
        ctx.recognised = None  # forged authorship: the paper counts at no level, whatever its journal


def cnki(ctx: Context) -> None:
    checks.cnki(ctx.findings, ctx.policy, ctx.claims, ctx.journal)


RULES: list[Rule] = [
    read_inputs,
    identify_journal,
    journal_level,
    excluded_journal,
    issue_markers,
    material_cutoff,
    no_level_when_excluded,
    copy_ratio,
    corpus_basis,
    claimed_level,
    provincial_evidence,
    authorship,
    cnki,
]
