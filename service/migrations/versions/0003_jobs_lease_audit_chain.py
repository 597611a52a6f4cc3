"""Job leases (``jobs.lease_owner``, ``jobs.lease_expires_at``).

A running job holds a lease that its worker's heartbeat renews; API processes republish running jobs
whose lease expired (the worker died) and queued jobs whose publication is stale (the broker lost it).

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


def downgrade() -> None:
    op.drop_index("ix_jobs_lease_expires_at", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
