"""``integrity serve | worker | keys create|list|revoke | audit | db upgrade`` and ``report --register``.

The service adds these to the core CLI through the ``integrity.cli_plugins`` entry point (pyproject.toml),
so ``integrity/`` never imports ``service/``. Service code (FastAPI, SQLAlchemy, Celery) is imported
inside the commands only, so ``integrity --help`` and ``integrity check`` still start fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer

keys_app = typer.Typer(no_args_is_help=True, help="管理 API 密钥（只保存哈希；密钥只显示一次）。")
users_app = typer.Typer(
    no_args_is_help=True, help="管理网页登录用户（每个租户独立；密码以 argon2id 哈希保存）。"
)
db_app = typer.Typer(no_args_is_help=True, help="服务数据库（SQLite 或 PostgreSQL）。")


class Role(StrEnum):
    unit = "unit"
    reviewer = "reviewer"
    admin = "admin"


def register(app: typer.Typer) -> None:
    """Entry point ``integrity.cli_plugins: service``: add the service's commands to the root app."""
    from integrity.cli.plugins import set_report_registrar

    set_report_registrar(_register_report)
    app.command("serve")(serve)
    app.command("worker", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(worker)
    from service.audit_cli import make_audit_app  # audit verify / anchor / verify-anchor (issue 10)

    app.add_typer(make_audit_app(audit), name="audit")
    app.add_typer(keys_app, name="keys")
    app.add_typer(users_app, name="users")
    app.add_typer(db_app, name="db")


def _settings() -> Any:
    """The validated settings (``get_settings`` turns a bad ``INTEGRITY_*`` value into one message)."""
    from integrity.settings import get_settings

    return get_settings()


def _register_report(result: dict[str, Any], settings: Any, fmt: str) -> str:
    """``integrity report --register``: store the verification code in the service database."""
    from service.routers.reports import register_cli_report

    return register_cli_report(result, settings, fmt)


def _database() -> Any:
    from service.db import Database

    db = Database(_settings())
    db.upgrade()
    return db


def serve(
    host: str | None = typer.Option(None, "--host", help="监听地址，默认 INTEGRITY_HOST"),
    port: int | None = typer.Option(None, "--port", help="端口，默认 INTEGRITY_PORT"),
    workers: int = typer.Option(1, "--workers", help="API 进程数（仅 celery 队列时可大于 1）"),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """启动 HTTP 服务（默认内嵌任务队列 + SQLite；设置 INTEGRITY_QUEUE_BACKEND=celery 则交给 Celery）。"""
    import uvicorn

    from integrity.errors import IntegrityError

    settings = _settings()
    if workers > 1 and settings.queue_backend == "inprocess":
        raise IntegrityError(
            "内嵌任务队列只支持单个 API 进程：请用 --workers 1 或改用 celery 队列", code="bad_option"
        )
    settings = _bind(settings, host, port)
    if (warning := settings.loopback_warning()) is not None:
        typer.echo(warning, err=True)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=log_level,
        **_supervisor_options(uvicorn, settings),
    )


def _bind(settings: Any, host: str | None, port: int | None) -> Any:
    """Make --host/--port the settings of the app (its report URLs use the bound address)."""
    import os

    from integrity.settings import get_settings

    if host:
        os.environ["INTEGRITY_HOST"] = host
    if port:
        os.environ["INTEGRITY_PORT"] = str(port)
    if host or port:
        get_settings.cache_clear()
        return get_settings()
    return settings


def _supervisor_options(uvicorn: Any, settings: Any) -> dict[str, Any]:
    """uvicorn's multi-process supervisor pings each child and restarts one that misses a 5 s deadline: on a
    loaded 2-core host (load 28, the compose stack starting) children still importing never make it and are
    restarted forever. The deadline comes from settings where this uvicorn has the option."""
    import inspect

    if "timeout_worker_healthcheck" not in inspect.signature(uvicorn.Config).parameters:
        return {}
    return {"timeout_worker_healthcheck": settings.api_worker_healthcheck_timeout_s}


def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", help="并发数，默认 INTEGRITY_WORKER_THREADS"
    ),
    pool: str = typer.Option("prefork", "--pool", "-P", help="prefork、threads 或 solo"),
) -> None:
    """启动 Celery worker（消费 INTEGRITY_CELERY_QUEUE 队列）。其余参数原样传给 celery worker。"""
    settings = _settings()  # validated before workers.app reads it at import
    from workers.app import app as celery_app

    argv = [
        "worker",
        "-Q",
        settings.celery_queue,
        "-c",
        str(concurrency or settings.worker_threads),
        "-P",
        pool,
        "--loglevel",
        "INFO",
        *ctx.args,
    ]
    celery_app.worker_main(argv)


@keys_app.command("create")
def keys_create(
    role: Role = typer.Option(..., "--role", help="unit、reviewer 或 admin"),
    tenant: str = typer.Option(..., "--tenant", help="租户（小写字母、数字、- 与 _）"),
    name: str = typer.Option("", "--name", help="备注名"),
    callback_url: str | None = typer.Option(None, "--callback-url", help="默认回调地址"),
) -> None:
    """创建密钥并打印（只显示这一次）。"""
    from service import audit as audit_log
    from service.auth import create_key, key_to_dict
    from service.webhooks import validate_callback_url

    db = _database()
    if callback_url:
        validate_callback_url(callback_url, _settings())
    created = create_key(db, role=role.value, tenant=tenant, name=name, callback_url=callback_url)
    audit_log.record(
        db,
        tenant=tenant,
        action="key.create",
        object_type="api_key",
        object_id=created.row.id,
        detail={"role": role.value, "via": "cli"},
    )
    out = {**key_to_dict(created.row), "key": created.key, "webhook_secret": created.row.webhook_secret}
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@keys_app.command("list")
def keys_list(
    tenant: str | None = typer.Option(None, "--tenant", help="只列出该租户"),
    as_json: bool = typer.Option(False, "--json", help="每行一个 JSON"),
) -> None:
    """列出密钥（不含密钥本身）。"""
    from rich.console import Console
    from rich.table import Table

    from service.auth import key_to_dict, list_keys

    rows = list_keys(_database(), tenant)
    if as_json:
        for r in rows:
            typer.echo(json.dumps(key_to_dict(r), ensure_ascii=False))
        return
    table = Table("id", "前缀", "名称", "角色", "租户", "创建时间", "吊销时间")
    for r in rows:
        table.add_row(
            r.id,
            r.prefix,
            r.name,
            r.role,
            r.tenant,
            r.created_at.isoformat(timespec="seconds"),
            r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="密钥 id（见 keys list）")) -> None:
    """吊销密钥：立即失效，记录保留。"""
    from service import audit as audit_log
    from service.auth import revoke_key

    db = _database()
    row = revoke_key(db, key_id)
    audit_log.record(
        db,
        tenant=row.tenant,
        action="key.revoke",
        object_type="api_key",
        object_id=key_id,
        detail={"via": "cli"},
    )
    typer.echo(f"已吊销密钥 {key_id}（租户 {row.tenant}）")


def audit(
    tenant: str | None = typer.Option(None, "--tenant", help="只看该租户"),
    action: str | None = typer.Option(None, "--action", help="如 check.submit、corpus.add、key.create"),
    limit: int = typer.Option(100, "--limit", min=1, max=100000),
    as_json: bool = typer.Option(False, "--json", help="每行一个 JSON 事件"),
) -> None:
    """查看审计记录（最新在前）。"""
    from service import audit as audit_log

    events = audit_log.list_events(_database(), tenant=tenant, action=action, limit=limit)
    if as_json:
        for e in events:
            typer.echo(json.dumps(e, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("时间", "租户", "密钥", "操作", "对象", "文件哈希", "政策版本")
    for e in events:
        table.add_row(
            e["at"][:19],
            e["tenant"],
            e["key_id"] or "",
            e["action"],
            f"{e['object_type'] or ''} {e['object_id'] or ''}".strip(),
            (e["file_sha256"] or "")[:12],
            e["policy_version"] or "",
        )
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """执行数据库迁移（alembic upgrade head）。"""
    _database()
    url = _settings().db_url
    typer.echo(f"数据库已升级到最新版本：{url.split('@')[-1]}")


def _read_password(password_stdin: bool) -> str:
    """The new password: one line from stdin (scripts) or typed twice without echo (people)."""
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码"))


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="用户名（字母、数字和 . _ @ -）"),
    tenant: str = typer.Option(..., "--tenant", help="租户（单位代码）"),
    role: Role = typer.Option(Role.unit, "--role", help="unit、reviewer 或 admin（同 API 密钥角色）"),
    display_name: str = typer.Option("", "--name", help="姓名或科室，显示在网页上"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（一行）"),
) -> None:
    """新增网页登录用户。"""
    from service import audit as audit_log
    from service.users import create_user, user_to_dict

    db = _database()
    row = create_user(
        db,
        tenant=tenant,
        username=username,
        password=_read_password(password_stdin),
        role=role.value,
        display_name=display_name,
    )
    audit_log.record(
        db,
        tenant=tenant,
        action="user.create",
        object_type="user",
        object_id=username,
        detail={"role": role.value, "via": "cli"},
    )
    typer.echo(json.dumps(user_to_dict(row), ensure_ascii=False, indent=2))


@users_app.command("list")
def users_list(
    tenant: str | None = typer.Option(None, "--tenant", help="只列出该租户"),
    as_json: bool = typer.Option(False, "--json", help="每行一个 JSON"),
) -> None:
    """列出网页登录用户（不含密码）。"""
    from service.users import list_users, user_to_dict

    rows = [user_to_dict(r) for r in list_users(_database(), tenant)]
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("租户", "用户名", "姓名", "角色", "状态", "最近登录")
    for r in rows:
        state = "已停用" if r["disabled"] else ("已锁定" if r["locked_until"] else "正常")
        table.add_row(
            str(r["tenant"]),
            str(r["username"]),
            str(r["display_name"]),
            str(r["role"]),
            state,
            str(r["last_login_at"] or "")[:19],
        )
    Console().print(table)


@users_app.command("passwd")
def users_passwd(
    username: str = typer.Argument(...),
    tenant: str = typer.Option(..., "--tenant"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（一行）"),
) -> None:
    """重设密码（同时解除锁定并注销该用户的所有会话）。"""
    from service import audit as audit_log
    from service.users import set_password

    db = _database()
    set_password(db, tenant, username, _read_password(password_stdin))
    audit_log.record(
        db, tenant=tenant, action="user.passwd", object_type="user", object_id=username, detail={"via": "cli"}
    )
    typer.echo(f"已重设用户 {username} 的密码（租户 {tenant}）")


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...), tenant: str = typer.Option(..., "--tenant")) -> None:
    """停用用户：立即注销其会话，不能再登录（记录保留）。"""
    from service import audit as audit_log
    from service.users import set_disabled

    db = _database()
    set_disabled(db, tenant, username, True)
    audit_log.record(
        db,
        tenant=tenant,
        action="user.disable",
        object_type="user",
        object_id=username,
        detail={"via": "cli"},
    )
    typer.echo(f"已停用用户 {username}（租户 {tenant}）")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...), tenant: str = typer.Option(..., "--tenant")) -> None:
    """重新启用用户（也解除密码错误锁定）。"""
    from service import audit as audit_log
    from service.users import set_disabled

    db = _database()
    set_disabled(db, tenant, username, False)
    audit_log.record(
        db, tenant=tenant, action="user.enable", object_type="user", object_id=username, detail={"via": "cli"}
    )
    typer.echo(f"已启用用户 {username}（租户 {tenant}）")
