"""Tamper-evident audit trail: per-tenant hash chain, verification and signed daily anchors.

Why: database triggers stop ``UPDATE``/``DELETE``/``REPLACE``/``TRUNCATE`` by the application's own
connections, but whoever owns the database can drop a trigger. So each event also carries
``prev_hash`` and ``hash = sha256(prev_hash ‖ canonical event)``, chained per tenant; the head of each
chain lives in ``audit_chain_heads`` (locked while appending, so concurrent writers serialise).
``verify_chain`` recomputes every chain and names the first broken link; a daily *anchor* — the head of
every chain at the end of a day, signed with Ed25519 — given to an outside party lets them prove later
that history before it was not rewritten, even if the whole chain was recomputed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import Database
from service.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
KEY_FILE = "audit-anchor.key"
PUBLIC_KEY_FILE = "audit-anchor.pub.pem"


def _at(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(prev_hash: str, e: Any) -> str:
    """sha256 of the previous hash and the event's fields as canonical JSON (the row id is not
    included: it is assigned by the insert; order is fixed by the chain itself)."""
    fields = [
        _at(e.at),
        e.tenant,
        e.key_id,
        e.role,
        e.action,
        e.object_type,
        e.object_id,
        e.file_sha256,
        e.policy_version,
        e.detail,
    ]
    body = json.dumps([prev_hash, fields], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(s: Session, event: AuditEvent) -> None:
    """Add ``event`` to its tenant's chain inside session ``s`` (one transaction with the insert).

    The head row is created if missing and then locked (``SELECT … FOR UPDATE`` on PostgreSQL; on
    SQLite the upsert takes the database write lock first), so two concurrent appends cannot both
    chain onto the same predecessor.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        s.execute(
            pg_insert(AuditChainHead)
            .values(tenant=event.tenant, last_id=0, last_hash=GENESIS)
            .on_conflict_do_nothing(index_elements=["tenant"])
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        s.execute(
            sqlite_insert(AuditChainHead)
            .values(tenant=event.tenant, last_id=0, last_hash=GENESIS)
            .on_conflict_do_nothing(index_elements=["tenant"])
        )
    head = s.scalars(
        select(AuditChainHead).where(AuditChainHead.tenant == event.tenant).with_for_update()
    ).one()
    event.prev_hash = head.last_hash
    event.hash = event_hash(head.last_hash, event)
    s.add(event)
    s.flush()
    head.last_id = event.id
    head.last_hash = event.hash


@dataclass
class Broken:
    """The first broken link of a tenant's chain."""

    tenant: str
    event_id: int | None
    reason: str

    def message(self) -> str:
        where = f"事件 {self.event_id}" if self.event_id is not None else "链尾"
        return f"审计链断裂：租户 {self.tenant}，{where}：{self.reason}"


def verify_chain(db: Database, tenant: str | None = None) -> tuple[int, list[Broken]]:
    """Recompute the chains (one tenant or all). Returns the events checked and, per broken tenant,
    its first broken link."""
    broken: list[Broken] = []
    checked = 0
    with db.session() as s:
        tenants = (
            [tenant]
            if tenant
            else sorted(
                set(s.scalars(select(AuditEvent.tenant).distinct()))
                | set(s.scalars(select(AuditChainHead.tenant)))
            )
        )
        for t in tenants:
            prev, last_id = GENESIS, 0
            problem: Broken | None = None
            for e in s.scalars(select(AuditEvent).where(AuditEvent.tenant == t).order_by(AuditEvent.id)):
                checked += 1
                if e.prev_hash != prev:
                    problem = Broken(
                        t,
                        e.id,
                        f"prev_hash 与上一事件（{last_id or '起点'}）的哈希不符（有事件被删除或插入）",
                    )
                    break
                if e.hash != event_hash(prev, e):
                    problem = Broken(t, e.id, "内容与哈希不符（事件被篡改）")
                    break
                prev, last_id = e.hash, e.id
            if problem is None:
                head = s.get(AuditChainHead, t)
                if head is None or head.last_id != last_id or head.last_hash != prev:
                    problem = Broken(
                        t,
                        None,
                        f"链头记录（事件 {head.last_id if head else '无'}）与最后一个事件（{last_id}）不符"
                        "（末尾事件被删除）",
                    )
            if problem is not None:
                broken.append(problem)
    return checked, broken


# --- signed daily anchors ------------------------------------------------------------------------


def _load_or_create_key(data_dir: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = data_dir / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (data_dir / PUBLIC_KEY_FILE).write_bytes(pub)
    return key


def public_key_pem(data_dir: Path) -> str:
    """The anchor public key (created with the private key on first use), PEM text."""
    _load_or_create_key(data_dir)
    return (data_dir / PUBLIC_KEY_FILE).read_text()


def make_anchor(db: Database, data_dir: Path, day: date) -> dict[str, Any]:
    """The signed anchor of ``day`` (UTC): per tenant the last event before the day's end, its hash and
    the number of events up to it. ``payload`` is the exact signed text (canonical JSON)."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    chains = []
    with db.session() as s:
        for t in sorted(set(s.scalars(select(AuditEvent.tenant).distinct()))):
            last = s.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant == t, AuditEvent.at < end)
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).first()
            if last is None:
                continue
            count = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.tenant == t, AuditEvent.id <= last.id)
            )
            chains.append({"tenant": t, "last_id": last.id, "last_hash": last.hash, "events": count})
    payload = json.dumps(
        {"type": "integrity-audit-anchor", "version": 1, "date": day.isoformat(), "chains": chains},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    key = _load_or_create_key(data_dir)
    signature = key.sign(payload.encode("utf-8"))
    return {
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
        "algorithm": "Ed25519",
        "public_key_pem": public_key_pem(data_dir),
    }


def verify_anchor_signature(anchor: dict[str, Any], public_key_pem_text: str) -> dict[str, Any]:
    """Check the anchor's signature with a public key obtained out of band; return the payload.
    Raises ``ValueError`` with a zh-CN message when it does not verify."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pub = serialization.load_pem_public_key(public_key_pem_text.encode())
    if not isinstance(pub, Ed25519PublicKey):
        raise ValueError("公钥不是 Ed25519 公钥")
    try:
        pub.verify(base64.b64decode(anchor["signature"]), str(anchor["payload"]).encode("utf-8"))
    except (InvalidSignature, KeyError, ValueError) as exc:
        raise ValueError("锚点签名无效：内容被改动或不是该公钥签发") from exc
    return dict(json.loads(anchor["payload"]))


def check_anchor_against_db(db: Database, payload: dict[str, Any]) -> list[Broken]:
    """Every anchored chain head must still be in the database with the same hash and position."""
    problems: list[Broken] = []
    with db.session() as s:
        for c in payload.get("chains", []):
            e = s.get(AuditEvent, c["last_id"])
            if e is None or e.tenant != c["tenant"] or e.hash != c["last_hash"]:
                problems.append(
                    Broken(c["tenant"], c["last_id"], "与锚点记录的哈希不符（锚点之前的历史被改写）")
                )
                continue
            count = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.tenant == c["tenant"], AuditEvent.id <= c["last_id"])
            )
            if count != c["events"]:
                problems.append(
                    Broken(c["tenant"], c["last_id"], f"锚点记录 {c['events']} 个事件，现为 {count} 个")
                )
    return problems
