"""The school's texts for pupils in Welsh too: who to talk to, and "you said, we did".

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch_op:
        batch_op.add_column(sa.Column("trusted_adult_text_cy", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("you_said_we_did_cy", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("school") as batch_op:
        batch_op.drop_column("you_said_we_did_cy")
        batch_op.drop_column("trusted_adult_text_cy")
