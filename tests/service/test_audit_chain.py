"""The audit trail cannot be rewritten unnoticed (issue 10 item 6), on SQLite and real PostgreSQL.

The application's connections cannot UPDATE, DELETE, REPLACE (SQLite) or TRUNCATE (PostgreSQL) it;
whoever can drop the triggers is caught by ``integrity audit verify`` (hash chain per tenant) and, for
a rewrite of the whole chain, by the signed daily anchor handed to an outside party.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from integrity.settings import Settings
from service import audit
from service.audit_chain import event_hash, make_anchor, verify_anchor_signature, verify_chain
from service.db import Database
from tests.workers.conftest import REPO, with_search_path

pytestmark = pytest.mark.timeout(900)  # several CLI subprocesses; slow on a loaded host


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path / "data")
        db = Database(settings)
        db.upgrade()
        yield settings, db
        db.dispose()
        return
    postgres_url = request.getfixturevalue("postgres_url")
    schema = f"audit_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    settings = Settings(data_dir=tmp_path / "data", database_url=with_search_path(postgres_url, schema))
    db = Database(settings)
    try:
        db.upgrade()
        yield settings, db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def add_events(db: Database, tenant: str, n: int) -> None:
    for i in range(n):
        audit.record(
            db, tenant=tenant, action="check.submit", object_id=f"job{i}", detail={"n": i, "名": "张三"}
        )


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.db_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "integrity", "audit", *args], env=env, cwd=REPO, capture_output=True, text=True
    )


def as_owner(db: Database, *statements: str) -> None:
    """What only the database owner can do: lift the guard, change the trail, restore the guard."""
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.begin() as conn:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                conn.execute(text(f"DROP TRIGGER audit_events_no_{verb.lower()}"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        for st in statements:
            conn.execute(text(st))
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
                    )
                )
        else:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def test_rewrites_are_refused(backend: tuple[Settings, Database]) -> None:
    _, db = backend
    add_events(db, "t1", 3)
    refused = ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"]
    if db.engine.dialect.name == "sqlite":
        refused += [
            "REPLACE INTO audit_events (id, at, tenant, action) VALUES (1, '2020-01-01', 't1', 'forged')",
            "INSERT OR REPLACE INTO audit_events (id, at, tenant, action) VALUES (1, '2020-01-01', 't', 'x')",
        ]
    else:
        refused += ["TRUNCATE audit_events", "TRUNCATE audit_events CASCADE"]
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT action FROM audit_events ORDER BY id")).scalars().all()
            == ["check.submit"] * 3
        )
    assert verify_chain(db) == (3, [])


def test_chain_verifies_and_names_the_first_broken_link(backend: tuple[Settings, Database]) -> None:
    settings, db = backend
    add_events(db, "t1", 4)
    add_events(db, "t2", 2)
    ok = cli(settings, "verify")
    assert ok.returncode == 0, ok.stderr
    assert "已校验 6 个事件" in ok.stdout
    with db.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM audit_events WHERE tenant='t1' ORDER BY id")).scalars().all()
    # a changed field
    as_owner(db, f"UPDATE audit_events SET object_id = 'forged' WHERE id = {ids[1]}")
    bad = cli(settings, "verify")
    assert bad.returncode == 1
    assert f"租户 t1，事件 {ids[1]}" in bad.stderr and "篡改" in bad.stderr
    assert "t2" not in bad.stderr
    # a deleted middle event: the next one no longer links
    as_owner(
        db,
        f"UPDATE audit_events SET object_id = 'job1' WHERE id = {ids[1]}",
        f"DELETE FROM audit_events WHERE id = {ids[2]}",
    )
    bad = cli(settings, "verify", "--tenant", "t1")
    assert bad.returncode == 1 and f"事件 {ids[3]}" in bad.stderr and "删除" in bad.stderr
    # a deleted last event: the chain head tells
    _, broken = verify_chain(db, "t2")
    assert broken == []
    with db.engine.connect() as conn:
        last_t2 = conn.execute(text("SELECT max(id) FROM audit_events WHERE tenant='t2'")).scalar_one()
    as_owner(db, f"DELETE FROM audit_events WHERE id = {last_t2}")
    _, broken = verify_chain(db, "t2")
    assert len(broken) == 1 and broken[0].event_id is None and "末尾" in broken[0].reason


def test_concurrent_appends_keep_one_chain(backend: tuple[Settings, Database]) -> None:
    _, db = backend
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: add_events(db, "busy", 8), range(6)))
    checked, broken = verify_chain(db, "busy")
    assert (checked, broken) == (48, [])


def test_signed_anchor_detects_a_recomputed_chain(backend: tuple[Settings, Database], tmp_path: Path) -> None:
    settings, db = backend
    add_events(db, "t1", 3)
    today = datetime.now(UTC).date().isoformat()
    anchor_file, pub = tmp_path / "anchor.json", tmp_path / "pub.pem"
    r = cli(settings, "anchor", "--date", today, "--out", str(anchor_file))
    assert r.returncode == 0, r.stderr
    pub.write_text(cli(settings, "public-key").stdout)
    assert (settings.data_dir / "audit-anchor.key").stat().st_mode & 0o077 == 0
    good = cli(settings, "verify-anchor", str(anchor_file), "--public-key", str(pub))
    assert good.returncode == 0, good.stderr
    assert "租户 t1" in good.stdout and "共 3 个" in good.stdout
    # the outside party's check needs only the public key: a forged payload fails
    doc = json.loads(anchor_file.read_text())
    forged = {**doc, "payload": doc["payload"].replace('"events":3', '"events":2')}
    with pytest.raises(ValueError, match="签名无效"):
        verify_anchor_signature(forged, pub.read_text())
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert (
        cli(settings, "verify-anchor", str(tmp_path / "forged.json"), "--public-key", str(pub)).returncode
        == 1
    )
    # the owner rewrites event 2 and recomputes the whole chain: verify alone cannot tell, the anchor can
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events ORDER BY id")).mappings().all()
    prev, statements = "0" * 64, []
    for row in rows:
        ev = dict(row)
        if ev["id"] == rows[1]["id"]:
            ev["object_id"] = "rewritten"
        ev["at"] = audit_at(ev["at"])
        ev["detail"] = json.loads(ev["detail"]) if isinstance(ev["detail"], str) else ev["detail"]
        h = event_hash(prev, type("E", (), ev)())
        statements.append(
            f"UPDATE audit_events SET object_id = '{ev['object_id']}', prev_hash = '{prev}', hash = '{h}' "
            f"WHERE id = {ev['id']}"
        )
        prev = h
    statements.append(f"UPDATE audit_chain_heads SET last_hash = '{prev}' WHERE tenant = 't1'")
    as_owner(db, *statements)
    assert verify_chain(db) == (3, [])
    bad = cli(settings, "verify", "--anchor", str(anchor_file), "--public-key", str(pub))
    assert bad.returncode == 1 and "锚点" in bad.stderr, bad.stderr
    assert make_anchor(db, settings.data_dir, datetime.now(UTC).date())["payload"] != doc["payload"]


def audit_at(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
