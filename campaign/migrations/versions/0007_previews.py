"""preview: each time a post was shown as each network shows it; approval.preview_hash

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00

`clickable post preview` records, per post, a fingerprint of what it showed (every text exactly as
published, the capsule's render); `post approve` records the fingerprint it approves and refuses a
post whose content changed since its last preview (a new look is needed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import campaign.dbtypes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("previewed_at", campaign.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_preview_post_id"), "preview", ["post_id"], unique=False)
    op.add_column("approval", sa.Column("preview_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approval") as batch:
        batch.drop_column("preview_hash")
    op.drop_index(op.f("ix_preview_post_id"), table_name="preview")
    op.drop_table("preview")
