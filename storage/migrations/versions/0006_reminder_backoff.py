"""reminder back-off: the cap on unanswered reminders, where the workspace zone came from, the gaps last reminded

Workspaces whose zone is not UTC had it chosen in the settings before this revision; the others
have their zone looked for (the first person's, on the platform). Checks already reminded take
the gaps open now as those their last reminder named.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stop_after', sa.Integer(), server_default='6', nullable=False))
        batch_op.add_column(sa.Column('tz_source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('tz_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.execute("UPDATE workspace SET tz_source = 'settings' WHERE tz <> 'UTC'")
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_gaps', sqlmodel.sql.sqltypes.AutoString(length=64), server_default='', nullable=False))
    # What the last reminder named, as near as is known: the gaps open now.
    op.execute("UPDATE assessment SET reminded_gaps = gaps WHERE last_reminded_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('reminded_gaps')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('tz_by')
        batch_op.drop_column('tz_source')
        batch_op.drop_column('stop_after')
