"""Each email keeps a copy of its text for subject access, without other people's names or sign-in links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 03:00:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Emails whose templates have only ever named their recipient: their text is their copy, less any
# sign-in link. The others (invitations, role notices, assigned training) named the person who sent
# them; which words did is not known now, so their copy stays empty and the download leaves the
# text out.
NAMING_NO_ONE_ELSE = ("password_reset", "training_reminder", "weekly_digest")
SIGN_IN_LINK = re.compile(r"\S*/(?:set|reset)-password/[A-Za-z0-9_-]+")
SIGN_IN_LINK_REMOVED = "[link removed: it signs in whoever holds it]"


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("body_text_for_subject_access", sa.Text(), nullable=True))
    message = sa.table(
        "outbox_message",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("body_text", sa.Text),
        sa.column("body_text_for_subject_access", sa.Text),
    )
    connection = op.get_bind()
    connection.execute(
        message.update()
        .where(message.c.kind.in_(NAMING_NO_ONE_ELSE))
        .values(body_text_for_subject_access=message.c.body_text)
    )
    with_links = connection.execute(
        sa.select(message.c.id, message.c.body_text).where(
            message.c.kind.in_(NAMING_NO_ONE_ELSE), message.c.body_text.contains("-password/")
        )
    ).all()
    for message_id, body in with_links:
        connection.execute(
            message.update()
            .where(message.c.id == message_id)
            .values(body_text_for_subject_access=SIGN_IN_LINK.sub(SIGN_IN_LINK_REMOVED, body))
        )


def downgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("body_text_for_subject_access")
