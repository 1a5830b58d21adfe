"""Joining a school by consent, each school's record of a teacher's status, and sharing a CPD record

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 04:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLES = (
    "teaching_assistant",
    "teacher",
    "senco",
    "headteacher",
    "governor",
    "send_governor",
    "school_admin",
    "la_officer",
)
STATUSES = ("pending", "accepted", "declined", "withdrawn")


def upgrade():
    op.create_table(
        "membership_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("invited_name", sa.String(length=200), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="status", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role <> 'la_officer'", name=op.f("ck_membership_invitation_school_role_only")),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user_account.id"], name=op.f("fk_membership_invitation_invited_by_id_user_account")),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], name=op.f("fk_membership_invitation_membership_id_membership")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_membership_invitation_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_membership_invitation_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_invitation")),
    )
    with op.batch_alter_table("membership_invitation") as batch:
        batch.create_index(batch.f("ix_membership_invitation_school_id"), ["school_id"], unique=False)
        batch.create_index(batch.f("ix_membership_invitation_user_id"), ["user_id"], unique=False)
        batch.create_index(
            "uq_membership_invitation_pending",
            ["school_id", "user_id", "role"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "teacher_status_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("qualified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("induction_completed", sa.Boolean(), nullable=True),
        sa.Column("senco_over_12_months_before", sa.Boolean(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"], name=op.f("fk_teacher_status_record_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_teacher_status_record_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_teacher_status_record_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher_status_record")),
        sa.UniqueConstraint("school_id", "user_id", name=op.f("uq_teacher_status_record_school_id_user_id")),
    )
    with op.batch_alter_table("teacher_status_record") as batch:
        batch.create_index(batch.f("ix_teacher_status_record_school_id"), ["school_id"], unique=False)
        batch.create_index(batch.f("ix_teacher_status_record_user_id"), ["user_id"], unique=False)

    op.create_table(
        "record_sharing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_record_sharing_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_record_sharing_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_sharing")),
        sa.UniqueConstraint("user_id", "school_id", name=op.f("uq_record_sharing_user_id_school_id")),
    )
    with op.batch_alter_table("record_sharing") as batch:
        batch.create_index(batch.f("ix_record_sharing_school_id"), ["school_id"], unique=False)
        batch.create_index(batch.f("ix_record_sharing_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("account_token") as batch:
        batch.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_account_token_school_id_school"), "school", ["school_id"], ["id"])

    # Qualified teacher status was one flag on the person, set by any of their schools. Each school
    # that holds the person now keeps its own record, starting from what the flag said (induction and
    # earlier time as a SENCO start unknown).
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = connection.execute(
        sa.text(
            "SELECT DISTINCT m.school_id, u.id FROM user_account u JOIN membership m ON m.user_id = u.id "
            "WHERE u.qualified_teacher AND m.school_id IS NOT NULL"
        )
    ).all()
    record = sa.table(
        "teacher_status_record",
        sa.column("school_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("qualified", sa.Boolean),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    if rows:
        op.bulk_insert(
            record, [{"school_id": s, "user_id": u, "qualified": True, "recorded_at": now} for s, u in rows]
        )
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("qualified_teacher")


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("qualified_teacher", sa.Boolean(), server_default=sa.false(), nullable=False))
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE user_account SET qualified_teacher = TRUE WHERE id IN "
            "(SELECT user_id FROM teacher_status_record WHERE qualified)"
        )
    )
    with op.batch_alter_table("account_token") as batch:
        batch.drop_constraint(batch.f("fk_account_token_school_id_school"), type_="foreignkey")
        batch.drop_column("school_id")
    with op.batch_alter_table("record_sharing") as batch:
        batch.drop_index(batch.f("ix_record_sharing_user_id"))
        batch.drop_index(batch.f("ix_record_sharing_school_id"))
    op.drop_table("record_sharing")
    with op.batch_alter_table("teacher_status_record") as batch:
        batch.drop_index(batch.f("ix_teacher_status_record_user_id"))
        batch.drop_index(batch.f("ix_teacher_status_record_school_id"))
    op.drop_table("teacher_status_record")
    with op.batch_alter_table("membership_invitation") as batch:
        batch.drop_index("uq_membership_invitation_pending")
        batch.drop_index(batch.f("ix_membership_invitation_user_id"))
        batch.drop_index(batch.f("ix_membership_invitation_school_id"))
    op.drop_table("membership_invitation")
