"""retired metrics: metric names a network refused, never asked again

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:00:00

Metric collection asks a refused set of names one at a time (the networks do not say which name is
wrong); a name refused alone is stored here, not asked by later runs, and shown by `doctor`.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.dbtypes

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retiredmetric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("retired_at", campaign.dbtypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network", "kind", "name"),
    )


def downgrade() -> None:
    op.drop_table("retiredmetric")
