"""xAPI: the address statements keep for ever, erased people whose statements are voided; Open Badges

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-05 06:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
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
    op.create_table(
        "open_badge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("credential_uuid", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_credential", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"], ["ledger_entry.id"], name=op.f("fk_open_badge_ledger_entry_id_ledger_entry")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_open_badge_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_open_badge_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_badge")),
        sa.UniqueConstraint("credential_uuid", name=op.f("uq_open_badge_credential_uuid")),
        sa.UniqueConstraint("ledger_entry_id", name=op.f("uq_open_badge_ledger_entry_id")),
    )
    with op.batch_alter_table("open_badge") as batch_op:
        batch_op.create_index(batch_op.f("ix_open_badge_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_open_badge_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("xapi_push_cursor") as batch_op:
        batch_op.add_column(sa.Column("last_erasure_id", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("xapi_push_cursor") as batch_op:
        batch_op.drop_column("last_erasure_id")
    op.drop_table("open_badge")
    op.drop_table("xapi_erasure")
    op.drop_table("xapi_identity")
