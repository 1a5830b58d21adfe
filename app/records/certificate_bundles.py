"""A leader's download of their staff's certificates for a filter, as one zip of the PDFs.

Each PDF is the one the person downloads themselves (`certificates.certificate_pdf`). Which
certificates are in it is what the school sees of each record (`school_view.record_for_school`): its
own entries, and the rest only while the person shares their record with it.

A small request is zipped in the request. A bigger one becomes a `CertificateBundle` row that a worker
(`flask certificates work`) builds, counting its progress; the zip waits in EVIDENCE_DIR's
`certificate-bundles` folder for a day, then is removed.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from flask import abort, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from app.content.model import Catalogue
from app.extensions import db
from app.models import Membership, Role, School, User
from app.models.base import utcnow
from app.models.certificate_bundles import (
    BUNDLE_BUILDING,
    BUNDLE_EXPIRED,
    BUNDLE_FAILED,
    BUNDLE_READY,
    BUNDLE_UNFINISHED,
    BUNDLE_WAITING,
    CertificateBundle,
)
from app.platform import public_url
from app.records import certificates, school_view
from app.records.cpd import RecordEntry, owned_by

log = logging.getLogger(__name__)


def in_request_limit() -> int:
    """Up to this many certificates are zipped while the leader waits; more are built in the background."""
    return current_app.config["CERTIFICATE_ZIP_IN_REQUEST_LIMIT"]


# How long a built zip is kept for its download.
KEPT_FOR = timedelta(days=1)
BUNDLES_FOLDER = "certificate-bundles"


@dataclass(frozen=True)
class BundleFilter:
    """Which certificates: of one module (or all), of people with one role (or all), completed between
    two dates (either may be open)."""

    module_id: str | None = None
    role: str | None = None
    completed_from: date | None = None
    completed_to: date | None = None

    @property
    def key(self) -> str:
        """The same filter always gives the same key: a second request for it finds the first's job."""
        return ";".join(
            f"{name}={value or ''}"
            for name, value in (
                ("module", self.module_id),
                ("role", self.role),
                ("from", self.completed_from.isoformat() if self.completed_from else None),
                ("to", self.completed_to.isoformat() if self.completed_to else None),
            )
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "module_id": self.module_id,
            "role": self.role,
            "completed_from": self.completed_from.isoformat() if self.completed_from else None,
            "completed_to": self.completed_to.isoformat() if self.completed_to else None,
        }

    @classmethod
    def from_dict(cls, values: dict) -> BundleFilter:
        def day(text: str | None) -> date | None:
            return date.fromisoformat(text) if text else None

        return cls(
            module_id=values.get("module_id") or None,
            role=values.get("role") or None,
            completed_from=day(values.get("completed_from")),
            completed_to=day(values.get("completed_to")),
        )

    def matches(self, completion: RecordEntry) -> bool:
        completed_on = completion.activity_date
        return (
            (self.module_id is None or completion.module_id == self.module_id)
            and (self.completed_from is None or completed_on >= self.completed_from)
            and (self.completed_to is None or completed_on <= self.completed_to)
        )


@dataclass(frozen=True)
class StaffCertificate:
    person: User
    completion: RecordEntry
    # Issued while the person worked at another school, and in the zip because they share their record.
    issued_elsewhere: bool = False

    @property
    def file_name(self) -> str:
        """For example "Ada-Lovelace-12-certificate-send-basics.pdf": the person's id keeps two people
        of the same name apart."""
        name = secure_filename(self.person.name.replace(" ", "-")) or "person"
        module = secure_filename(self.completion.module_id or "") or "module"
        return f"{name}-{self.person.id}-certificate-{module}.pdf"


def staff_certificates(
    catalogue: Catalogue, school: School, chosen: BundleFilter, today: date | None = None
) -> list[StaffCertificate]:
    """The certificates of people with a current role at the school (with the role, if one is chosen)
    that the school may see, one per module (the newest not voided), ordered by name and module."""
    today = today or date.today()
    memberships = select(Membership.user_id).where(Membership.school_id == school.id, Membership.is_current(today))
    if chosen.role:
        memberships = memberships.where(Membership.role == Role(chosen.role))
    people = db.session.scalars(select(User).where(User.id.in_(memberships)).order_by(User.name, User.id)).all()
    found = []
    for person in people:
        record = school_view.record_for_school(person, school, catalogue=catalogue)
        for entry in record.entries:
            if entry.has_certificate and entry.module_id and chosen.matches(entry):
                found.append(StaffCertificate(person, entry, issued_elsewhere=not owned_by(entry, school)))
    return sorted(found, key=lambda item: (item.person.name, item.person.id, item.completion.module_id or ""))


def certificate_pdf_of(item: StaffCertificate) -> bytes:
    """The same PDF the person downloads from their own record, except that one issued at another school
    does not name it: a school's pages never name the other schools a person works at (their record as
    a school sees it says "another school"). Its code still checks, and the public check names it."""
    code = certificates.code_for(item.completion.entry)
    return certificates.certificate_pdf(
        completion=item.completion,
        person_name=item.person.name,
        school_name=None if item.issued_elsewhere else certificates.school_name_of(item.completion.entry),
        verify_url=public_url("certificates.verify_certificate", code=code),
        code=code,
    )


def write_zip(items: list[StaffCertificate], into: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
    # PDFs are already compressed: storing them saves the time deflating would waste.
    with zipfile.ZipFile(into, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, item in enumerate(items, start=1):
            archive.writestr(item.file_name, certificate_pdf_of(item))
            if progress is not None:
                progress(done)


def zip_in_request(items: list[StaffCertificate]) -> bytes:
    buffer = io.BytesIO()
    write_zip(items, buffer)
    return buffer.getvalue()


def zip_name(school: School) -> str:
    return f"certificates-{school.urn}-{date.today().isoformat()}.zip"


# ---- bigger requests: built in the background --------------------------------------------------


def bundles_dir() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]) / BUNDLES_FOLDER


def bundle_path(bundle: CertificateBundle) -> Path | None:
    return bundles_dir() / bundle.file_name if bundle.file_name else None


def request_bundle(school: School, requested_by: User, chosen: BundleFilter, total: int) -> CertificateBundle:
    """The school's unfinished job for this filter, or a new one. Committed, so a retry finds it."""
    remove_expired_bundles()
    unfinished = _unfinished(school, chosen)
    if unfinished is not None:
        return unfinished
    bundle = CertificateBundle(
        school_id=school.id,
        requested_by_id=requested_by.id,
        filter_key=chosen.key,
        filters=chosen.as_dict(),
        status=BUNDLE_WAITING,
        total=total,
        done=0,
    )
    db.session.add(bundle)
    try:
        db.session.commit()
    except IntegrityError:
        # Two requests at once for the same filter: the unique index let one job in.
        db.session.rollback()
        unfinished = _unfinished(school, chosen)
        if unfinished is None:
            raise
        return unfinished
    return bundle


def _unfinished(school: School, chosen: BundleFilter) -> CertificateBundle | None:
    return db.session.scalars(
        select(CertificateBundle).where(
            CertificateBundle.school_id == school.id,
            CertificateBundle.filter_key == chosen.key,
            CertificateBundle.status.in_(BUNDLE_UNFINISHED),
        )
    ).first()


def bundle_of_school_or_404(school: School, bundle_id: int) -> CertificateBundle:
    """The school's own job; another school's is 'not found'."""
    bundle = db.session.scalars(
        select(CertificateBundle).where(CertificateBundle.id == bundle_id, CertificateBundle.school_id == school.id)
    ).first()
    if bundle is None:
        abort(404)
    return bundle


def build_next_bundle(catalogue: Catalogue) -> CertificateBundle | None:
    """Claim the oldest waiting job and build its zip; None when nothing waits.

    On PostgreSQL the claim skips rows another worker holds, so several workers never build the same job.
    """
    remove_expired_bundles()
    bundle = db.session.scalars(
        select(CertificateBundle)
        .where(CertificateBundle.status == BUNDLE_WAITING)
        .order_by(CertificateBundle.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if bundle is None:
        db.session.rollback()
        return None
    bundle.status = BUNDLE_BUILDING
    db.session.commit()
    try:
        _build(catalogue, bundle)
    except Exception as error:  # any failure is recorded on the job, for the leader to see
        log.exception("Building certificate zip %s failed", bundle.id)
        db.session.rollback()
        bundle.status = BUNDLE_FAILED
        bundle.error = type(error).__name__
        bundle.finished_at = utcnow()
        db.session.commit()
    return bundle


def _build(catalogue: Catalogue, bundle: CertificateBundle) -> None:
    school = db.session.get(School, bundle.school_id)
    items = staff_certificates(catalogue, school, BundleFilter.from_dict(bundle.filters))
    # What is there now counts, not what there was when it was asked for.
    bundle.total = len(items)
    db.session.commit()

    def note_progress(done: int) -> None:
        bundle.done = done
        db.session.commit()

    folder = bundles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # A name no one can guess, though only the school's leaders are ever handed the file.
    file_name = f"bundle-{bundle.id}-{secrets.token_hex(8)}.zip"
    partial = folder / f"{file_name}.part"
    with partial.open("wb") as into:
        write_zip(items, into, progress=note_progress)
    os.replace(partial, folder / file_name)
    bundle.file_name = file_name
    bundle.status = BUNDLE_READY
    bundle.done = len(items)
    bundle.finished_at = utcnow()
    db.session.commit()


def remove_expired_bundles(now=None) -> int:
    """Remove the zips built more than a day ago; their jobs are marked expired. Returns how many.

    A job still unfinished after a day lost its worker (a restart mid-build): it is marked failed, so
    the leader can ask again (the unique index allows one unfinished job per filter)."""
    cutoff = (now or utcnow()) - KEPT_FOR
    abandoned = db.session.scalars(
        select(CertificateBundle).where(
            CertificateBundle.status.in_(BUNDLE_UNFINISHED), CertificateBundle.created_at < cutoff
        )
    ).all()
    for bundle in abandoned:
        bundle.status = BUNDLE_FAILED
        bundle.error = "unfinished after a day"
        bundle.finished_at = now or utcnow()
    old = db.session.scalars(
        select(CertificateBundle).where(
            CertificateBundle.status.in_((BUNDLE_READY, BUNDLE_FAILED)), CertificateBundle.finished_at < cutoff
        )
    ).all()
    for bundle in old:
        path = bundle_path(bundle)
        if path is not None:
            path.unlink(missing_ok=True)
        bundle.status = BUNDLE_EXPIRED
        bundle.file_name = None
    if old or abandoned:
        db.session.commit()
    return len(old)
