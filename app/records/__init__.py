"""The CPD record: the append-only ledger that is the record of truth, the record as people read it,
external CPD and its evidence, certificates, exports and xAPI, and whose part of a record each school
sees. Other areas append to it and tidy it only through the names below."""

from app.records.certificates import CertificateFacts
from app.records.certificates import code_for as certificate_code_for
from app.records.certificates import look_up as look_up_certificate
from app.records.evidence_files import delete_evidence_files
from app.records.ledger import EntryKind, append_entry
from app.records.terms import local_date
from app.records.xapi import note_person_erased as note_person_erased_for_xapi

__all__ = [
    "CertificateFacts",
    "EntryKind",
    "append_entry",
    "certificate_code_for",
    "delete_evidence_files",
    "local_date",
    "look_up_certificate",
    "note_person_erased_for_xapi",
]
