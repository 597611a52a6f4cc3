"""The rules' checks on the journal, the issue, the dates, the copy ratio, authorship and CNKI.

Each takes what it needs (never the whole context) so it reads, and is tested, on its own; the order
they run in is ``integrity.policy.rules.RULES``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from integrity.catalogue import Catalogue, Journal
from integrity.catalogue.store import EXCLUDED_LABELS, LevelAssessment
from integrity.models import PaperClaims
from integrity.policy.context import EPS, SUPPLEMENT_CODES, Findings, normalise_person, pct, titled
from integrity.policy.model import LEVEL_RANK, LEVEL_ZH, METRIC_ZH, Policy


def journal_status(
    catalogue: Catalogue,
    findings: Findings,
    policy: Policy,
    journal: Journal,
    year: int,
    level: LevelAssessment,
) -> None:
    if journal.founded and year < journal.founded:
        findings.add(
            "published_before_founding",
            "reject",
            f"{titled(journal)}创刊于 {journal.founded} 年，论文标注的发表年份 {year} 年早于创刊，疑似假刊",
        )
    if journal.status == "ceased":
        if journal.ceased_year is not None and year > journal.ceased_year:
            findings.add(
                "journal_ceased_before_publication",
                "reject",
                f"{titled(journal)}已于 {journal.ceased_year} 年停刊，{year} 年不可能在该刊发表，疑似假刊",
            )
        else:
            when = f"于 {journal.ceased_year} 年" if journal.ceased_year else "（停刊年份目录未载明）"
            findings.add(
                "journal_ceased",
                "warning",
                f"目录显示{titled(journal)}已停刊{when}，请核实 {year} 年发表时该刊仍在正常出版",
            )
    elif journal.status == "merged":
        succ = catalogue.get(journal.successor_id) if journal.successor_id else None
        succ_level = (
            catalogue.level(succ, year, policy.core_lists, policy.core_edition_lag_years).level
            if succ
            else None
        )
        if succ is None:
            to = "（目录未载明继承刊）"
        else:
            as_level = LEVEL_ZH.get(succ_level or "", "不予认可")
            to = f"，继承刊为{titled(succ)}（{year} 年按继承刊认定为：{as_level}）"
        findings.add(
            "journal_merged",
            "warning",
            f"目录显示{titled(journal)}已合并{to}；若论文发表于合并之后，应以继承刊名义出版，请核实",
            successor=succ.name if succ else None,
            successor_level=succ_level,
        )
    tiers = catalogue.tiers(journal, year, policy.core_edition_lag_years)
    for tier in tiers:
        if tier.list_id.startswith("cas_warning") or catalogue.lists[tier.list_id].kind == "warning":
            if tier.member:
                findings.add(
                    "warning_list_journal",
                    "warning",
                    f"{titled(journal)}被列入{tier.title}"
                    f"（{year} 年{('：' + tier.grade) if tier.grade else ''}）",
                    reason=tier.reason,
                )
            else:
                findings.add(
                    "warning_list_other_year", "info", f"{titled(journal)}{tier.title}：{tier.reason}"
                )
    gaps = [t for t in tiers if t.list_id in policy.core_lists and t.gap]
    if level.level == "provincial" and level.core is None and gaps:
        where = "；".join(f"{t.title}缺 {t.gap}" for t in gaps)
        findings.add(
            "catalogue_gap",
            "warning",
            f"期刊目录数据缺口：{titled(journal)}在前后版次均被收录，但目录中{where}，"
            f"{year} 年是否为核心期刊无法判定，请以当年名录核实（不按“非核心”处理）",
            gaps=[{"list_id": t.list_id, "missing": t.gap} for t in gaps],
        )
    elif level.level == "provincial" and level.core is None:
        findings.add(
            "core_status_incomplete",
            "info",
            "部分核心名录缺少该年份的数据：" + "；".join(r for r in level.reasons if "无法判定" in r),
        )
    core_hits = [t for t in tiers if t.list_id in policy.core_lists and t.member]
    if level.level == "core" and core_hits and all(t.assumed for t in core_hits):
        reasons = "；".join(f"{t.title}：{t.reason}" for t in core_hits)
        findings.add("core_status_assumed", "warning", "核心认定仅依据沿用的名录期次：" + reasons)


def authority_rule(
    catalogue: Catalogue,
    findings: Findings,
    policy: Policy,
    journal: Journal,
    year: int,
    published_on: date | None,
    recognised: str | None,
) -> str | None:
    rule = policy.provincial_authority
    if rule is None or recognised == "core":
        return recognised
    listed = [m for m in journal.memberships if m.list_id == rule.list_id]
    if not listed:
        if rule.list_id not in catalogue.lists and year < rule.counts_as_core_before.year + 1:
            findings.add(
                "authority_list_missing",
                "info",
                f"目录中尚未导入省权威期刊目录（{rule.list_id}），{rule.counts_as_core_before.isoformat()} "
                "前发表于该目录期刊的论文可按核心期刊对待，请人工核对或导入该目录",
            )
        return recognised
    cutoff = rule.counts_as_core_before
    if published_on is not None:
        before = published_on < cutoff
    elif year < cutoff.year:
        before = True
    elif year > cutoff.year:
        before = False
    else:
        findings.add(
            "authority_date_unverified",
            "warning",
            f"该刊属省权威期刊目录；{year} 年发表的论文需核实是否早于 {cutoff.isoformat()} "
            "才可按核心期刊对待，请补充发表日期",
        )
        return recognised
    if before:
        findings.add(
            "authority_list_as_core",
            "info",
            f"该刊属省权威期刊目录，论文发表于 {cutoff.isoformat()} 之前，按核心期刊对待",
        )
        return "core"
    return recognised


def excluded_journal(findings: Findings, policy: Policy, journal: Journal) -> None:
    kind = journal.excluded_kind
    if kind == "electronic" and policy.exclude_electronic:
        findings.add("electronic_journal", "reject", f"{titled(journal)}为电子期刊，电子期刊不予认可")
    elif kind == "internal" and policy.exclude_internal and not findings.has("internal_journal"):
        findings.add("internal_journal", "reject", f"{titled(journal)}为内部期刊（无 CN 号），不予认可")
    elif kind in ("proceedings", "special"):
        label = EXCLUDED_LABELS[kind]
        findings.add(
            "excluded_publication", "reject", f"{titled(journal)}属{label}，核心期刊和省级期刊均不含此类"
        )


def issue_markers(findings: Findings, policy: Policy, name: Any, issue: Any, supplement: Any) -> None:
    texts = [str(x) for x in (supplement, issue) if x]
    if name:  # in a journal name only as a qualifier: 《某某学报（增刊）》, not the title of 《NBA特刊》
        texts += re.findall(r"[(（]([^)）]*)[)）]", str(name))
    hits = sorted({m for t in texts for m in policy.excluded_issue_markers if m in t})
    codes = sorted(
        {m.group(0) for t in (str(x) for x in (supplement, issue) if x) for m in SUPPLEMENT_CODES.finditer(t)}
    )
    if hits or codes or (supplement and not hits):
        marker = "、".join(hits + codes) or str(supplement)
        findings.add(
            "supplement_issue",
            "reject",
            f"论文刊载于{marker}（增刊、副刊、特刊、专刊、专辑、内部期刊、论文集等），不按核心或省级期刊论文认定",
            markers=hits + codes,
            issue=str(issue) if issue else None,
        )


def cutoff(findings: Findings, policy: Policy, year: int | None, published_on: date | None) -> None:
    cutoff = policy.material_cutoff
    if cutoff is None:
        return
    if published_on is not None:
        if published_on > cutoff:
            findings.add(
                "published_after_cutoff",
                "reject",
                f"论文发表于 {published_on.isoformat()}，"
                f"晚于业绩截止日期 {cutoff.isoformat()}，本年度不予计算",
            )
        return
    if year is None:
        return
    if year > cutoff.year:
        findings.add(
            "published_after_cutoff",
            "reject",
            f"论文发表于 {year} 年，晚于业绩截止日期 {cutoff.isoformat()}，本年度不予计算",
        )
    elif year == cutoff.year and (cutoff.month, cutoff.day) != (12, 31):
        findings.add(
            "cutoff_date_unverified",
            "warning",
            f"论文发表于 {year} 年，需核实发表日期不晚于业绩截止日期 {cutoff.isoformat()}（请补充出版日期）",
        )


def copy_ratio(
    findings: Findings, policy: Policy, claims: PaperClaims, ratio: float, recognised: str | None
) -> str | None:
    """Compare the policy's metric with the threshold of the claimed (else recognised) level."""
    metric = METRIC_ZH[policy.copy_ratio_metric]
    target = claims.claimed_level or recognised
    if target is None:
        return recognised
    threshold = policy.threshold(target, claims.title_grade)
    if threshold is None:
        findings.add(
            "no_threshold",
            "info",
            f"本政策未规定{LEVEL_ZH[target]}论文的复制比上限，{metric} {pct(ratio)} 仅供参考",
        )
        return recognised
    over_target = ratio > threshold + EPS
    # The recognised level must hold its own threshold too, whatever was claimed: a core-journal paper over
    # the core limit is "not treated as core" (seed 003) even when the applicant only claims provincial.
    result, fallback = level_within_threshold(policy, claims, ratio, recognised)
    if not over_target and result == recognised:
        return recognised
    exceeded = target if over_target else recognised
    assert exceeded is not None
    limit = threshold if over_target else policy.threshold(exceeded, claims.title_grade)
    # A rejection when the paper then misses the level the applicant claims (or every level); unclaimed
    # or still meeting the claim, it is a downgrade the verdict reports.
    claimed = claims.claimed_level
    misses_claim = result is None or (claimed is not None and LEVEL_RANK[result] < LEVEL_RANK[claimed])
    findings.add(
        "copy_ratio_over_threshold",
        "reject" if misses_claim else "info",
        f"{metric} {pct(ratio)} 超过{LEVEL_ZH[exceeded]}论文上限 {pct(limit or 0.0)}，"
        f"不按{LEVEL_ZH[exceeded]}论文对待{fallback}",
        metric=policy.copy_ratio_metric,
        ratio=ratio,
        threshold=limit,
        level=exceeded,
    )
    return result


def corpus_size(
    findings: Findings,
    policy: Policy,
    claims: PaperClaims,
    ratio: float,
    recognised: str | None,
    corpus: dict[str, Any] | None,
    minimum: int,
) -> None:
    """A ratio under the limit against a tiny 比对库 is no evidence: say so, naming the corpus and size."""
    target = claims.claimed_level or recognised
    if corpus is None or target is None or policy.threshold(target, claims.title_grade) is None:
        return
    if any(f.code == "copy_ratio_over_threshold" and f.severity == "reject" for f in findings.items):
        return  # copying that already rejects is evidence however small the corpus
    # a downgrade (core over 15 % kept as provincial) still rests on the ratio being under the next limit
    size = int(corpus.get("documents") or 0)
    if size >= minimum:
        return
    name = corpus_label(corpus)
    findings.add(
        "corpus_too_small",
        "warning",
        f"比对库“{name}”仅有 {size} 篇文献（少于 {minimum} 篇），{METRIC_ZH[policy.copy_ratio_metric]} "
        f"{pct(ratio)} 不能作为复制比审核的依据，请以知网等完整比对库的检测报告核实",
        corpus=name,
        documents=size,
        minimum=minimum,
    )


def corpus_label(corpus: dict[str, Any]) -> str:
    """The 比对库's name for a reviewer: its titled(s), else its id."""
    parts = corpus.get("corpora")
    if isinstance(parts, list) and parts:
        return "、".join(corpus_label(p) for p in parts if isinstance(p, dict))
    return str(corpus.get("label") or corpus.get("name") or corpus.get("corpus_id") or "（未命名）")


def level_within_threshold(
    policy: Policy, claims: PaperClaims, ratio: float, recognised: str | None
) -> tuple[str | None, str]:
    """The level the paper keeps given its copy ratio, and the zh-CN note when it drops to provincial."""
    if recognised is None:
        return None, ""
    own = policy.threshold(recognised, claims.title_grade)
    if own is None or ratio <= own + EPS:
        return recognised, ""
    if recognised == "core" and policy.downgrade_when_over_core_threshold:
        prov = policy.threshold("provincial", claims.title_grade)
        if prov is not None and ratio <= prov + EPS:
            return "provincial", f"；未超过省级期刊 {pct(prov)}，可按省级期刊论文对待"
    return None, ""


def authorship(findings: Findings, policy: Policy, applicant: str | None, authors: list[str]) -> None:
    if not applicant or not policy.check_applicant_authorship:
        return
    if not authors:
        findings.add(
            "authors_unknown",
            "warning",
            f"未能从论文中识别作者，无法核对申报人“{applicant}”是否为作者，请人工核对署名",
        )
        return
    wanted = normalise_person(applicant)
    if wanted and any(normalise_person(a) == wanted for a in authors):
        return
    findings.add(
        "applicant_not_author",
        "reject",
        f"申报人“{applicant}”不在论文作者（{'、'.join(authors)}）之中，疑似伪造署名",
        applicant=applicant,
        authors=authors,
    )


def cnki(findings: Findings, policy: Policy, claims: PaperClaims, journal: Journal | None) -> None:
    rule = policy.cnki
    if rule is None or not rule.required:
        return
    if claims.in_cnki is False or (journal is not None and journal.origin != "cnki"):
        findings.add("cnki_report_required", "info", f"该论文未被中国知网收录：{rule.fallback}")
