"""variant.choices: the decisions a post's network requires (e.g. a privacy level), per network

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00

A network's spec may declare choices every post must make (networks.spec.Choice); the campaign file
writes them per post and network (``choices: {<network>: {...}}``). They travel with the variant to
the adapter. Rows written before have none (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("variant", sa.Column("choices", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("variant") as batch:
        batch.drop_column("choices")
