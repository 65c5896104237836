"""Results releases: published, immutable, already-suppressed tables that staff pages read.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
    )
    op.create_table(
        "release_school",
        sa.Column(
            "release_id", sa.Integer(), sa.ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "school_id", sa.Integer(), sa.ForeignKey("school.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("figures_from", sa.Integer(), nullable=False),
    )
    op.create_table(
        "release_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "release_id", sa.Integer(), sa.ForeignKey("release.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_release_item_lookup", "release_item", ["release_id", "kind", "key"], unique=True)
    with op.batch_alter_table("response") as batch_op:
        batch_op.add_column(sa.Column("released_in", sa.Integer(), nullable=True))
        batch_op.create_index("ix_response_released_in", ["released_in"])


def downgrade():
    with op.batch_alter_table("response") as batch_op:
        batch_op.drop_index("ix_response_released_in")
        batch_op.drop_column("released_in")
    op.drop_index("ix_release_item_lookup", table_name="release_item")
    op.drop_table("release_item")
    op.drop_table("release_school")
    op.drop_table("release")
