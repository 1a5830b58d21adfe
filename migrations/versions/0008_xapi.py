"""How far the xAPI push has got

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 01:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xapi_push_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lrs_url", sa.String(length=500), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("statements_sent", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_push_cursor")),
        sa.UniqueConstraint("lrs_url", name=op.f("uq_xapi_push_cursor_lrs_url")),
    )


def downgrade():
    op.drop_table("xapi_push_cursor")
