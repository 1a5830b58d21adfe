"""Certificates for completed modules, their verification codes, and voiding one issued in error.

A certificate is not stored: it is drawn from a `module_completed` ledger entry whenever it is
asked for. Its verification code is the entry's id and an HMAC-SHA256 of the entry (its id, its
person and its hash), keyed with a key derived from SECRET_KEY for this one purpose. Without the key
no one can make a code that checks, so codes cannot be guessed or made up from an id; changing
SECRET_KEY makes every code issued before it "not valid".

A leader voids a certificate by appending `certificate_voided` (pointing at the completion) to the
person's ledger; the public page then says "not valid" for its code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

import segno
from flask import abort, current_app
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, School, User
from app.models.base import LARGEST_ID
from app.platform import render_pdf
from app.records import ledger
from app.records.cpd import CpdRecord, RecordEntry
from app.records.ledger import EntryKind
from app.records.terms import duration_text, local_date

# Part of the key: a code made for any other purpose with the same SECRET_KEY never checks here.
KEY_PURPOSE = b"send-ready certificate verification code v1"
# 20 base32 characters: 100 bits of the HMAC, far beyond guessing.
MAC_LENGTH = 20
CODE_PATTERN = re.compile(rf"^(\d{{1,12}})-([A-Z2-7]{{{MAC_LENGTH}}})$")


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret_bytes = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret_bytes, KEY_PURPOSE, hashlib.sha256).digest()


def _mac(entry: LedgerEntry) -> str:
    message = f"{entry.id}:{entry.user_id}:{entry.entry_hash}".encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_LENGTH]


def code_for(entry: LedgerEntry) -> str:
    """The verification code printed on the certificate, for example "42-ABCDE-FGHIJ-KLMNO-PQRST"."""
    mac = _mac(entry)
    groups = "-".join(mac[i : i + 5] for i in range(0, MAC_LENGTH, 5))
    return f"{entry.id}-{groups}"


def _parse(code: str) -> tuple[int, str] | None:
    """The entry id and MAC from a code as typed: case, spaces and dashes do not matter.

    The MAC is always the last MAC_LENGTH characters, so the id is whatever comes before them, with
    or without a dash or a space between, or none at all.
    """
    cleaned = re.sub(r"[\s\-\u2010-\u2015\u2212]+", "", code or "").upper()
    match = CODE_PATTERN.match(f"{cleaned[:-MAC_LENGTH]}-{cleaned[-MAC_LENGTH:]}")
    if match is None or int(match.group(1)) > LARGEST_ID:
        return None
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class CheckedCertificate:
    """Everything the public page shows about a valid certificate, and nothing more."""

    person_name: str
    module_title: str
    completed_on: date
    school_name: str | None


@dataclass(frozen=True)
class CertificateFacts:
    """A genuine certificate's completion, whether it was voided and when, for the public check."""

    entry: LedgerEntry
    person_name: str
    module_title: str
    completed_on: date
    school_name: str | None
    voided_on: date | None


def look_up(code: str) -> CertificateFacts | None:
    """The certificate a code belongs to, voided or not, or None for a code that is unknown or forged."""
    parsed = _parse(code)
    if parsed is None:
        return None
    entry_id, mac = parsed
    row = db.session.execute(
        select(LedgerEntry, User.name, School.name)
        .join(User, User.id == LedgerEntry.user_id)
        .outerjoin(School, School.id == LedgerEntry.school_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind == EntryKind.MODULE_COMPLETED.value)
    ).first()
    if row is None:
        return None
    entry, person_name, school_name = row
    if not hmac.compare_digest(_mac(entry), mac):
        return None
    void = voiding_of(entry)
    title = entry.payload.get("title") if isinstance(entry.payload, dict) else None
    return CertificateFacts(
        entry=entry,
        person_name=person_name,
        module_title=title or entry.subject_id or "",
        completed_on=local_date(entry.occurred_at),
        school_name=school_name,
        voided_on=local_date(void.recorded_at) if void else None,
    )


def check_code(code: str) -> CheckedCertificate | None:
    """The certificate a code belongs to, or None for a code that is unknown, forged or voided."""
    facts = look_up(code)
    if facts is None or facts.voided_on is not None:
        return None
    return CheckedCertificate(facts.person_name, facts.module_title, facts.completed_on, facts.school_name)


def voiding_of(entry: LedgerEntry) -> LedgerEntry | None:
    """The `certificate_voided` entry that withdrew this completion's certificate, if any."""
    voids = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.user_id == entry.user_id, LedgerEntry.kind == EntryKind.CERTIFICATE_VOIDED.value
        )
    )
    return next((void for void in voids if void.payload.get("refers_to_entry") == entry.id), None)


def is_voided(entry: LedgerEntry) -> bool:
    return voiding_of(entry) is not None


def certificate_entry(record: CpdRecord, module_id: str) -> RecordEntry | None:
    """The completion of the module whose certificate the person can download: the newest not voided."""
    for entry in record.entries:
        if entry.module_id == module_id and entry.has_certificate:
            return entry
    return None


def qr_code_svg(url: str) -> Markup:
    """The address as a QR code, inline SVG for the PDF (vector, so it prints sharp at any size).

    Error correction "M" (15%) survives a fold or a smudge on paper; the quiet zone of four modules is
    what scanners need around it."""
    svg = segno.make(url, error="m", micro=False).svg_inline(scale=3, border=4, dark="#0b0c0c", title=url)
    return Markup(svg)  # noqa: S704 - segno builds the SVG itself; the URL is our own, in a <title> it escapes


def certificate_pdf(
    *, completion: RecordEntry, person_name: str, school_name: str | None, verify_url: str, code: str
) -> bytes:
    return render_pdf(
        "cpd/certificate_pdf.html",
        completion=completion,
        person_name=person_name,
        school_name=school_name,
        verify_url=verify_url,
        qr_code=qr_code_svg(verify_url),
        code=code,
        duration_text=duration_text,
    )


def school_name_of(entry: LedgerEntry) -> str | None:
    if entry.school_id is None:
        return None
    return db.session.scalar(select(School.name).where(School.id == entry.school_id))


def void_certificate(*, leader_id: int, school: School, record: CpdRecord, completion_id: int, reason: str):
    """Append `certificate_voided` to the person's ledger. Voiding twice records once."""
    completion = record.find(completion_id)
    if completion is None or completion.kind != EntryKind.MODULE_COMPLETED.value:
        abort(404)
    if completion.entry.school_id != school.id:
        # Only the school a certificate was issued for may withdraw it.
        abort(404)
    return ledger.append_entry(
        user_id=record.user.id,
        school_id=school.id,
        kind=EntryKind.CERTIFICATE_VOIDED,
        subject_id=completion.entry.subject_id,
        subject_version=completion.entry.subject_version,
        payload={"refers_to_entry": completion.id, "reason": reason.strip()},
        recorded_by_id=leader_id,
        dedupe_key=f"certificate_voided:{completion.id}",
    )
