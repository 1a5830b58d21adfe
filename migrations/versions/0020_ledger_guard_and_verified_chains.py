"""The ledger's append-only guard on SQLite too, and how far each chain has been verified

Revision ID: 0020
Revises: 0014
Create Date: 2026-12-05 06:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.models.base

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Copied here rather than imported, so that this migration keeps doing what it did if the model changes.
SQLITE_LEDGER_TRIGGERS = {
    "ledger_entry_no_update": """
CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, 'ledger_entry is append-only: UPDATE refused');
END""",
    "ledger_entry_no_delete": """
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, 'ledger_entry is append-only: DELETE refused');
END""",
}


def upgrade():
    # PostgreSQL has had its trigger since 0001; SQLite refuses UPDATE and DELETE from now on.
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_LEDGER_TRIGGERS.values():
            op.execute(sql)
    op.create_table(
        "ledger_verified_chain",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("verified_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_ledger_verified_chain_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_ledger_verified_chain")),
    )


def downgrade():
    op.drop_table("ledger_verified_chain")
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_LEDGER_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
