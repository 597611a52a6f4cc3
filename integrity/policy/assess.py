"""The verdict: every problem with one paper at once (seed 000 三、（二）: 一次性告知), each citing its rule.

Why every rule runs: a reviewer returns a submission once with the full list of corrections. Why no
clock: the same inputs and policy version must always give the same verdict, so every date the rules
need (publication date, material cutoff) comes from the claims, the paper or the policy file. The rules
themselves are ``integrity.policy.rules.RULES``, in order, over one ``Context``.
"""

from __future__ import annotations

from typing import Any

from integrity.catalogue import Catalogue
from integrity.catalogue.store import LevelAssessment
from integrity.models import ExtractedDocument, PaperClaims, SimilarityReport
from integrity.policy.checks import corpus_label
from integrity.policy.context import REVIEW_CODES, Context, Findings, normalise_person, pct
from integrity.policy.model import LEVEL_RANK, LEVEL_ZH, METRIC_ZH, Policy
from integrity.policy.rules import RULES

__all__ = ["REVIEW_CODES", "assess", "corpus_label", "normalise_person"]


def assess(
    doc: ExtractedDocument,
    similarity: SimilarityReport,
    claims: PaperClaims,
    policy: Policy,
    catalogue: Catalogue,
    *,
    corpus: dict[str, Any] | None = None,
    min_corpus_documents: int = 0,
) -> dict[str, Any]:
    """Journal identification, level in the publication year and the policy verdict, all findings listed.

    ``corpus`` is the 比对库 the similarity came from (``describe()``); below ``min_corpus_documents``
    documents a ratio under the threshold proves nothing and the verdict needs review.
    """
    ctx = Context(doc, similarity, claims, policy, catalogue, corpus, min_corpus_documents)
    for rule in RULES:
        rule(ctx)
    return _outcome(ctx)


def _outcome(ctx: Context) -> dict[str, Any]:
    findings, recognised, claimed = ctx.findings, ctx.recognised, ctx.claims.claimed_level
    meets = (
        recognised is not None
        and not findings.rejects
        and (claimed is None or LEVEL_RANK[recognised] >= LEVEL_RANK[claimed])
    )
    # A finding in REVIEW_CODES means the evidence cannot carry a 认可 (nor a rejection of the level):
    # the verdict waits for a reviewer.
    review = recognised is not None and not findings.rejects and findings.has(*REVIEW_CODES)
    accepted = meets and not review
    status = "accepted" if accepted else "review" if review else "rejected"
    policy = ctx.policy
    verdict = {
        "policy_id": policy.id,
        "policy_version": policy.version,
        "policy_title": policy.title,
        "recognised_level": recognised,
        "journal_level": ctx.journal_level,
        "claimed_level": claimed,
        "accepted": accepted,
        "status": status,
        "summary": _summary(policy, findings, status, recognised, claimed, ctx.ratio, ctx.level),
        "one_time_notification": policy.one_time_notification,
        "counts": {
            s: sum(1 for f in findings.items if f.severity == s) for s in ("reject", "warning", "info")
        },
        "findings": [f.to_dict() for f in findings.items],
        "inputs": ctx.inputs.to_dict(),
    }
    journal_out = {
        "identified": ctx.journal is not None,
        "match": ctx.match.to_dict() if ctx.match else None,
        "level": ctx.level.to_dict() if ctx.level else None,
        "candidates": [c.to_dict() for c in ctx.candidates],
        "catalogue_version": ctx.catalogue.version,
    }
    return {"journal": journal_out, "verdict": verdict}


def _summary(
    policy: Policy,
    findings: Findings,
    status: str,
    recognised: str | None,
    claimed: str | None,
    ratio: float,
    level: LevelAssessment | None,
) -> str:
    metric = METRIC_ZH[policy.copy_ratio_metric]
    counts = {s: sum(1 for f in findings.items if f.severity == s) for s in ("reject", "warning", "info")}
    if status == "review" and recognised:
        why = "；".join(f.message for f in findings.items if f.code in REVIEW_CODES)
        return f"需核实：暂按{LEVEL_ZH[recognised]}论文，{metric} {pct(ratio)}；{why}"
    if status == "accepted" and recognised:
        basis = (
            f"（{'、'.join(level.core_basis)}）"
            if level and recognised == "core" and level.core_basis
            else ""
        )
        note = f"；另有 {counts['warning']} 项需核实" if counts["warning"] else ""
        return f"认可：按{LEVEL_ZH[recognised]}论文认定{basis}，{metric} {pct(ratio)}{note}"
    head = f"不予认可为{LEVEL_ZH[claimed]}论文" if claimed else "不予认可"
    if not counts["reject"] and recognised is None:
        head = "信息不足，无法判定"
    level_text = f"可认定级别：{LEVEL_ZH[recognised]}" if recognised else "可认定级别：无"
    notify = "，请一次性补正" if policy.one_time_notification else ""
    return (
        f"{head}：共 {len(findings.items)} 项（否决 {counts['reject']}、需核实 {counts['warning']}、"
        f"提示 {counts['info']}）{notify}；{level_text}"
    )
