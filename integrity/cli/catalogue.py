"""``integrity catalogue build|import|stats``, ``journal lookup``, ``policy list|show|validate``.

Thin over integrity.catalogue and integrity.policy; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from integrity.errors import IntegrityError


class Fmt(StrEnum):
    text = "text"
    json = "json"


catalogue_app = typer.Typer(no_args_is_help=True, help="期刊目录：构建、导入名录、统计。")
journal_app = typer.Typer(no_args_is_help=True, help="期刊查询：ISSN、CN 或刊名，按发表年份判定级别。")
policy_app = typer.Typer(no_args_is_help=True, help="政策规则：列出、查看、校验。")


def register(app: typer.Typer) -> None:
    """Add the catalogue, journal and policy groups to the root app."""
    app.add_typer(catalogue_app, name="catalogue")
    app.add_typer(journal_app, name="journal")
    app.add_typer(policy_app, name="policy")


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _db(db: Path | None) -> Path:
    from integrity.settings import get_settings

    return Path(db) if db else get_settings().catalogue_path


# --- catalogue ------------------------------------------------------------------------------------
@catalogue_app.command("build")
def build(
    source: Path = typer.Option(..., "--from", help="源数据目录（含 cnki_journals_*.csv 等）"),
    out: Path | None = typer.Option(None, "--out", help="输出文件，默认 settings.catalogue_path"),
) -> None:
    """从源数据快照重建期刊目录数据库（可复现）。"""
    from integrity.catalogue.build import build_catalogue

    target = _db(out)
    counts = build_catalogue(source, target)
    typer.echo(f"已构建期刊目录：{target}")
    for key, value in counts.items():
        typer.echo(f"  {key}: {value}")


@catalogue_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV 文件（格式见 corpora/catalogue/MANIFEST.md）"),
    list_id: str | None = typer.Option(None, "--list", help="名录 ID，如 provincial_authority:gansu"),
    title: str | None = typer.Option(None, "--title", help="名录名称（中文）"),
    kind: str | None = typer.Option(
        None, "--kind", help="period|provincial|provincial_authority|registry|warning"
    ),
    version: str | None = typer.Option(None, "--version", help="名录版本；内容变化须提高版本"),
    source: str | None = typer.Option(None, "--source", help="来源"),
    licence: str | None = typer.Option(None, "--licence", help="许可"),
    snapshot: str | None = typer.Option(None, "--snapshot", help="快照日期 YYYY-MM-DD"),
    db: Path | None = typer.Option(None, "--db", help="目录文件，默认 settings.catalogue_path"),
) -> None:
    """导入或更新一个名录（省级期刊目录、省权威期刊目录、期刊登记导出等）。"""
    from integrity.catalogue.importer import import_list

    result = import_list(
        _db(db),
        file,
        {
            "list_id": list_id,
            "title": title,
            "kind": kind,
            "version": version,
            "source": source,
            "licence": licence,
            "snapshot": snapshot,
        },
    )
    if result.unchanged:
        typer.echo(f"名录 {result.list_id} 版本 {result.version} 已导入且内容相同，未做修改")
        return
    typer.echo(
        f"已导入名录 {result.list_id}（版本 {result.version}）：{result.rows} 行，"
        f"匹配已有期刊 {result.matched}，新增 {result.created}"
    )


@catalogue_app.command("stats")
def stats(
    output_format: Fmt = typer.Option(Fmt.text, "--format"),
    db: Path | None = typer.Option(None, "--db", help="目录文件，默认 settings.catalogue_path"),
) -> None:
    """目录版本、期刊数与各名录的版本和行数。"""
    from integrity.catalogue import Catalogue

    info = Catalogue.open(_db(db)).describe()
    if output_format is Fmt.json:
        _echo_json(info)
        return
    typer.echo(f"期刊目录 {info['path']}")
    typer.echo(f"版本 {info['version']}，期刊 {info['journals']} 种")
    for list_id, item in info["lists"].items():
        typer.echo(f"  {list_id:<32} {item['title']}  版本 {item['version']}  {item['rows']} 行")


# --- journal --------------------------------------------------------------------------------------
@journal_app.command("lookup")
def lookup(
    query: str = typer.Argument(..., help="ISSN、CN 或刊名"),
    year: int | None = typer.Option(None, "--year", help="发表年份：给出该年适用的核心版次与级别"),
    output_format: Fmt = typer.Option(Fmt.text, "--format"),
    db: Path | None = typer.Option(None, "--db", help="目录文件，默认 settings.catalogue_path"),
) -> None:
    """查询期刊及其在某年的级别和依据。"""
    from integrity.catalogue import Catalogue

    matches = Catalogue.open(_db(db)).lookup(query, year)
    only_similar = bool(matches) and all(m.matched_by == "fuzzy_name" for m in matches)
    if output_format is Fmt.json:
        _echo_json([m.to_dict() for m in matches])
        if not matches or only_similar:
            raise typer.Exit(1)
        return
    if not matches:
        typer.echo(f"未在期刊目录中找到“{query}”")
        raise typer.Exit(1)
    if only_similar:
        # a near name is not the journal: say so first, so a clerk never reads a candidate as a hit
        typer.echo(f"未找到：期刊目录中没有“{query}”，以下仅为相似刊名，请核对刊名或改用 ISSN/CN 查询")
    how_zh = {
        "issn": "ISSN",
        "cn": "CN",
        "name": "刊名",
        "former_name": "曾用刊名",
        "name_without_qualifier": "刊名（目录刊名另含版别或副名）",
        "alias": "别名",
        "fuzzy_name": "近似刊名",
    }
    status_zh = {"active": "正常", "ceased": "停刊", "merged": "合并"}
    for m in matches:
        j = m.journal
        score = f"，相似度 {m.score:.2f}" if m.matched_by == "fuzzy_name" else ""
        typer.echo(f"《{j.name}》 匹配方式：{how_zh.get(m.matched_by, m.matched_by)}{score}")
        typer.echo(
            f"  ISSN {j.issn or '—'}  CN {j.cn or j.raw_cn or '—'}  状态 {status_zh.get(j.status, j.status)}"
        )
        if j.former_names:
            typer.echo(f"  曾用刊名：{'、'.join(j.former_names)}")
        if m.successor:
            typer.echo(f"  继承刊：《{m.successor.name}》")
        if year is None:
            typer.echo(
                "  收录：" + ("、".join(sorted({f"{x.list_id}:{x.edition}" for x in j.memberships})) or "无")
            )
            continue
        level = m.level
        level_zh = {"core": "核心期刊", "provincial": "省级期刊"}
        if level is not None:
            typer.echo(f"  {year} 年认定：{level_zh.get(level.level or '', '不予认可')}")
            for reason in level.reasons:
                typer.echo(f"    - {reason}")
        for tier in m.tiers:
            if tier.list_id not in ("pku_core", "cssci", "cscd"):
                typer.echo(f"    - {tier.title}：{tier.reason}")
    if only_similar:
        raise typer.Exit(1)


# --- policy ---------------------------------------------------------------------------------------
@policy_app.command("list")
def policy_list(output_format: Fmt = typer.Option(Fmt.text, "--format")) -> None:
    """列出可用政策（settings.policy_dir）。"""
    from integrity.policy import list_policies
    from integrity.settings import get_settings

    settings = get_settings()
    policies = list_policies(settings)
    if output_format is Fmt.json:
        _echo_json([p.summary() | {"is_default": p.id == settings.default_policy} for p in policies])
        return
    for p in policies:
        mark = " [默认]" if p.id == settings.default_policy else ""
        typer.echo(f"{p.id}  v{p.version}{mark}  {p.title}")


@policy_app.command("show")
def policy_show(
    policy_id: str | None = typer.Argument(None, help="政策 ID，默认 settings.default_policy"),
    output_format: Fmt = typer.Option(Fmt.text, "--format"),
) -> None:
    """显示一项政策的全部规则。"""
    from integrity.policy import load_policy
    from integrity.policy.model import LEVEL_ZH, METRIC_ZH
    from integrity.settings import get_settings

    p = load_policy(policy_id, get_settings())
    if output_format is Fmt.json:
        _echo_json(p.to_dict())
        return
    typer.echo(f"{p.id} v{p.version}：{p.title}（{p.jurisdiction}）")
    typer.echo(f"  依据：{'；'.join(p.sources)}")
    typer.echo(f"  复制比指标：{METRIC_ZH[p.copy_ratio_metric]}")
    for level in ("core", "provincial"):
        t = p.thresholds.for_level(level)
        typer.echo(f"  {LEVEL_ZH[level]}上限：{'未规定' if t is None else f'{t:.0%}'}")
    for grade, th in p.thresholds_by_title_grade.items():
        typer.echo(f"  {grade}：核心 {th.core}，省级 {th.provincial}")
    typer.echo(f"  核心名录：{'、'.join(p.core_lists)}（版次滞后 {p.core_edition_lag_years} 年）")
    electronic = "排除" if p.exclude_electronic else "不排除"
    typer.echo(f"  不予认可：{'、'.join(p.excluded_issue_markers)}；电子期刊{electronic}")
    once = "是" if p.one_time_notification else "否"
    typer.echo(f"  业绩截止：{p.material_cutoff or '未规定'}；一次性告知：{once}")
    if p.provincial_authority:
        a = p.provincial_authority
        typer.echo(f"  省权威期刊目录 {a.list_id}：{a.counts_as_core_before} 前发表的按核心期刊对待")
    if p.cnki:
        typer.echo(f"  知网未收录：{p.cnki.fallback}")


@policy_app.command("validate")
def policy_validate(
    targets: list[str] = typer.Argument(None, help="政策文件或 ID；省略则校验政策目录下全部文件"),
) -> None:
    """校验政策文件（字段、取值、引用），有错误时退出码非零。"""
    from integrity.policy import load_policy, validate_file
    from integrity.policy.model import policy_files
    from integrity.settings import get_settings

    settings = get_settings()
    paths: list[Path | str] = list(targets) if targets else list(policy_files(settings.policy_dir))
    template = settings.policy_dir / "_template.toml"
    if not targets and template.is_file():
        paths.append(template)
    known: set[str] | None = None
    try:
        from integrity.catalogue import Catalogue

        known = set(Catalogue.open(settings.catalogue_path).lists)
    except IntegrityError:
        typer.echo("提示：期刊目录不可用，未核对政策引用的名录 ID")
    for target in paths:
        text = str(target)
        policy = validate_file(text) if text.endswith(".toml") else load_policy(text, settings)
        typer.echo(f"通过：{text}（{policy.id} v{policy.version}）")
        if known is None:
            continue
        for list_id in policy.core_lists:
            if list_id not in known:
                typer.echo(f"  提示：core_lists 中的名录 {list_id} 不在期刊目录中（请先导入）")
        if policy.provincial_authority and policy.provincial_authority.list_id not in known:
            lid = policy.provincial_authority.list_id
            typer.echo(f"  提示：省权威期刊目录 {lid} 尚未导入，该规则将以提示形式报告")
