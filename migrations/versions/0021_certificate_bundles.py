"""A leader's zip of staff certificates, built in the background

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 07:45:00

"""

import sqlalchemy as sa
from alembic import op

import app.models.base

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("filter_key", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name=op.f("fk_certificate_bundle_requested_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_certificate_bundle_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_bundle")),
    )
    op.create_index(op.f("ix_certificate_bundle_school_id"), "certificate_bundle", ["school_id"], unique=False)
    op.create_index(
        op.f("ix_certificate_bundle_requested_by_id"), "certificate_bundle", ["requested_by_id"], unique=False
    )
    op.create_index(
        "uq_certificate_bundle_unfinished",
        "certificate_bundle",
        ["school_id", "filter_key"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'building')"),
        sqlite_where=sa.text("status IN ('waiting', 'building')"),
    )


def downgrade():
    op.drop_index("uq_certificate_bundle_unfinished", table_name="certificate_bundle")
    op.drop_index(op.f("ix_certificate_bundle_requested_by_id"), table_name="certificate_bundle")
    op.drop_index(op.f("ix_certificate_bundle_school_id"), table_name="certificate_bundle")
    op.drop_table("certificate_bundle")
