"""A school's own content: modules its leaders write, and policies its staff must read

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-05 06:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.models.base

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("published", sa.JSON(), nullable=True),
        sa.Column("published_version", sa.String(length=64), nullable=True),
        sa.Column("published_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_module_school_id_school")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_school_module_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_module")),
    )
    op.create_index(op.f("ix_school_module_school_id"), "school_module", ["school_id"], unique=False)
    op.create_table(
        "school_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("read_by", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_policy_school_id_school")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_school_policy_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_policy")),
    )
    op.create_index(op.f("ix_school_policy_school_id"), "school_policy", ["school_id"], unique=False)
    op.create_table(
        "school_policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=True),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["school_policy.id"], name=op.f("fk_school_policy_version_policy_id_school_policy")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_school_policy_version_published_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_policy_version")),
        sa.UniqueConstraint("policy_id", "number", name=op.f("uq_school_policy_version_policy_id_number")),
    )
    op.create_index(op.f("ix_school_policy_version_policy_id"), "school_policy_version", ["policy_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_school_policy_version_policy_id"), table_name="school_policy_version")
    op.drop_table("school_policy_version")
    op.drop_index(op.f("ix_school_policy_school_id"), table_name="school_policy")
    op.drop_table("school_policy")
    op.drop_index(op.f("ix_school_module_school_id"), table_name="school_module")
    op.drop_table("school_module")
