"""reminders, digests and workspace settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:32:50.351523
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


import storage.tables

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('notice', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_due', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snoozed_until', storage.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_reminder_at', storage.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_reminded_at', storage.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminders_since_change', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('escalated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('gaps_since', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('digested_total', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assessment_next_reminder_at'), ['next_reminder_at'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tz_checked_at', storage.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_digest_at', storage.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_person_next_digest_at'), ['next_digest_at'], unique=False)

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('nudge_every', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('nudge_at', sqlmodel.sql.sqltypes.AutoString(length=5), server_default='10:00', nullable=False))
        batch_op.add_column(sa.Column('work_start', sqlmodel.sql.sqltypes.AutoString(length=5), server_default='09:00', nullable=False))
        batch_op.add_column(sa.Column('work_end', sqlmodel.sql.sqltypes.AutoString(length=5), server_default='18:00', nullable=False))
        batch_op.add_column(sa.Column('stall_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('escalate_after', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('digest_at', sqlmodel.sql.sqltypes.AutoString(length=5), server_default='09:00', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('digest_at')
        batch_op.drop_column('digest_weekday')
        batch_op.drop_column('escalate_after')
        batch_op.drop_column('stall_hours')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')
        batch_op.drop_column('nudge_at')
        batch_op.drop_column('nudge_every')
        batch_op.drop_column('tz')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_next_digest_at'))
        batch_op.drop_column('next_digest_at')
        batch_op.drop_column('tz_checked_at')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_next_reminder_at'))
        batch_op.drop_column('digested_total')
        batch_op.drop_column('gaps_since')
        batch_op.drop_column('escalated')
        batch_op.drop_column('reminders_since_change')
        batch_op.drop_column('last_reminded_at')
        batch_op.drop_column('next_reminder_at')
        batch_op.drop_column('snoozed_until')

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_due')

    op.drop_table('reminder')
