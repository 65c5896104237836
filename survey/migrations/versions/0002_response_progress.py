"""Remember how far a pupil got, so the same code resumes at the first section not yet saved.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response") as batch_op:
        batch_op.add_column(sa.Column("progress", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("response") as batch_op:
        batch_op.drop_column("progress")
