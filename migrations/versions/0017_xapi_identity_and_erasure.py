"""xAPI: the address statements keep for ever, and erased people whose statements are voided

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-05 06:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xapi_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_identity")),
    )
    op.create_table(
        "xapi_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_xapi_erasure_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_erasure")),
        sa.UniqueConstraint("user_id", name=op.f("uq_xapi_erasure_user_id")),
    )
    with op.batch_alter_table("xapi_push_cursor") as batch_op:
        batch_op.add_column(sa.Column("last_erasure_id", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("xapi_push_cursor") as batch_op:
        batch_op.drop_column("last_erasure_id")
    op.drop_table("xapi_erasure")
    op.drop_table("xapi_identity")
