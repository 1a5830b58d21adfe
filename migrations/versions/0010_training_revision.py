"""A revision per school that changes with anything its staff training dashboard shows

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 03:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("training_revision", sa.String(length=32), nullable=True))
    school = sa.table("school", sa.column("id", sa.Integer), sa.column("training_revision", sa.String))
    connection = op.get_bind()
    for (school_id,) in connection.execute(sa.select(school.c.id)).all():
        connection.execute(
            school.update().where(school.c.id == school_id).values(training_revision=secrets.token_hex(16))
        )
    with op.batch_alter_table("school") as batch:
        batch.alter_column("training_revision", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("school") as batch:
        batch.drop_column("training_revision")
