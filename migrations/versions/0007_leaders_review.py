"""Training requirements per school, assignments and reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 00:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("once_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["user_account.id"], name=op.f("fk_assignment_assigned_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_assignment_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_assignment_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint("once_key", "user_id", "module_id", name=op.f("uq_assignment_once_key_user_id_module_id")),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"], ["outbox_message.id"], name=op.f("fk_reminder_sent_outbox_message_id_outbox_message")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_reminder_sent_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_reminder_sent_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "user_id",
            "school_id",
            "kind",
            "subject",
            "period",
            name=op.f("uq_reminder_sent_user_id_school_id_kind_subject_period"),
        ),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_sent_user_id"), ["user_id"], unique=False)

    op.create_table(
        "requirement_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["user_account.id"], name=op.f("fk_requirement_change_changed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_requirement_change_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_change")),
    )
    with op.batch_alter_table("requirement_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requirement_change_school_id"), ["school_id"], unique=False)

    op.create_table(
        "requirement_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("renew_every_months", sa.Integer(), nullable=True),
        sa.Column("refresh_required_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_requirement_setting_school_id_school")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_requirement_setting_updated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_setting")),
        sa.UniqueConstraint(
            "school_id", "role", "module_id", name=op.f("uq_requirement_setting_school_id_role_module_id")
        ),
    )


def downgrade():
    op.drop_table("requirement_setting")
    with op.batch_alter_table("requirement_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_change_school_id"))

    op.drop_table("requirement_change")
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_sent_user_id"))

    op.drop_table("reminder_sent")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_school_id"))

    op.drop_table("assignment")
