"""Which catalogue journal a paper's name, ISSN and CN point to, every disagreement a finding."""

from __future__ import annotations

import re

from integrity.catalogue import Catalogue, Journal, JournalMatch, check_cn, check_issn
from integrity.catalogue.identifiers import normalise_name, osa_distance, strip_trailing_qualifiers
from integrity.policy.context import Findings, titled


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


def _identifier_sets(
    catalogue: Catalogue, findings: Findings, issn: str | None, cn: str | None, year: int | None
) -> dict[str, list[JournalMatch]]:
    """Journals the ISSN and the CN each point to; an invalid or unknown identifier is a finding."""
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
    return sets


def _not_found(
    findings: Findings, name: str | None, issn: str | None, cn: str | None, candidates: list[JournalMatch]
) -> None:
    """No identifier found a journal: a reject naming the nearest catalogue titles, if any."""
    if name and not findings.has("issn_invalid", "cn_invalid", "internal_journal"):
        near = "；最接近：" + "、".join(f"{titled(c.journal)}（相似度 {c.score:.2f}）" for c in candidates)
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
    return


def _notes(
    findings: Findings, name: str | None, sets: dict[str, list[JournalMatch]], chosen: JournalMatch
) -> None:
    """For the reviewer: a shared identifier, a former name, a name without its qualifier."""
    for key, matches in sets.items():
        if key != "刊名" and len(matches) > 1:
            others = "、".join(titled(m.journal) for m in matches)
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
            f"“{name}”是{titled(chosen.journal)}的曾用刊名",
        )
    elif chosen.matched_by == "name_without_qualifier":
        findings.add(
            "journal_name_without_qualifier",
            "info",
            f"刊名“{name}”按目录刊名{titled(chosen.journal)}认定（目录刊名另含版别或副名）",
        )


def identify(
    catalogue: Catalogue,
    findings: Findings,
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
    sets = _identifier_sets(catalogue, findings, issn, cn, year)
    candidates: list[JournalMatch] = []
    if name:
        exact = catalogue.by_name(str(name), year, fuzzy=False)
        if exact:
            sets["刊名"] = exact
        else:
            candidates = catalogue.by_name(str(name), year, fuzzy=True, limit=3)
    id_sets = {k: {m.journal.id for m in v} for k, v in sets.items() if v}
    if not id_sets:
        _not_found(findings, name, issn, cn, candidates)
        return None, None, candidates
    common = set.intersection(*id_sets.values())
    if name and "刊名" not in sets:
        # a name spelt differently from the catalogue: accepted when the ISSN/CN journal is the top candidate
        top = candidates[0] if candidates else None
        if top is not None and top.journal.id in common and _same_title(str(name), top.journal.name):
            findings.add(
                "journal_name_variant",
                "info",
                f"刊名“{name}”与目录刊名{titled(top.journal)}写法不一致"
                f"（相似度 {top.score:.2f}），已按刊号认定",
            )
        else:
            owner = "、".join(sorted({titled(m.journal) for v in sets.values() for m in v}))
            findings.add(
                "journal_identity_mismatch",
                "reject",
                f"刊名“{name}”与刊号不符：该刊号在目录中属于{owner}，疑似假刊或一号多刊",
                journal=str(name),
                owners=sorted({m.journal.name for v in sets.values() for m in v}),
            )
            return None, None, candidates
    if not common:
        owners = "；".join(f"{k}对应{'、'.join(titled(m.journal) for m in v)}" for k, v in sets.items() if v)
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
        editions = "、".join(titled(m.journal) for m in by_base)
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
                f"论文标注的 {key} {value} 与目录中{titled(chosen.journal)}的 {key} 不符，疑似假刊或一号多刊",
                given=value,
                catalogue=own,
            )
            return None, None, candidates
    _notes(findings, name, sets, chosen)
    return chosen.journal, chosen, candidates
