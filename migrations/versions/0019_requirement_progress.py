"""The requirement projection: what each role and assignment asks of a person, with their progress; a
school's local authority

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-05 06:30:00

"""

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("local_authority", sa.String(length=120), nullable=True))
    op.create_table(
        "requirement_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=True),
        sa.Column("until_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("renew_every_months", sa.Integer(), nullable=True),
        sa.Column("refresh_on", sa.Date(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("started", sa.Boolean(), nullable=False),
        sa.Column("older_version", sa.Boolean(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_requirement_progress_school_user_module", "requirement_progress", ["school_id", "user_id", "module_id"]
    )
    op.create_index("ix_requirement_progress_user_id", "requirement_progress", ["user_id"])
    _backfill()


def _backfill():
    """Everyone's rows, from their roles, assignments and progress (the rules need the content, which
    the app loaded: `flask db upgrade` runs inside it)."""
    from flask import current_app, has_app_context
    from sqlalchemy.orm import Session

    from app.leadership import progress_projection

    if not has_app_context() or "catalogue" not in current_app.extensions:
        raise RuntimeError("Run this migration with `flask db upgrade`, which loads the content it needs.")
    session = Session(bind=op.get_bind())
    progress_projection.rebuild(session, current_app.extensions["catalogue"], everyone=True)
    session.flush()


def downgrade():
    op.drop_index("ix_requirement_progress_user_id", table_name="requirement_progress")
    op.drop_index("ix_requirement_progress_school_user_module", table_name="requirement_progress")
    op.drop_table("requirement_progress")
    with op.batch_alter_table("school") as batch:
        batch.drop_column("local_authority")
