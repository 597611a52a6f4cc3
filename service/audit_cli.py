"""``integrity audit [list options] | verify | anchor | public-key | verify-anchor``.

Why here and not in ``integrity/cli``: these commands need the service database; ``integrity/cli``
registers this group in one line (``add_audit_commands``) so the core CLI stays framework-free.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer


def _settings() -> Any:
    from integrity.settings import get_settings

    return get_settings()


def _database() -> Any:
    from service.db import Database

    db = Database(_settings())
    db.upgrade()
    return db


def make_audit_app(list_events: Callable[..., None]) -> typer.Typer:
    """The ``audit`` group; without a subcommand it lists events (``list_events``, the old command)."""
    app = typer.Typer(help="审计记录：查看、校验哈希链、导出签名锚点。")

    @app.callback(invoke_without_command=True)
    def _list(
        ctx: typer.Context,
        tenant: str | None = typer.Option(None, "--tenant", help="只看该租户"),
        action: str | None = typer.Option(None, "--action", help="如 check.submit、corpus.add、key.create"),
        limit: int = typer.Option(100, "--limit", min=1, max=100000),
        as_json: bool = typer.Option(False, "--json", help="每行一个 JSON 事件"),
    ) -> None:
        """查看审计记录（最新在前）；子命令 verify / anchor / public-key / verify-anchor。"""
        if ctx.invoked_subcommand is None:
            list_events(tenant=tenant, action=action, limit=limit, as_json=as_json)

    app.command("verify")(verify)
    app.command("anchor")(anchor)
    app.command("public-key")(public_key)
    app.command("verify-anchor")(verify_anchor)
    return app


def verify(
    tenant: str | None = typer.Option(None, "--tenant", help="只校验该租户的链"),
    anchor_file: Path | None = typer.Option(None, "--anchor", help="另核对此锚点文件（需配合 --public-key）"),
    public_key_file: Path | None = typer.Option(None, "--public-key", help="锚点公钥 PEM（从可信渠道获得）"),
) -> None:
    """重新计算审计哈希链；发现断裂时指出第一个断裂处并以退出码 1 结束。"""
    from service.audit_chain import check_anchor_against_db, verify_anchor_signature, verify_chain

    db = _database()
    try:
        checked, broken = verify_chain(db, tenant)
        if anchor_file is not None:
            if public_key_file is None:
                raise typer.BadParameter("核对锚点需要 --public-key", param_hint="--public-key")
            try:
                payload = verify_anchor_signature(
                    json.loads(anchor_file.read_text(encoding="utf-8")), public_key_file.read_text()
                )
            except ValueError as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(1) from exc
            broken += check_anchor_against_db(db, payload)
    finally:
        db.dispose()
    for b in broken:
        typer.echo(b.message(), err=True)
    if broken:
        raise typer.Exit(1)
    typer.echo(f"审计链完整：已校验 {checked} 个事件")


def _parse_day(value: str | None) -> date:
    if not value:
        return (datetime.now(UTC) - timedelta(days=1)).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}", param_hint="--date") from exc


def anchor(
    day: str | None = typer.Option(None, "--date", help="UTC 日期 YYYY-MM-DD，默认昨天"),
    out: Path | None = typer.Option(None, "--out", help="写入文件（默认输出到标准输出）"),
) -> None:
    """导出某日的签名锚点（各租户链头，Ed25519 签名），交给外部保存以便日后核对。"""
    from service.audit_chain import make_anchor

    settings = _settings()
    db = _database()
    try:
        doc = make_anchor(db, settings.data_dir, _parse_day(day))
    finally:
        db.dispose()
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"锚点已写入 {out}", err=True)


def public_key() -> None:
    """输出锚点签名公钥（PEM），供外部核对方保存。"""
    from service.audit_chain import public_key_pem

    typer.echo(public_key_pem(_settings().data_dir), nl=False)


def verify_anchor(
    anchor_file: Path = typer.Argument(..., help="锚点 JSON 文件"),
    public_key_file: Path = typer.Option(..., "--public-key", help="锚点公钥 PEM（从可信渠道获得）"),
) -> None:
    """核对锚点签名（无需数据库）；有效时输出锚定的各租户链头。"""
    from service.audit_chain import verify_anchor_signature

    try:
        payload = verify_anchor_signature(
            json.loads(anchor_file.read_text(encoding="utf-8")), public_key_file.read_text()
        )
    except (ValueError, OSError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"锚点签名有效：{payload['date']}")
    for c in payload["chains"]:
        typer.echo(f"  租户 {c['tenant']}：事件 {c['last_id']}（共 {c['events']} 个）哈希 {c['last_hash']}")
