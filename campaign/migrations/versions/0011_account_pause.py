"""account: paused by its network (credits spent, a usage cap reached), since and until when

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:00:00

A network can stop an account whatever it posts (X answers 402 when the pay-per-use credits are spent,
429 usage-capped when a monthly cap is reached). The dispatcher records it on the account (``doctor``
says what happened and what to do); nothing is sent for that account until ``paused_until`` passes, or,
when it is NULL, until a person runs ``clickable accounts resume``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import campaign.dbtypes

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_reason", campaign.dbtypes.RedactedText(), nullable=True))
        batch_op.add_column(sa.Column("paused_at", campaign.dbtypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", campaign.dbtypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("paused_at")
        batch_op.drop_column("paused_reason")
