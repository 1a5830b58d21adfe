"""The email a person gets when a module completion gives them a certificate: where to download it
and the public address anyone can check it at. Written to the outbox in the same transaction as the
completion, so a completion that rolls back sends nothing and a retried one sends once."""

from __future__ import annotations

from sqlalchemy import select

from app.content.model import Module
from app.extensions import db
from app.models import LedgerEntry, School, User
from app.platform import public_url, queue_email
from app.records import certificate_code_for, local_date


def email_certificate(*, entry: LedgerEntry, module: Module) -> None:
    person = db.session.get(User, entry.user_id)
    if person is None or not person.active or person.erased_at is not None:
        return
    school_name = (
        db.session.scalar(select(School.name).where(School.id == entry.school_id)) if entry.school_id else None
    )
    code = certificate_code_for(entry)
    queue_email(
        kind="certificate_issued",
        to=person.email,
        template="certificate_issued",
        user_id=person.id,
        school_id=entry.school_id,
        name=person.name,
        title=module.title,
        completed_on=local_date(entry.occurred_at),
        school=school_name,
        code=code,
        download_link=public_url("cpd.download_certificate", module_id=module.id),
        verify_link=public_url("certificates.verify_certificate", code=code),
    )
