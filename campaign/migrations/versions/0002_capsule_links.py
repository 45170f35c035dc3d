"""capsule links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:11:23.359680
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.dbtypes


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capsule_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('post_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('account_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('territory_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_link_capsule_key'), ['capsule_key'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_capsule_key'))
        batch_op.alter_column('territory_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('account_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('post_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('capsule_key')


