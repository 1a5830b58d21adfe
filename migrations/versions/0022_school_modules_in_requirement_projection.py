"""The requirement projection counts what a school requires of its own published modules

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 09:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    """Rebuild the rows of the schools with published modules of their own, which the projection used to
    leave out (they are not in the national catalogue). Needs the content loaded: `flask db upgrade`
    runs inside the app."""
    from flask import current_app, has_app_context
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.leadership import progress_projection
    from app.school_content import SchoolModule

    if not has_app_context() or "catalogue" not in current_app.extensions:
        raise RuntimeError("Run this migration with `flask db upgrade`, which loads the content it needs.")
    session = Session(bind=op.get_bind())
    schools = session.scalars(select(SchoolModule.school_id).where(SchoolModule.published.is_not(None)).distinct())
    progress_projection.rebuild(session, current_app.extensions["catalogue"], school_ids=list(schools))
    session.flush()


def downgrade():
    # The code before this revision knows only the national modules.
    op.execute("DELETE FROM requirement_progress WHERE module_id LIKE 'school-%'")
