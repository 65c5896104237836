"""Possible safeguarding concerns raised when a pupil saves a free-text answer, for the school's DSL.

The new `safeguarding_lead` role needs no change to the `user` table: roles are stored as text.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "safeguarding_concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("new", "acknowledged", "closed", name="concernstate", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=254), nullable=True),
        sa.Column("acknowledge_note", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=254), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revealed_by", sa.String(length=254), nullable=True),
        sa.Column("revealed_with", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_safeguarding_concern_response_id_response"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_safeguarding_concern_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["wave.id"], name=op.f("fk_safeguarding_concern_wave_id_wave"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_concern")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_safeguarding_concern_response_id_question_id")
        ),
    )
    with op.batch_alter_table("safeguarding_concern") as batch_op:
        batch_op.create_index(batch_op.f("ix_safeguarding_concern_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safeguarding_concern_flagged_at"), ["flagged_at"], unique=False)


def downgrade():
    op.drop_table("safeguarding_concern")
