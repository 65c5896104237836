"""Record when a pupil handed the device over, so an older session cookie cannot come back.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pupil_code") as batch_op:
        batch_op.add_column(sa.Column("session_ended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("pupil_code") as batch_op:
        batch_op.drop_column("session_ended_at")
