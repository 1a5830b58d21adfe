"""The school each email was sent for

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 03:40:00

Existing email is given its school where that is certain: a reminder or weekly digest from the
reminder it was sent for, and an invitation, a note of a new role or an assignment of training when
every role the person has ever held was at one school. Anything else (a password reset, or email to
someone with roles at several schools or an organisation) is left with no school: it stays in the
person's own download and out of every school's.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Kinds of email sent by one school to one of its people.
SENT_FOR_A_SCHOOL = ("invitation", "role_added", "training_assigned")


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_school_id"), ["school_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_school_id_school"), "school", ["school_id"], ["id"]
        )

    outbox = sa.table(
        "outbox_message",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("user_id", sa.Integer),
        sa.column("school_id", sa.Integer),
    )
    reminder = sa.table(
        "reminder_sent",
        sa.column("outbox_message_id", sa.Integer),
        sa.column("school_id", sa.Integer),
    )
    membership = sa.table(
        "membership",
        sa.column("user_id", sa.Integer),
        sa.column("school_id", sa.Integer),
    )
    connection = op.get_bind()

    # Reminders and digests: the school of the reminders they were sent for (always one school).
    one_school_reminders = (
        sa.select(reminder.c.outbox_message_id)
        .where(reminder.c.outbox_message_id.is_not(None))
        .group_by(reminder.c.outbox_message_id)
        .having(sa.func.min(reminder.c.school_id) == sa.func.max(reminder.c.school_id))
    )
    connection.execute(
        outbox.update()
        .where(outbox.c.id.in_(one_school_reminders))
        .values(
            school_id=sa.select(sa.func.min(reminder.c.school_id))
            .where(reminder.c.outbox_message_id == outbox.c.id)
            .scalar_subquery()
        )
    )

    # Invitations, new-role notes and assignments: the school, when the person has only ever had
    # roles at one school (none at an organisation), so that school sent them.
    one_school_people = (
        sa.select(membership.c.user_id)
        .group_by(membership.c.user_id)
        .having(
            sa.func.count(membership.c.school_id) == sa.func.count(),
            sa.func.min(membership.c.school_id) == sa.func.max(membership.c.school_id),
        )
    )
    connection.execute(
        outbox.update()
        .where(
            outbox.c.school_id.is_(None),
            outbox.c.kind.in_(SENT_FOR_A_SCHOOL),
            outbox.c.user_id.in_(one_school_people),
        )
        .values(
            school_id=sa.select(sa.func.min(membership.c.school_id))
            .where(membership.c.user_id == outbox.c.user_id)
            .scalar_subquery()
        )
    )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_message_school_id_school"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_message_school_id"))
        batch_op.drop_column("school_id")
