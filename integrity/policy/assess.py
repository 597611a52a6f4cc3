"""The verdict: every problem with one paper at once (seed 000 三、（二）: 一次性告知), each citing its rule.

Why one pass that never stops early: a reviewer returns a submission once with the full list of
corrections. Why no clock: the same inputs and policy version must always give the same verdict, so
every date the rules need (publication date, material cutoff) comes from the claims, the paper or the
policy file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from integrity.catalogue import Catalogue, Journal, JournalMatch, check_cn, check_issn
from integrity.catalogue.identifiers import (
    normalise_name,
    osa_distance,
    strip_trailing_qualifiers,
    to_simplified,
)
from integrity.catalogue.store import EXCLUDED_LABELS, LevelAssessment
from integrity.errors import PolicyError
from integrity.models import ExtractedDocument, Finding, PaperClaims, Severity, SimilarityReport
from integrity.policy.model import LEVEL_RANK, LEVEL_ZH, METRIC_ZH, Policy

_SUPPLEMENT_CODES = re.compile(r"(?<![A-Za-z])(S\d{1,2}|Suppl\.?|Supplement|Z\d)(?![A-Za-z])", re.IGNORECASE)
_EPS = 1e-9
# Warnings that stop a verdict at 需核实 instead of 认可: the evidence itself is missing or unreliable.
REVIEW_CODES = ("corpus_too_small", "catalogue_gap")


@dataclass
class _Inputs:
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


class _Findings:
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


def _to_year(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    m = re.search(r"(19|20)\d{2}", str(value or ""))
    return int(m.group(0)) if m else None


def _to_date(value: Any) -> date | None:
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


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,，、;；]|\s{2,}", str(value))
    return [str(x).strip() for x in items if str(x).strip()]


def _excluded_kinds(policy: Policy) -> set[str]:
    kinds = {"proceedings", "special"}
    if policy.exclude_electronic:
        kinds.add("electronic")
    if policy.exclude_internal:
        kinds.add("internal")
    return kinds


def _same_title(given: str, catalogued: str) -> bool:
    """A spelling variant (a dropped 与, a typo) of the journal the ISSN/CN names — not another edition.

    An added qualifier such as （下旬刊） or （学术版） is exactly how 一号多刊 publications present
    themselves, so it never counts as a variant.
    """
    a, b = normalise_name(given), normalise_name(catalogued)
    if strip_trailing_qualifiers(given) and not strip_trailing_qualifiers(catalogued):
        return False
    if re.search(r"[上中下]旬|[上下]半月|学术版|理论版|教育版|综合版", given) and a not in b:
        return False
    return osa_distance(a, b) <= 2


def _label(j: Journal) -> str:
    ids = "，".join(x for x in (f"ISSN {j.issn}" if j.issn else "", f"CN {j.cn}" if j.cn else "") if x)
    return f"《{j.name}》" + (f"（{ids}）" if ids else "")


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


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
    inputs = _Inputs()
    findings = _Findings(policy)
    name = inputs.take("journal", claims.journal, doc)
    issn = inputs.take("issn", claims.issn, doc)
    cn = inputs.take("cn", claims.cn, doc)
    if claims.claimed_level is not None and claims.claimed_level not in LEVEL_RANK:
        raise PolicyError(
            f"申报级别“{claims.claimed_level}”无效，应为 core（核心期刊）或 provincial（省级期刊）",
            code="invalid_claimed_level",
        )
    published_on = _to_date(claims.published_on)
    inputs.values["published_on"] = published_on.isoformat() if published_on else None
    inputs.sources["published_on"] = "claims" if published_on else None
    if claims.published_on and published_on is None:
        findings.add(
            "published_on_invalid",
            "warning",
            f"发表日期“{claims.published_on}”不是有效日期（应为 YYYY-MM-DD），已忽略",
        )
    year = _to_year(inputs.take("year", claims.year, doc))
    if year is None and published_on is not None:
        year = published_on.year
        inputs.values["year"], inputs.sources["year"] = year, inputs.sources.get("published_on")
    inputs.values["year"] = year
    issue = inputs.take("issue", claims.issue, doc)
    supplement = inputs.take("supplement", None, doc)
    authors = _authors(inputs.take("authors", None, doc))
    inputs.values["authors"] = authors
    for key, value in (
        ("applicant", claims.applicant),
        ("claimed_level", claims.claimed_level),
        ("title_grade", claims.title_grade),
        ("in_cnki", claims.in_cnki),
    ):
        inputs.values[key], inputs.sources[key] = value, ("claims" if value is not None else None)
    metric = policy.copy_ratio_metric
    ratio = float(getattr(similarity, metric))
    inputs.values["copy_ratio"] = {"metric": metric, "value": ratio}
    inputs.sources["copy_ratio"] = "similarity"
    inputs.values["catalogue_version"], inputs.sources["catalogue_version"] = catalogue.version, "catalogue"

    journal, match, candidates = _identify(catalogue, findings, name, issn, cn, year)
    level: LevelAssessment | None = None
    recognised: str | None = None
    if journal is not None and year is not None:
        level = catalogue.level(
            journal, year, policy.core_lists, policy.core_edition_lag_years, _excluded_kinds(policy)
        )
        recognised = level.level
        _journal_status(catalogue, findings, policy, journal, year, level)
        recognised = _authority_rule(catalogue, findings, policy, journal, year, published_on, recognised)
    elif journal is not None:
        findings.add(
            "year_missing",
            "warning",
            "缺少发表年份：核心期刊按论文发表当年的名录认定，无法判定期刊级别，请补充发表年份",
            journal=journal.name,
        )
    if journal is not None:
        _excluded_journal(findings, policy, journal)
    _issue_markers(findings, policy, name, issue, supplement)
    _cutoff(findings, policy, year, published_on)
    if findings.has(
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
    ):
        recognised = None
    journal_level = recognised
    recognised = _copy_ratio(findings, policy, claims, ratio, recognised)
    _corpus_size(findings, policy, claims, ratio, recognised, corpus, min_corpus_documents)
    claimed = claims.claimed_level
    core_unknown = findings.has("catalogue_gap") and level is not None and level.core is None
    if claimed and (journal_level is None or LEVEL_RANK[journal_level] < LEVEL_RANK[claimed]):
        if core_unknown and journal_level is not None:
            pass  # a hole in the catalogue: catalogue_gap already asks for review, never "not core"
        else:
            have = LEVEL_ZH[journal_level] if journal_level else "不予认可"
            findings.add(
                "claimed_level_not_recognised",
                "reject",
                f"申报为{LEVEL_ZH[claimed]}论文，但按发表当年目录认定为：{have}",
                claimed_level=claimed,
                recognised_level=journal_level,
            )
    if recognised == "provincial" and level is not None and level.provincial_evidence:
        findings.add("provincial_by_registry", "info", f"省级期刊认定依据：{level.provincial_evidence}")
    _authorship(findings, policy, claims.applicant, authors)
    if findings.has("applicant_not_author"):
        recognised = None  # forged authorship: the paper counts at no level, whatever its journal
    _cnki(findings, policy, claims, journal)
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
    verdict = {
        "policy_id": policy.id,
        "policy_version": policy.version,
        "policy_title": policy.title,
        "recognised_level": recognised,
        "journal_level": journal_level,
        "claimed_level": claimed,
        "accepted": accepted,
        "status": status,
        "summary": _summary(policy, findings, status, recognised, claimed, ratio, level),
        "one_time_notification": policy.one_time_notification,
        "counts": {
            s: sum(1 for f in findings.items if f.severity == s) for s in ("reject", "warning", "info")
        },
        "findings": [f.to_dict() for f in findings.items],
        "inputs": inputs.to_dict(),
    }
    journal_out = {
        "identified": journal is not None,
        "match": match.to_dict() if match else None,
        "level": level.to_dict() if level else None,
        "candidates": [c.to_dict() for c in candidates],
        "catalogue_version": catalogue.version,
    }
    return {"journal": journal_out, "verdict": verdict}


def _identify(
    catalogue: Catalogue,
    findings: _Findings,
    name: str | None,
    issn: str | None,
    cn: str | None,
    year: int | None,
) -> tuple[Journal | None, JournalMatch | None, list[JournalMatch]]:
    """Pick the journal all given identifiers agree on; report every disagreement."""
    if not (name or issn or cn):
        findings.add(
            "journal_metadata_missing",
            "warning",
            "论文中未识别出期刊名称、ISSN 或 CN，无法核验期刊及其级别，请补充期刊信息",
        )
        return None, None, []
    sets: dict[str, list[JournalMatch]] = {}
    if issn:
        checked = check_issn(str(issn))
        if not checked.valid:
            findings.add("issn_invalid", "reject", checked.reason + "（疑似假刊）", issn=str(issn))
        else:
            sets["ISSN"] = catalogue.by_issn(checked.normalised or "", year)
            if not sets["ISSN"]:
                findings.add(
                    "issn_not_in_catalogue", "warning", f"ISSN {checked.normalised} 不在期刊目录中", issn=issn
                )
    if cn:
        checked_cn = check_cn(str(cn))
        if checked_cn.internal:
            findings.add("internal_journal", "reject", checked_cn.reason + "，内部期刊不予认可", cn=str(cn))
        elif not checked_cn.valid:
            findings.add("cn_invalid", "reject", checked_cn.reason + "（疑似假刊）", cn=str(cn))
        else:
            sets["CN"] = catalogue.by_cn(checked_cn.normalised or "", year)
            if not sets["CN"]:
                findings.add(
                    "cn_not_in_catalogue",
                    "warning",
                    f"CN {checked_cn.normalised} 不在期刊目录中（无法以国家新闻出版署登记核实）",
                    cn=cn,
                )
    candidates: list[JournalMatch] = []
    if name:
        exact = catalogue.by_name(str(name), year, fuzzy=False)
        if exact:
            sets["刊名"] = exact
        else:
            candidates = catalogue.by_name(str(name), year, fuzzy=True, limit=3)
    id_sets = {k: {m.journal.id for m in v} for k, v in sets.items() if v}
    if not id_sets:
        if name and not findings.has("issn_invalid", "cn_invalid", "internal_journal"):
            near = "；最接近：" + "、".join(
                f"{_label(c.journal)}（相似度 {c.score:.2f}）" for c in candidates
            )
            findings.add(
                "journal_not_found",
                "reject",
                f"期刊《{name}》未在期刊目录中找到，无法核实其为正规期刊（疑似假刊）"
                + (near if candidates else ""),
                journal=str(name),
                candidates=[c.journal.name for c in candidates],
            )
        elif not name and not findings.rejects:
            findings.add(
                "journal_not_found",
                "reject",
                "给出的 ISSN/CN 均不在期刊目录中，无法核实期刊",
                issn=issn,
                cn=cn,
            )
        return None, None, candidates
    common = set.intersection(*id_sets.values())
    if name and "刊名" not in sets:
        # a name spelt differently from the catalogue: accepted when the ISSN/CN journal is the top candidate
        top = candidates[0] if candidates else None
        if top is not None and top.journal.id in common and _same_title(str(name), top.journal.name):
            findings.add(
                "journal_name_variant",
                "info",
                f"刊名“{name}”与目录刊名{_label(top.journal)}写法不一致"
                f"（相似度 {top.score:.2f}），已按刊号认定",
            )
        else:
            owner = "、".join(sorted({_label(m.journal) for v in sets.values() for m in v}))
            findings.add(
                "journal_identity_mismatch",
                "reject",
                f"刊名“{name}”与刊号不符：该刊号在目录中属于{owner}，疑似假刊或一号多刊",
                journal=str(name),
                owners=sorted({m.journal.name for v in sets.values() for m in v}),
            )
            return None, None, candidates
    if not common:
        owners = "；".join(f"{k}对应{'、'.join(_label(m.journal) for m in v)}" for k, v in sets.items() if v)
        findings.add(
            "journal_identity_mismatch",
            "reject",
            f"刊名、ISSN、CN 指向不同的期刊（{owners}），疑似假刊或一号多刊",
            owners={k: [m.journal.name for m in v] for k, v in sets.items() if v},
        )
        return None, None, candidates
    order = [m for v in sets.values() for m in v if m.journal.id in common]
    order.sort(key=lambda m: (m.matched_by != "name", m.journal.status != "active", m.journal.id))
    chosen = order[0]
    by_base = [
        m for m in sets.get("刊名", []) if m.matched_by == "name_without_qualifier" and m.journal.id in common
    ]
    if len({m.journal.id for m in by_base}) > 1:
        editions = "、".join(_label(m.journal) for m in by_base)
        findings.add(
            "journal_edition_ambiguous",
            "warning",
            f"刊名“{name}”对应目录中的多种版别（{editions}），请补充 ISSN/CN 或完整刊名以确定期刊",
            editions=[m.journal.name for m in by_base],
        )
        return None, None, by_base
    given = {
        "ISSN": check_issn(str(issn)).normalised if issn else None,
        "CN": check_cn(str(cn)).normalised if cn else None,
    }
    for key, value in given.items():
        own = chosen.journal.issn if key == "ISSN" else chosen.journal.cn
        if value and own and value != own and not sets.get(key):
            findings.add(
                "journal_identity_mismatch",
                "reject",
                f"论文标注的 {key} {value} 与目录中{_label(chosen.journal)}的 {key} 不符，疑似假刊或一号多刊",
                given=value,
                catalogue=own,
            )
            return None, None, candidates
    for key, matches in sets.items():
        if key != "刊名" and len(matches) > 1:
            others = "、".join(_label(m.journal) for m in matches)
            findings.add(
                "identifier_shared",
                "info",
                f"{key} 在目录中对应多种期刊（{others}），"
                f"已按刊名认定为《{chosen.journal.name}》，请核对版别",
            )
    if chosen.matched_by == "former_name":
        findings.add(
            "journal_former_name",
            "info",
            f"“{name}”是{_label(chosen.journal)}的曾用刊名",
        )
    elif chosen.matched_by == "name_without_qualifier":
        findings.add(
            "journal_name_without_qualifier",
            "info",
            f"刊名“{name}”按目录刊名{_label(chosen.journal)}认定（目录刊名另含版别或副名）",
        )
    return chosen.journal, chosen, candidates


def _journal_status(
    catalogue: Catalogue,
    findings: _Findings,
    policy: Policy,
    journal: Journal,
    year: int,
    level: LevelAssessment,
) -> None:
    if journal.founded and year < journal.founded:
        findings.add(
            "published_before_founding",
            "reject",
            f"{_label(journal)}创刊于 {journal.founded} 年，论文标注的发表年份 {year} 年早于创刊，疑似假刊",
        )
    if journal.status == "ceased":
        if journal.ceased_year is not None and year > journal.ceased_year:
            findings.add(
                "journal_ceased_before_publication",
                "reject",
                f"{_label(journal)}已于 {journal.ceased_year} 年停刊，{year} 年不可能在该刊发表，疑似假刊",
            )
        else:
            when = f"于 {journal.ceased_year} 年" if journal.ceased_year else "（停刊年份目录未载明）"
            findings.add(
                "journal_ceased",
                "warning",
                f"目录显示{_label(journal)}已停刊{when}，请核实 {year} 年发表时该刊仍在正常出版",
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
            to = f"，继承刊为{_label(succ)}（{year} 年按继承刊认定为：{as_level}）"
        findings.add(
            "journal_merged",
            "warning",
            f"目录显示{_label(journal)}已合并{to}；若论文发表于合并之后，应以继承刊名义出版，请核实",
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
                    f"{_label(journal)}被列入{tier.title}"
                    f"（{year} 年{('：' + tier.grade) if tier.grade else ''}）",
                    reason=tier.reason,
                )
            else:
                findings.add(
                    "warning_list_other_year", "info", f"{_label(journal)}{tier.title}：{tier.reason}"
                )
    gaps = [t for t in tiers if t.list_id in policy.core_lists and t.gap]
    if level.level == "provincial" and level.core is None and gaps:
        where = "；".join(f"{t.title}缺 {t.gap}" for t in gaps)
        findings.add(
            "catalogue_gap",
            "warning",
            f"期刊目录数据缺口：{_label(journal)}在前后版次均被收录，但目录中{where}，"
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


def _authority_rule(
    catalogue: Catalogue,
    findings: _Findings,
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


def _excluded_journal(findings: _Findings, policy: Policy, journal: Journal) -> None:
    kind = journal.excluded_kind
    if kind == "electronic" and policy.exclude_electronic:
        findings.add("electronic_journal", "reject", f"{_label(journal)}为电子期刊，电子期刊不予认可")
    elif kind == "internal" and policy.exclude_internal and not findings.has("internal_journal"):
        findings.add("internal_journal", "reject", f"{_label(journal)}为内部期刊（无 CN 号），不予认可")
    elif kind in ("proceedings", "special"):
        label = EXCLUDED_LABELS[kind]
        findings.add(
            "excluded_publication", "reject", f"{_label(journal)}属{label}，核心期刊和省级期刊均不含此类"
        )


def _issue_markers(findings: _Findings, policy: Policy, name: Any, issue: Any, supplement: Any) -> None:
    texts = [str(x) for x in (supplement, issue) if x]
    if name:  # in a journal name only as a qualifier: 《某某学报（增刊）》, not the title of 《NBA特刊》
        texts += re.findall(r"[(（]([^)）]*)[)）]", str(name))
    hits = sorted({m for t in texts for m in policy.excluded_issue_markers if m in t})
    codes = sorted(
        {
            m.group(0)
            for t in (str(x) for x in (supplement, issue) if x)
            for m in _SUPPLEMENT_CODES.finditer(t)
        }
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


def _cutoff(findings: _Findings, policy: Policy, year: int | None, published_on: date | None) -> None:
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


def _copy_ratio(
    findings: _Findings, policy: Policy, claims: PaperClaims, ratio: float, recognised: str | None
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
            f"本政策未规定{LEVEL_ZH[target]}论文的复制比上限，{metric} {_pct(ratio)} 仅供参考",
        )
        return recognised
    over_target = ratio > threshold + _EPS
    # The recognised level must hold its own threshold too, whatever was claimed: a core-journal paper over
    # the core limit is "not treated as core" (seed 003) even when the applicant only claims provincial.
    result, fallback = _level_within_threshold(policy, claims, ratio, recognised)
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
        f"{metric} {_pct(ratio)} 超过{LEVEL_ZH[exceeded]}论文上限 {_pct(limit or 0.0)}，"
        f"不按{LEVEL_ZH[exceeded]}论文对待{fallback}",
        metric=policy.copy_ratio_metric,
        ratio=ratio,
        threshold=limit,
        level=exceeded,
    )
    return result


def _corpus_size(
    findings: _Findings,
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
        f"{_pct(ratio)} 不能作为复制比审核的依据，请以知网等完整比对库的检测报告核实",
        corpus=name,
        documents=size,
        minimum=minimum,
    )


def corpus_label(corpus: dict[str, Any]) -> str:
    """The 比对库's name for a reviewer: its label(s), else its id."""
    parts = corpus.get("corpora")
    if isinstance(parts, list) and parts:
        return "、".join(corpus_label(p) for p in parts if isinstance(p, dict))
    return str(corpus.get("label") or corpus.get("name") or corpus.get("corpus_id") or "（未命名）")


def _level_within_threshold(
    policy: Policy, claims: PaperClaims, ratio: float, recognised: str | None
) -> tuple[str | None, str]:
    """The level the paper keeps given its copy ratio, and the zh-CN note when it drops to provincial."""
    if recognised is None:
        return None, ""
    own = policy.threshold(recognised, claims.title_grade)
    if own is None or ratio <= own + _EPS:
        return recognised, ""
    if recognised == "core" and policy.downgrade_when_over_core_threshold:
        prov = policy.threshold("provincial", claims.title_grade)
        if prov is not None and ratio <= prov + _EPS:
            return "provincial", f"；未超过省级期刊 {_pct(prov)}，可按省级期刊论文对待"
    return None, ""


def _authorship(findings: _Findings, policy: Policy, applicant: str | None, authors: list[str]) -> None:
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


def _cnki(findings: _Findings, policy: Policy, claims: PaperClaims, journal: Journal | None) -> None:
    rule = policy.cnki
    if rule is None or not rule.required:
        return
    if claims.in_cnki is False or (journal is not None and journal.origin != "cnki"):
        findings.add("cnki_report_required", "info", f"该论文未被中国知网收录：{rule.fallback}")


def _summary(
    policy: Policy,
    findings: _Findings,
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
        return f"需核实：暂按{LEVEL_ZH[recognised]}论文，{metric} {_pct(ratio)}；{why}"
    if status == "accepted" and recognised:
        basis = (
            f"（{'、'.join(level.core_basis)}）"
            if level and recognised == "core" and level.core_basis
            else ""
        )
        note = f"；另有 {counts['warning']} 项需核实" if counts["warning"] else ""
        return f"认可：按{LEVEL_ZH[recognised]}论文认定{basis}，{metric} {_pct(ratio)}{note}"
    head = f"不予认可为{LEVEL_ZH[claimed]}论文" if claimed else "不予认可"
    if not counts["reject"] and recognised is None:
        head = "信息不足，无法判定"
    level_text = f"可认定级别：{LEVEL_ZH[recognised]}" if recognised else "可认定级别：无"
    notify = "，请一次性补正" if policy.one_time_notification else ""
    return (
        f"{head}：共 {len(findings.items)} 项（否决 {counts['reject']}、需核实 {counts['warning']}、"
        f"提示 {counts['info']}）{notify}；{level_text}"
    )
