"""Key-questions self-assessment rounds, responses, positions and actions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _rating(nullable: bool) -> sa.Column:
    return sa.Column(
        "rating",
        sa.Enum(
            "not_yet", "developing", "established", "embedded",
            name="rating", native_enum=False, create_constraint=True, length=32,
        ),
        nullable=nullable,
    )


def upgrade():
    op.create_table(
        "key_question_reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        _rating(nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_key_question_reflection_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_question_reflection")),
        sa.UniqueConstraint("user_id", "question_id", name=op.f("uq_key_question_reflection_user_id_question_id")),
    )
    op.create_table(
        "self_assessment_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.String(length=100), nullable=False),
        sa.Column("set_title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("invited_roles", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("previous_round_id", sa.Integer(), nullable=True),
        sa.Column("position_version", sa.Integer(), nullable=False),
        sa.Column("position_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position_agreed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["user_account.id"], name=op.f("fk_self_assessment_round_lead_id_user_account")),
        sa.ForeignKeyConstraint(
            ["position_agreed_by_id"], ["user_account.id"],
            name=op.f("fk_self_assessment_round_position_agreed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_round_id"], ["self_assessment_round.id"],
            name=op.f("fk_self_assessment_round_previous_round_id_self_assessment_round"),
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_self_assessment_round_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_round")),
        sa.UniqueConstraint("school_id", "request_key", name=op.f("uq_self_assessment_round_school_id_request_key")),
    )
    with op.batch_alter_table("self_assessment_round", schema=None) as batch_op:
        batch_op.create_index("ix_self_assessment_round_school_id_set_id", ["school_id", "set_id"], unique=False)

    op.create_table(
        "self_assessment_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.String(length=100), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started", "in_progress", "done",
                name="status", native_enum=False, create_constraint=True, length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_self_assessment_action_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["self_assessment_round.id"], name=op.f("fk_self_assessment_action_round_id_self_assessment_round")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_self_assessment_action_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_action")),
        sa.UniqueConstraint("school_id", "request_key", name=op.f("uq_self_assessment_action_school_id_request_key")),
    )
    with op.batch_alter_table("self_assessment_action", schema=None) as batch_op:
        batch_op.create_index("ix_self_assessment_action_school_id_set_id", ["school_id", "set_id"], unique=False)

    op.create_table(
        "self_assessment_position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        _rating(nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["self_assessment_round.id"],
            name=op.f("fk_self_assessment_position_round_id_self_assessment_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_position")),
        sa.UniqueConstraint("round_id", "question_id", name=op.f("uq_self_assessment_position_round_id_question_id")),
    )
    op.create_table(
        "self_assessment_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started", "draft", "submitted",
                name="status", native_enum=False, create_constraint=True, length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["self_assessment_round.id"],
            name=op.f("fk_self_assessment_response_round_id_self_assessment_round"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_self_assessment_response_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_response")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_self_assessment_response_round_id_user_id")),
    )
    with op.batch_alter_table("self_assessment_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_self_assessment_response_user_id"), ["user_id"], unique=False)

    op.create_table(
        "self_assessment_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        _rating(nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"], ["self_assessment_response.id"],
            name=op.f("fk_self_assessment_answer_response_id_self_assessment_response"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment_answer")),
        sa.UniqueConstraint("response_id", "question_id", name=op.f("uq_self_assessment_answer_response_id_question_id")),
    )


def downgrade():
    op.drop_table("self_assessment_answer")
    with op.batch_alter_table("self_assessment_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_assessment_response_user_id"))
    op.drop_table("self_assessment_response")
    op.drop_table("self_assessment_position")
    with op.batch_alter_table("self_assessment_action", schema=None) as batch_op:
        batch_op.drop_index("ix_self_assessment_action_school_id_set_id")
    op.drop_table("self_assessment_action")
    with op.batch_alter_table("self_assessment_round", schema=None) as batch_op:
        batch_op.drop_index("ix_self_assessment_round_school_id_set_id")
    op.drop_table("self_assessment_round")
    op.drop_table("key_question_reflection")
