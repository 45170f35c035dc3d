"""quota usage per account, bucket and day; delivery.visibility

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:45:00

Networks whose spec declares a daily quota (YouTube: a videos.insert bucket and 10,000 units, reset at
midnight Pacific time) have what each account used counted per bucket and day, so that the dispatcher
makes no call past the limit and `doctor` shows what is left. A published delivery records who can see
it when the network says (an unaudited YouTube project's uploads are private).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import campaign.dbtypes

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotausage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("updated_at", campaign.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "bucket", "day"),
    )
    op.create_index(op.f("ix_quotausage_account_id"), "quotausage", ["account_id"], unique=False)
    op.add_column("delivery", sa.Column("visibility", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("visibility")
    op.drop_index(op.f("ix_quotausage_account_id"), table_name="quotausage")
    op.drop_table("quotausage")
