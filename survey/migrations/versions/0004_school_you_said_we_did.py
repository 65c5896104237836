"""What a school tells its pupils it will change ("you said, we did"), shown at the start of the survey.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch_op:
        batch_op.add_column(sa.Column("you_said_we_did", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("you_said_we_did_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("school") as batch_op:
        batch_op.drop_column("you_said_we_did_at")
        batch_op.drop_column("you_said_we_did")
