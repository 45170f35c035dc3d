"""account: why its reconciliation fails, and since when (for `doctor`)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import campaign.dbtypes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reconcile_error", campaign.dbtypes.RedactedText(), nullable=True))
        batch_op.add_column(sa.Column("reconcile_failed_at", campaign.dbtypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("reconcile_failed_at")
        batch_op.drop_column("reconcile_error")
