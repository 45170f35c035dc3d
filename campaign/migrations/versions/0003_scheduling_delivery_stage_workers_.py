"""scheduling: delivery stage, workers, milestones, slots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:35:25.329142
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.dbtypes


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('worker',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', campaign.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('beat_at', campaign.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('stopped_at', campaign.dbtypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule', sa.JSON(), server_default='{}', nullable=False))

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    with op.batch_alter_table('metricsnapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('milestone', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))

    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slots', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('quiet_hours', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('territory', schema=None) as batch_op:
        batch_op.drop_column('quiet_hours')
        batch_op.drop_column('slots')

    with op.batch_alter_table('metricsnapshot', schema=None) as batch_op:
        batch_op.drop_column('milestone')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('stage')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('schedule')

    op.drop_table('worker')

