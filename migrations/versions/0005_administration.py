"""School administration, governors, two-step sign-in and data protection

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualified_teacher", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("two_step_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("two_step_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("two_step_last_counter", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("term_started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("term_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("is_chair", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_audit_event_actor_id_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_audit_event_school_id_school")),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["user_account.id"], name=op.f("fk_audit_event_subject_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_school_id_occurred_at", ["school_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_subject_user_id"), ["subject_user_id"], unique=False)

    op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("erase_leavers_after_years", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_retention_policy_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policy")),
        sa.UniqueConstraint("school_id", name=op.f("uq_retention_policy_school_id")),
    )

    op.create_table(
        "staff_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_staff_import_school_id_school")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user_account.id"], name=op.f("fk_staff_import_uploaded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_import")),
        sa.UniqueConstraint("reference", name=op.f("uq_staff_import_reference")),
    )
    with op.batch_alter_table("staff_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_import_school_id"), ["school_id"], unique=False)

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_recovery_code_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")

    with op.batch_alter_table("staff_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_import_school_id"))
    op.drop_table("staff_import")

    op.drop_table("retention_policy")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_subject_user_id"))
        batch_op.drop_index("ix_audit_event_school_id_occurred_at")
    op.drop_table("audit_event")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("is_chair")
        batch_op.drop_column("term_ends_on")
        batch_op.drop_column("term_started_on")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("two_step_last_counter")
        batch_op.drop_column("two_step_enabled_at")
        batch_op.drop_column("two_step_secret")
        batch_op.drop_column("qualified_teacher")
