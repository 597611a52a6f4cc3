"""Job leases (``jobs.lease_owner``, ``jobs.lease_expires_at``) and the audit hash chain.

A running job holds a lease that its worker's heartbeat renews; API processes republish running jobs
whose lease expired (the worker died) and queued jobs whose publication is stale (the broker lost it).

Audit: ``audit_events.prev_hash``/``hash`` chained per tenant (existing rows are chained here, in id
order), ``audit_chain_heads``, and the triggers the first migration missed: SQLite ``REPLACE INTO``
(it deletes the old row without firing DELETE triggers) and PostgreSQL ``TRUNCATE``.

Revision ID: 0003_jobs_lease_audit_chain
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_jobs_lease_audit_chain"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(200), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_jobs_lease_expires_at", "jobs", ["lease_expires_at"])
    _audit_chain_upgrade()


def _audit_chain_upgrade() -> None:
    from service.audit_chain import GENESIS, event_hash
    from service.models import DateTime

    op.add_column("audit_events", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_events", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "audit_chain_heads",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # chain the existing rows: lift the append-only guard for this one migration
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
    events = sa.Table(
        "audit_events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", DateTime(timezone=True)),
        *(sa.Column(c, sa.String) for c in ("tenant", "key_id", "role", "action", "object_type")),
        *(sa.Column(c, sa.String) for c in ("object_id", "file_sha256", "policy_version")),
        sa.Column("detail", sa.JSON),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )
    heads: dict[str, tuple[int, str]] = {}
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        prev = heads.get(row.tenant, (0, GENESIS))[1]
        h = event_hash(prev, row)
        bind.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=h))
        heads[row.tenant] = (row.id, h)
    for tenant, (last_id, last_hash) in heads.items():
        bind.execute(
            sa.text("INSERT INTO audit_chain_heads (tenant, last_id, last_hash) VALUES (:t, :i, :h)"),
            {"t": tenant, "i": last_id, "h": last_hash},
        )
    if sqlite:
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
            "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
    op.drop_index("ix_jobs_lease_expires_at", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
