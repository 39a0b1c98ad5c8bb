"""the inbox: requests stored before they are acknowledged, worked on under a lease until done

It takes over from handled_request (delivery keys claimed before an acknowledgement), which goes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:31:08.284126
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


import storage.tables

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('lease_until', storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_at', storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_open', ['done_at', 'id'], unique=False)
    with op.batch_alter_table('handled_request', schema=None) as batch_op:
        batch_op.drop_index('ix_handled_request_handled_at')
    op.drop_table('handled_request')


def downgrade() -> None:
    op.create_table('handled_request',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('handled_at', storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('handled_request', schema=None) as batch_op:
        batch_op.create_index('ix_handled_request_handled_at', ['handled_at'], unique=False)
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_open')

    op.drop_table('inbox')
