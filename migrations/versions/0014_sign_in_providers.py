"""Signing in with Microsoft or Google: each school's settings, and the provider accounts people link

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.models.base

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("microsoft_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("microsoft_tenant_id", sa.String(length=36), nullable=True),
        sa.Column("google_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("email_domains", sa.Text(), server_default="", nullable=False),
        sa.Column("trust_provider_mfa", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("provider_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_sign_in_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_sign_in")),
        sa.UniqueConstraint("school_id", name=op.f("uq_school_sign_in_school_id")),
    )
    op.create_table(
        "sign_in_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "provider",
            sa.Enum("microsoft", "google", name="provider", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("linked_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_sign_in_identity_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_identity")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_sign_in_identity_provider_subject")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_sign_in_identity_user_id_provider")),
    )
    with op.batch_alter_table("sign_in_identity") as batch:
        batch.create_index(batch.f("ix_sign_in_identity_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sign_in_identity") as batch:
        batch.drop_index(batch.f("ix_sign_in_identity_user_id"))
    op.drop_table("sign_in_identity")
    op.drop_table("school_sign_in")
