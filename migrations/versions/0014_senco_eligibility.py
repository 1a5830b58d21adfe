"""What the SENCO rules need to know of a teacher: statutory induction, and earlier time as a SENCO

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-05 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # Both start unknown (null): nobody has recorded them yet.
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("induction_completed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("senco_over_12_months_before", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("senco_over_12_months_before")
        batch.drop_column("induction_completed")
