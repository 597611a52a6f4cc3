"""Which lists a journal belonged to in a given year, and why (the in-force rules).

In-force rules (documented in corpora/catalogue/MANIFEST.md, and repeated in every ``reason``):
- 北大核心 (``edition`` lists): the edition named "N年版" applies to papers published from year N until
  the year before the next edition (2017 edition: 2017–2019; 2020: 2020–2022; 2023: from 2023 on). Papers
  before the first edition (1992) are "unknown". A policy may shift this with ``core_edition_lag_years``
  (e.g. 1 when a jurisdiction applies an edition from the year after its title year).
- Period lists (CSSCI, CSCD, imported provincial lists): a period "2021-2022" covers those years. A year
  after the newest known period, or in a gap between periods, uses the latest earlier period and is
  flagged ``assumed`` (no newer list in the sources). A year before the first period is "unknown".
- Warning lists: listed in the year's list, reported with every year the journal was listed.
- Holes: a journal listed in editions before and after the edition in force but not in it (计算机工程 in
  2008 and 2014, not 2011) is a hole in the data far more often than a drop and back: ``member`` is None
  and ``gap`` names the missing edition, so a verdict asks a reviewer instead of saying "not core".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Membership:
    list_id: str
    start_year: int | None
    end_year: int | None
    edition: str | None
    grade: str | None
    note: str | None


@dataclass(frozen=True)
class ListInfo:
    list_id: str
    title: str
    kind: str
    version: str
    snapshot: str | None
    source: str
    licence: str | None
    rows: int


@dataclass
class TierStatus:
    """Membership of one journal in one list for one year. ``member`` is None when it cannot be known."""

    list_id: str
    title: str
    member: bool | None
    basis: str | None  # edition / period applied, e.g. "2017年版" or "2021-2022"
    assumed: bool
    reason: str  # zh-CN
    grade: str | None = None
    gap: str | None = None  # the edition missing between two listed ones (a hole in the data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def edition_status(
    info: ListInfo, editions: list[int], rows: list[Membership], year: int, lag: int = 0
) -> TierStatus:
    """北大核心: the edition in force in ``year`` (see module docstring)."""
    effective = year - lag
    in_force = [e for e in editions if e <= effective]
    if not in_force:
        return TierStatus(
            info.list_id, info.title, None, None, False, f"{year} 年早于第一版（{editions[0]}年版），无法判定"
        )
    edition = in_force[-1]
    later = [e for e in editions if e > edition]
    span = f"{edition + lag}–{later[0] + lag - 1} 年" if later else f"{edition + lag} 年起"
    member_editions = sorted({m.start_year for m in rows if m.start_year is not None})
    member = edition in member_editions
    listed = "、".join(f"{e}年版" for e in member_editions) or "无"
    before = [e for e in member_editions if e < edition]
    after = [e for e in member_editions if e > edition]
    if not member and before and after:
        reason = (
            f"{year} 年适用 {edition}年版（适用于 {span}）；目录数据中该刊收录于 {before[-1]}年版 和 "
            f"{after[0]}年版，却缺 {edition}年版 记录（疑为数据缺口），无法判定；曾收录版次：{listed}"
        )
        return TierStatus(
            info.list_id, info.title, None, f"{edition}年版", False, reason, gap=f"{edition}年版"
        )
    verb = "收录" if member else "未收录"
    reason = f"{year} 年适用 {edition}年版（适用于 {span}），该版{verb}此刊；曾收录版次：{listed}"
    return TierStatus(info.list_id, info.title, member, f"{edition}年版", False, reason)


def period_status(
    info: ListInfo, periods: list[tuple[int, int]], rows: list[Membership], year: int
) -> TierStatus:
    """CSSCI/CSCD and imported period lists (see module docstring)."""
    periods = sorted(set(periods))
    if not periods:
        return TierStatus(info.list_id, info.title, None, None, False, "目录中没有该名录的任何期次")
    covering = [p for p in periods if p[0] <= year <= p[1]]
    assumed = False
    if covering:
        period = covering[-1]
    else:
        earlier = [p for p in periods if p[1] < year]
        if not earlier:
            first = f"{periods[0][0]}-{periods[0][1]}"
            return TierStatus(
                info.list_id, info.title, None, None, False, f"{year} 年早于已知最早期次（{first}），无法判定"
            )
        period, assumed = earlier[-1], True
    label = f"{period[0]}-{period[1]}"
    hit = [m for m in rows if (m.start_year, m.end_year) == period]
    member = bool(hit)
    verb = "收录" if member else "未收录"
    reason = f"{year} 年适用 {label} 期次，该期次{verb}此刊"
    if assumed:
        reason += f"（资料中无覆盖 {year} 年的名录，沿用最近一期 {label}，请以当年名录核实）"
    grade = hit[0].grade if hit else None
    return TierStatus(info.list_id, info.title, member, label, assumed, reason, grade)


def listed_status(info: ListInfo, rows: list[Membership], year: int) -> TierStatus:
    """Imported catalogues without years (a province's list): listed means listed, in any year."""
    dated = [(m.start_year, m.end_year or m.start_year) for m in rows if m.start_year is not None]
    if dated:
        return period_status(info, dated, rows, year)
    grade = rows[0].grade if rows else None
    return TierStatus(
        info.list_id,
        info.title,
        True,
        info.version,
        False,
        f"{info.title}（版本 {info.version}）收录此刊",
        grade,
    )


def warning_status(info: ListInfo, rows: list[Membership], year: int | None) -> TierStatus | None:
    """Early-warning lists: None when the journal was never listed."""
    if not rows:
        return None
    years = sorted({m.start_year for m in rows if m.start_year is not None})
    listed = "、".join(
        f"{y}年（{m.grade}）" if m.grade else f"{y}年" for y in years for m in rows if m.start_year == y
    )
    member = year in years if year is not None else None
    when = f"{year} 年名单{'列入' if member else '未列入'}此刊；" if year is not None else ""
    grade = next((m.grade for m in rows if m.start_year == year), None)
    return TierStatus(
        info.list_id,
        info.title,
        member,
        str(year) if member else None,
        False,
        f"{when}曾列入：{listed}",
        grade,
    )
