"""People sign in with tenant + user name + password (argon2id), get an HttpOnly SameSite=Strict session
cookie and must echo the CSRF token on state-changing requests; wrong passwords lock the account."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from integrity.settings import Settings
from tests.service.helpers import ADMIN, TestClient, make_settings

PASSWORD = "correct horse battery"


def _app(settings: Settings) -> TestClient:
    from service.app import create_app

    return TestClient(create_app(settings))


def _user(client: TestClient, username: str, role: str = "unit", tenant: str = "city") -> None:
    from service.users import create_user

    create_user(client.app.state.db, tenant=tenant, username=username, password=PASSWORD, role=role)  # type: ignore[attr-defined]


def _login(client: TestClient, username: str, password: str = PASSWORD, tenant: str = "city") -> Any:
    return client.post("/v1/session", json={"tenant": tenant, "username": username, "password": password})


def test_sign_in_cookie_csrf_and_sign_out(tmp_path: Path) -> None:
    with _app(make_settings(tmp_path)) as client:
        _user(client, "hr.clerk")
        from service.models import User

        with client.app.state.db.session() as s:  # type: ignore[attr-defined]
            assert s.query(User).one().password_hash.startswith("$argon2id$")

        r = _login(client, "hr.clerk", "wrong password!")
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
        assert "integrity_session" not in client.cookies
        assert _login(client, "nobody").status_code == 401  # same answer for an unknown user

        r = _login(client, "hr.clerk")
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie  # http public_base_url: off unless configured
        csrf = r.json()["csrf_token"]
        assert r.json()["role"] == "unit" and r.json()["tenant"] == "city"

        me = client.get("/v1/session").json()
        assert me["username"] == "hr.clerk" and me["csrf_token"] == csrf
        assert client.get("/v1/checks").status_code == 200  # reads need no CSRF token
        token = client.cookies["integrity_session"]

        paper = {"file": ("p.txt", "引言\n这是一篇用于测试登录会话的论文内容。".encode() * 5)}
        r = client.post("/v1/checks", files=paper)
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        r = client.post("/v1/checks", files=paper, headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403
        r = client.post("/v1/checks", files=paper, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 202, r.text

        assert client.get("/v1/audit").status_code == 403  # roles as for keys: unit is no admin
        events = client.get("/v1/audit?limit=50&tenant=city", headers=ADMIN).json()["items"]
        actions = {e["action"] for e in events}
        assert {"session.login", "session.login_failed", "check.submit"} <= actions
        submit = next(e for e in events if e["action"] == "check.submit")
        assert submit["key_id"].startswith("u:")  # who acted: the person, not a shared key

        assert client.delete("/v1/session").status_code == 403  # sign-out is state-changing too
        assert client.delete("/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
        client.cookies.clear()
        client.cookies.set("integrity_session", token)  # a copied cookie is dead after sign-out
        assert client.get("/v1/session").status_code == 401


def test_secure_cookie_configurable(tmp_path: Path) -> None:
    with _app(make_settings(tmp_path, session_cookie_secure=True)) as client:
        _user(client, "a")
        assert "Secure" in _login(client, "a").headers["set-cookie"]
    with _app(make_settings(tmp_path / "2", public_base_url="https://zc.example.cn")) as client:
        _user(client, "a")
        assert "Secure" in _login(client, "a").headers["set-cookie"]


def test_lockout_after_max_failures(tmp_path: Path) -> None:
    from datetime import timedelta

    from service.models import User, utcnow
    from service.users import set_disabled

    settings = make_settings(tmp_path, login_max_failures=3, login_lockout_s=3600)
    with _app(settings) as client:
        _user(client, "clerk")
        for _ in range(3):
            assert _login(client, "clerk", "wrong password!").status_code == 401
        r = _login(client, "clerk")  # right password, but locked
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "login_locked" and "锁定" in r.json()["error"]["message"]
        assert int(r.headers["retry-after"]) > 3000
        db = client.app.state.db  # type: ignore[attr-defined]
        with db.session() as s:  # the lockout has run out (no sleeping: hashing is slow on a busy host)
            s.query(User).one().locked_until = utcnow() - timedelta(seconds=1)
        assert _login(client, "clerk").status_code == 200
        for _ in range(3):
            _login(client, "clerk", "wrong password!")
        assert _login(client, "clerk").status_code == 429
        set_disabled(db, "city", "clerk", False)  # `integrity users enable` lifts a lockout
        assert _login(client, "clerk").status_code == 200


def test_roles_tenants_and_disabled_users(tmp_path: Path) -> None:
    from service.users import set_disabled

    with _app(make_settings(tmp_path)) as client:
        _user(client, "boss", role="admin")
        _user(client, "boss", role="unit", tenant="other")  # same name, another tenant: another person
        r = _login(client, "boss")
        assert r.json()["role"] == "admin"
        assert client.get("/v1/audit").status_code == 200
        set_disabled(client.app.state.db, "city", "boss", True)  # type: ignore[attr-defined]
        assert client.get("/v1/session").status_code == 401  # the open session ends at once
        client.cookies.clear()
        r = _login(client, "boss")
        assert r.status_code == 401 and r.json()["error"]["code"] == "user_disabled"
        r = _login(client, "boss", tenant="other")
        assert r.status_code == 200 and r.json()["role"] == "unit"


def test_api_keys_still_work_and_bearer_wins(tmp_path: Path) -> None:
    with _app(make_settings(tmp_path)) as client:
        me = client.get("/v1/session", headers=ADMIN).json()
        assert me["kind"] == "api_key" and me["role"] == "admin"
        r = client.get("/v1/checks")
        assert r.status_code == 401 and "登录" in r.json()["error"]["message"]


def _cli(data_dir: Path, *args: str, stdin: str | None = None) -> Any:
    from typer.testing import CliRunner

    from integrity.cli import app
    from integrity.settings import get_settings

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("INTEGRITY_")}
    env["INTEGRITY_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), env=env, input=stdin)
    finally:
        get_settings.cache_clear()


def test_cli_users_add_list_passwd_disable_enable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add = ["users", "add", "li.hr", "--tenant", "city", "--role", "reviewer", "--name", "人事处李老师"]
    out = _cli(data, *add, "--password-stdin", stdin=PASSWORD + "\n")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["role"] == "reviewer"
    out = _cli(data, "users", "add", "li.hr", "--tenant", "city", "--password-stdin", stdin=PASSWORD + "\n")
    assert out.exit_code != 0 and "用户已存在" in str(out.exception)
    out = _cli(data, "users", "add", "x", "--tenant", "city", "--password-stdin", stdin="short\n")
    assert out.exit_code != 0 and "密码长度" in str(out.exception)

    with _app(make_settings(tmp_path)) as client:
        assert _login(client, "li.hr").json()["display_name"] == "人事处李老师"

    passwd = ["users", "passwd", "li.hr", "--tenant", "city", "--password-stdin"]
    assert _cli(data, *passwd, stdin="another long secret\n").exit_code == 0
    assert _cli(data, "users", "disable", "li.hr", "--tenant", "city").exit_code == 0
    rows = [json.loads(line) for line in _cli(data, "users", "list", "--json").stdout.splitlines()]
    assert rows == [pytest.approx(rows[0])] and rows[0]["disabled"] is True
    assert "password" not in json.dumps(rows)
    with _app(make_settings(tmp_path)) as client:
        assert _login(client, "li.hr", "another long secret").status_code == 401
    assert _cli(data, "users", "enable", "li.hr", "--tenant", "city").exit_code == 0
    with _app(make_settings(tmp_path)) as client:
        assert _login(client, "li.hr").status_code == 401
        assert _login(client, "li.hr", "another long secret").status_code == 200
    assert "正常" in _cli(data, "users", "list").stdout


def test_session_check_with_callback_url_is_refused(tmp_path: Path) -> None:
    """A person has no webhook secret: a callback from a session would go out unsigned (forgeable by
    anyone who can reach the receiver), so callbacks are for API keys only."""
    with _app(make_settings(tmp_path)) as client:
        _user(client, "clerk")
        csrf = _login(client, "clerk").json()["csrf_token"]
        paper = {"file": ("p.txt", "引言\n这是一篇用于测试回调地址的论文内容。".encode() * 5)}
        meta = {"metadata": json.dumps({"callback_url": "https://hr.example.cn/hook"})}
        r = client.post("/v1/checks", files=paper, data=meta, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 400, r.text
        body = r.json()["error"]
        assert body["code"] == "callback_requires_api_key" and "API 密钥" in body["message"]
