"""The CPD record as xAPI 1.0.3 statements, and sending them to a learning record store (LRS).

Each ledger entry gives at most two statements, drawn from that entry and the entries before it,
never from later ones, so exporting again gives the same statements with the same ids:

- `module_completed` -> completed a module; `quiz_attempted` -> passed or failed its quiz;
  `self_assessment_submitted` -> completed the self-assessment (submitting it finishes it);
- `external_cpd_recorded` -> completed the training, or *attempted* a qualification still enrolled on;
- `entry_corrected` -> the corrected details (the same activity), and a voiding statement for the
  version it replaces: xAPI's own way of saying "that statement no longer stands";
- `entry_rejected` and `certificate_voided` -> a voiding statement for what they refer to;
- `entry_verified` and kinds this does not know -> nothing (they are not learning).

The actor is the person's account on this platform (their id), never their name or email.
Statement ids are UUIDs derived from the entry's hash, so a store that is sent a statement again
treats it as the one it already has.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import LedgerEntry, XapiPushCursor
from app.models.base import utcnow
from app.records.ledger import EntryKind

XAPI_VERSION = "1.0.3"
# Fixed for ever: changing it would change every statement id, and stores would take them as new.
STATEMENT_NAMESPACE = uuid.UUID("6f1e0c52-4a0b-5d7e-9c55-2b8f3f0d1a47")
LANGUAGE = "en-GB"

ADL_VERB = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY = "http://adlnet.gov/expapi/activities/"
COMPLETED, PASSED, FAILED, ATTEMPTED, VOIDED = "completed", "passed", "failed", "attempted", "voided"


# ---- statements -----------------------------------------------------------------------------------


def statement_id(entry: LedgerEntry, purpose: str = "") -> str:
    """The id of the statement an entry gives (`purpose` tells apart a second one, such as a voiding)."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, entry.entry_hash + (f":{purpose}" if purpose else "")))


def _timestamp(moment: datetime) -> str:
    # Milliseconds: what stores keep, so the statement read back compares equal to the one sent.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(minutes: Any) -> str | None:
    """Whole minutes as an ISO 8601 duration: 30 -> PT30M, 90 -> PT1H30M; unknown or none -> None."""
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        return None
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def _verb(name: str) -> dict[str, Any]:
    return {"id": ADL_VERB + name, "display": {LANGUAGE: name}}


def _activity(path: str, name: str, activity_type: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{_base_url()}/xapi/activities/{path}",
        "definition": {"name": {LANGUAGE: name}, "type": ADL_ACTIVITY + activity_type},
    }


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _actor(user_id: int) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": _base_url(), "name": str(user_id)}}


def _text(value: Any, fallback: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else fallback


def _refers_to(entry: LedgerEntry) -> int | None:
    value = entry.payload.get("refers_to_entry") if isinstance(entry.payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _statement(entry: LedgerEntry, verb: str, activity: dict[str, Any], result: dict[str, Any] | None):
    statement = {
        "id": statement_id(entry),
        "actor": _actor(entry.user_id),
        "verb": _verb(verb),
        "object": activity,
        "timestamp": _timestamp(entry.occurred_at),
        "version": XAPI_VERSION,
    }
    if result:
        statement["result"] = result
    return statement


def _voiding(entry: LedgerEntry, target: LedgerEntry, purpose: str = "") -> dict[str, Any]:
    return {
        "id": statement_id(entry, purpose),
        "actor": _actor(entry.user_id),
        "verb": _verb(VOIDED),
        "object": {"objectType": "StatementRef", "id": statement_id(target)},
        "timestamp": _timestamp(entry.recorded_at),
        "version": XAPI_VERSION,
    }


def _completion(minutes: Any, *, completed: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {"completion": completed}
    duration = _duration(minutes)
    if duration:
        result["duration"] = duration
    return result


class Earlier:
    """The entries a statement may refer back to, looked up by id (a person's earlier entries)."""

    def __init__(self, entries: Iterable[LedgerEntry]):
        self.by_id = {entry.id: entry for entry in entries}

    def get(self, entry_id: int | None) -> LedgerEntry | None:
        return self.by_id.get(entry_id) if entry_id is not None else None

    def superseded_by(self, correction: LedgerEntry) -> LedgerEntry | None:
        """The version a correction replaces: the newest earlier version of the same original."""
        original = self.get(_refers_to(correction))
        if original is None:
            return None
        versions = [
            entry
            for entry in self.by_id.values()
            if entry.user_id == correction.user_id
            and entry.id < correction.id
            and (
                entry.id == original.id
                or (entry.kind == EntryKind.ENTRY_CORRECTED.value and _refers_to(entry) == original.id)
            )
        ]
        return max(versions, key=lambda entry: entry.sequence) if versions else None


def statements_for_entry(entry: LedgerEntry, earlier: Earlier) -> list[dict[str, Any]]:
    """The statements one ledger entry gives (often one, none for entries that are not learning)."""
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    kind = entry.kind
    subject = quote(entry.subject_id or "unknown", safe="")

    if kind == EntryKind.MODULE_COMPLETED.value:
        activity = _activity(f"module/{subject}", _text(payload.get("title"), entry.subject_id or "Module"), "module")
        return [_statement(entry, COMPLETED, activity, _completion(payload.get("minutes")))]

    if kind == EntryKind.QUIZ_ATTEMPTED.value:
        passed = payload.get("passed")
        if not isinstance(passed, bool):
            return []
        title = "Quiz: " + _text(payload.get("title"), entry.subject_id or "module")
        result: dict[str, Any] = {"success": passed, "completion": True}
        score, total = payload.get("score"), payload.get("total")
        if isinstance(score, int) and isinstance(total, int) and total > 0 and 0 <= score <= total:
            result["score"] = {"scaled": round(score / total, 4), "raw": score, "min": 0, "max": total}
        activity = _activity(f"quiz/{subject}", title, "assessment")
        return [_statement(entry, PASSED if passed else FAILED, activity, result)]

    if kind == EntryKind.SELF_ASSESSMENT_SUBMITTED.value:
        activity = _activity(f"self-assessment/{subject}", _text(payload.get("title"), "Self-assessment"), "assessment")
        return [_statement(entry, COMPLETED, activity, _completion(payload.get("minutes")))]

    if kind in (EntryKind.EXTERNAL_CPD_RECORDED.value, EntryKind.ENTRY_CORRECTED.value):
        statements = []
        original_id = entry.id
        if kind == EntryKind.ENTRY_CORRECTED.value:
            superseded = earlier.superseded_by(entry)
            if superseded is None:
                return []
            original_id = _refers_to(entry) or entry.id
            statements.append(_voiding(entry, superseded, "voids"))
        # One activity per piece of external CPD, whatever its corrections: the original entry's id.
        qualification = payload.get("qualification")
        enrolled = isinstance(qualification, dict) and qualification.get("status") == "enrolled"
        activity = _activity(f"external/{original_id}", _text(payload.get("title"), "External CPD"), "course")
        verb = ATTEMPTED if enrolled else COMPLETED
        statements.append(
            _statement(entry, verb, activity, _completion(payload.get("minutes"), completed=not enrolled))
        )
        return statements

    if kind in (EntryKind.ENTRY_REJECTED.value, EntryKind.CERTIFICATE_VOIDED.value):
        target = earlier.get(_refers_to(entry))
        if target is None or target.user_id != entry.user_id:
            return []
        return [_voiding(entry, target)]

    return []


def _earlier_for(entries: list[LedgerEntry]) -> Earlier:
    """Everything the entries may refer back to: the external CPD, decisions' and voids' targets."""
    if not entries:
        return Earlier([])
    referred = {ref for entry in entries if (ref := _refers_to(entry)) is not None}
    people = {entry.user_id for entry in entries if entry.kind == EntryKind.ENTRY_CORRECTED.value}
    conditions = [LedgerEntry.id.in_(referred)] if referred else []
    if people:
        kinds = (EntryKind.EXTERNAL_CPD_RECORDED.value, EntryKind.ENTRY_CORRECTED.value)
        conditions.append(LedgerEntry.user_id.in_(people) & LedgerEntry.kind.in_(kinds))
    found = list(db.session.scalars(select(LedgerEntry).where(or_(*conditions)))) if conditions else []
    return Earlier([*found, *entries])


def statements_for(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """The statements for some ledger entries, in the entries' order."""
    earlier = _earlier_for(entries)
    return [statement for entry in entries for statement in statements_for_entry(entry, earlier)]


def statements_for_person(user_id: int) -> list[dict[str, Any]]:
    """A person's whole record as statements, oldest first (one query: their own entries)."""
    entries = list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.sequence))
    )
    earlier = Earlier(entries)
    return [statement for entry in entries for statement in statements_for_entry(entry, earlier)]


# ---- sending to a learning record store -----------------------------------------------------------


class PushFailed(RuntimeError):
    """A batch was not accepted; the cursor stays where it was and the next run sends it again."""


@dataclass
class PushResult:
    batches: int = 0
    statements: int = 0
    entries: int = 0
    last_entry_id: int = 0


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # Statements go to the configured address and nowhere else, whatever the answer says.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect refused ({msg})", headers, fp)


def statements_url(lrs_url: str) -> str:
    parts = urlsplit(lrs_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushFailed("LRS_URL must be an http:// or https:// address")
    return lrs_url.rstrip("/") + "/statements"


def post_statements(url: str, statements: list[dict[str, Any]], username: str, password: str, timeout: float) -> None:
    """POST a batch with the standard library only; raise PushFailed unless the store says 2xx."""
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    # The scheme was checked to be http or https by statements_url, so no file: or other scheme opens.
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(statements, separators=(",", ":")).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": XAPI_VERSION,
            "Authorization": f"Basic {credentials}",
        },
    )
    # No proxies from the environment and no redirects: only the configured address is ever contacted.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _RefuseRedirects())
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode("utf-8", "replace") if error.fp else ""
        raise PushFailed(f"the store answered {error.code} {error.reason}: {detail}".strip()) from error
    except (urllib.error.URLError, OSError) as error:
        raise PushFailed(f"could not reach the store: {getattr(error, 'reason', error)}") from error


Sender = Callable[[str, list[dict[str, Any]]], None]


def _cursor_for(url: str) -> XapiPushCursor:
    cursor = db.session.scalars(select(XapiPushCursor).where(XapiPushCursor.lrs_url == url)).first()
    if cursor is None:
        cursor = XapiPushCursor(lrs_url=url, last_entry_id=0, statements_sent=0, updated_at=utcnow())
        db.session.add(cursor)
        db.session.commit()
    return cursor


def push(
    *,
    lrs_url: str,
    username: str,
    password: str,
    batch_size: int = 50,
    settle: timedelta = timedelta(minutes=2),
    timeout: float = 30.0,
    send: Sender | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> PushResult:
    """Send every statement not yet sent to this store, `batch_size` at a time, oldest entry first.

    After each accepted batch the cursor moves past its entries and is committed at once, so a failure
    later loses nothing; a failed batch raises PushFailed with the cursor where it was.

    Entries younger than `settle` wait for the next run: ids are handed out before commit, so an entry
    with a lower id may still be committing, and moving the cursor past it would skip it for good.
    """
    url = statements_url(lrs_url)
    send = send or (lambda target, batch: post_statements(target, batch, username, password, timeout))
    cursor = _cursor_for(url)
    result = PushResult(last_entry_id=cursor.last_entry_id)
    cutoff = utcnow() - settle
    # The first entry too young to send: nothing from it on is read in this run.
    fresh = db.session.scalar(
        select(func.min(LedgerEntry.id)).where(LedgerEntry.id > cursor.last_entry_id, LedgerEntry.recorded_at > cutoff)
    )
    while True:
        query = select(LedgerEntry).where(LedgerEntry.id > cursor.last_entry_id)
        if fresh is not None:
            query = query.where(LedgerEntry.id < fresh)
        entries = list(db.session.scalars(query.order_by(LedgerEntry.id).limit(batch_size)))
        if not entries:
            return result
        earlier = _earlier_for(entries)
        batch: list[dict[str, Any]] = []
        last_id = cursor.last_entry_id
        for entry in entries:
            statements = statements_for_entry(entry, earlier)
            if batch and len(batch) + len(statements) > batch_size:
                _send_batch(send, url, batch, cursor, last_id, result, report)
                batch = []
            batch.extend(statements)
            last_id = entry.id
        _send_batch(send, url, batch, cursor, last_id, result, report)
        result.entries += len(entries)


def _send_batch(send: Sender, url, batch, cursor: XapiPushCursor, last_id: int, result: PushResult, report) -> None:
    if batch:
        send(url, batch)  # raises PushFailed; the cursor has not moved
        result.batches += 1
        result.statements += len(batch)
        report(f"Sent {len(batch)} statements (ledger entries up to {last_id}).")
    cursor.last_entry_id = last_id
    cursor.statements_sent += len(batch)
    cursor.updated_at = utcnow()
    result.last_entry_id = last_id
    # Committed batch by batch (this runs from the command line, not a request): what the store has
    # accepted stays recorded as sent even if a later batch fails.
    db.session.commit()
