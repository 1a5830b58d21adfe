"""Evidence files attached to external CPD: checked from their content, kept outside the web root under
EVIDENCE_DIR with a random name, and served only when they still match the hash the ledger holds.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import abort, current_app
from sqlalchemy import select

from app.extensions import db
from app.models import EVIDENCE_MAX_BYTES, EvidenceFile, EvidenceMediaType
from app.records.cpd import CpdRecord

log = logging.getLogger(__name__)

# ---- evidence files -------------------------------------------------------------------------------

# What each accepted type's content starts with. The name and the browser's stated type are ignored.
SIGNATURES = (
    (b"%PDF-", EvidenceMediaType.PDF),
    (b"\x89PNG\r\n\x1a\n", EvidenceMediaType.PNG),
    (b"\xff\xd8\xff", EvidenceMediaType.JPEG),
)


def media_type_of(data: bytes) -> EvidenceMediaType | None:
    for signature, media_type in SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


class EvidenceRefused(ValueError):
    """An upload that is not accepted; nothing was stored. The message is for the person."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class EvidenceUpload:
    """An uploaded file that passed the checks, held in memory until it is stored."""

    data: bytes
    media_type: EvidenceMediaType
    filename: str


def read_evidence_upload(stream, filename: str | None) -> EvidenceUpload:
    """Read an upload (at most one byte past the limit) and check its size and, from its content, its type."""
    data = stream.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise EvidenceRefused("The evidence file must be 5 MB or smaller", too_large=True)
    if not data:
        raise EvidenceRefused("The selected file is empty")
    media_type = media_type_of(data)
    if media_type is None:
        raise EvidenceRefused("The evidence file must be a PDF, PNG or JPEG")
    # Only the last part of the name, stripped of anything odd: it is shown back to people.
    name = re.sub(r"[^\w.\- ()]+", "_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip() or "evidence"
    return EvidenceUpload(data, media_type, name[:255])


class EvidenceNotStored(RuntimeError):
    """The file could not be written under EVIDENCE_DIR (the disk is full, or read-only); nothing was stored.

    The message is for the person: it says what happened and what they can do.
    """

    def __init__(self, reason: int | None):
        why = "the service's storage is full" if reason == errno.ENOSPC else "the service's storage is not available"
        super().__init__(
            f"The evidence file could not be saved because {why}. Nothing was saved. Try again later, "
            "or add your CPD without the file now and attach the file later by correcting the entry"
        )
        self.reason = reason


def evidence_root() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]).resolve()


def _evidence_path(evidence: EvidenceFile) -> Path:
    root = evidence_root()
    path = (root / evidence.storage_path).resolve()
    if not path.is_relative_to(root):
        raise EvidenceMissing(f"evidence file {evidence.id} points outside EVIDENCE_DIR")
    return path


def store_evidence(user_id: int, upload: EvidenceUpload) -> EvidenceFile:
    """Write the file under EVIDENCE_DIR with a random name and describe it in a row (flushed)."""
    relative = f"{user_id}/{secrets.token_hex(16)}.{upload.media_type.extension}"
    path = evidence_root() / relative
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(path, "xb") as out:
            out.write(upload.data)
            # On disk before the ledger entry that names it is committed: a full disk shows up here at the
            # latest, and a crash after the commit cannot leave an entry whose file never reached the disk.
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        log.error(
            "EVIDENCE NOT STORED: writing %s under EVIDENCE_DIR (%s) failed: %s", relative, evidence_root(), error
        )
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("The partly written evidence file %s could not be removed", path)
        raise EvidenceNotStored(error.errno) from error
    evidence = EvidenceFile(
        user_id=user_id,
        storage_path=relative,
        media_type=upload.media_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        original_filename=upload.filename,
    )
    try:
        db.session.add(evidence)
        db.session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return evidence


def _evidence_reference(evidence: EvidenceFile) -> dict[str, Any]:
    """What the ledger keeps about a file: enough to find it and to notice if it was swapped."""
    return {"file_id": evidence.id, "sha256": evidence.sha256, "media_type": evidence.media_type.value}


class EvidenceMissing(LookupError):
    """The evidence file is gone from disk or no longer matches what was recorded."""


def read_evidence(evidence: EvidenceFile, recorded_sha256: str | None) -> bytes:
    """The file's bytes, once they are checked against the hash in the row and in the ledger."""
    path = _evidence_path(evidence)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise EvidenceMissing(f"evidence file {evidence.id} is missing from {path.parent}") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != evidence.sha256 or (recorded_sha256 is not None and digest != recorded_sha256):
        raise EvidenceMissing(f"evidence file {evidence.id} no longer matches its recorded SHA-256")
    return data


def delete_evidence_files(user_id: int) -> int:
    """Remove a person's evidence files from disk and their rows (for erasing a person's data).

    The ledger keeps only the files' ids and hashes, so its chain stays valid. Returns how many went.
    """
    files = list(db.session.scalars(select(EvidenceFile).where(EvidenceFile.user_id == user_id)))
    for evidence in files:
        try:
            _evidence_path(evidence).unlink(missing_ok=True)
        except EvidenceMissing:
            log.warning("evidence file %s had a path outside EVIDENCE_DIR; only its row is removed", evidence.id)
        db.session.delete(evidence)
    db.session.flush()
    return len(files)


def evidence_for_or_404(record: CpdRecord, entry_id: int) -> tuple[EvidenceFile, bytes]:
    """The evidence file of an external CPD entry on this record, checked against the ledger."""
    entry = record.find(entry_id)
    if entry is None or not entry.evidence:
        abort(404)
    file_id = entry.evidence.get("file_id")
    evidence = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.id == file_id, EvidenceFile.user_id == record.user.id)
    ).first()
    if evidence is None:
        abort(404)
    try:
        return evidence, read_evidence(evidence, entry.evidence.get("sha256"))
    except EvidenceMissing as problem:
        log.error("Evidence for ledger entry %s cannot be served: %s", entry_id, problem)
        abort(404)
