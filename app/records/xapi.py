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
treats it as the one it already has. Activity ids and the actor's home page are under the address the
first push recorded (`xapi_identity`), not today's PUBLIC_BASE_URL, so a move to a new address gives
every statement the same content as before.

After a person's details are erased nothing more about them is sent, and each store is sent a
voiding statement for every statement it was sent about them.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import current_app
from sqlalchemy import func, or_, select, text

from app.extensions import db
from app.models import LedgerEntry, User, XapiErasure, XapiIdentity, XapiPushCursor
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


def _activity(base: str, path: str, name: str, activity_type: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{base}/xapi/activities/{path}",
        "definition": {"name": {LANGUAGE: name}, "type": ADL_ACTIVITY + activity_type},
    }


def identity_base() -> str:
    """The address statements name people and activities under: the one the first push recorded,
    or, before any push, today's PUBLIC_BASE_URL."""
    recorded = db.session.scalars(select(XapiIdentity.base_url).order_by(XapiIdentity.id)).first()
    return recorded or current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def record_identity_base() -> str:
    """Keep today's address as the statements' address for ever, unless one is kept already."""
    recorded = db.session.scalars(select(XapiIdentity).order_by(XapiIdentity.id)).first()
    if recorded is None:
        recorded = XapiIdentity(base_url=current_app.config["PUBLIC_BASE_URL"].rstrip("/"), recorded_at=utcnow())
        db.session.add(recorded)
        db.session.commit()
    return recorded.base_url


def _actor(base: str, user_id: int) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": base, "name": str(user_id)}}


def _text(value: Any, fallback: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else fallback


def _refers_to(entry: LedgerEntry) -> int | None:
    value = entry.payload.get("refers_to_entry") if isinstance(entry.payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _statement(
    base: str, entry: LedgerEntry, verb: str, activity: dict[str, Any], result: dict[str, Any] | None
) -> dict[str, Any]:
    statement = {
        "id": statement_id(entry),
        "actor": _actor(base, entry.user_id),
        "verb": _verb(verb),
        "object": activity,
        "timestamp": _timestamp(entry.occurred_at),
        "version": XAPI_VERSION,
    }
    if result:
        statement["result"] = result
    return statement


def _voiding(base: str, entry: LedgerEntry, target: LedgerEntry, purpose: str = "") -> dict[str, Any]:
    return {
        "id": statement_id(entry, purpose),
        "actor": _actor(base, entry.user_id),
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

    def __init__(self, entries: Iterable[LedgerEntry], *, base: str | None = None, erased: Iterable[int] = ()):
        self.by_id = {entry.id: entry for entry in entries}
        self.base = base or identity_base()
        # People whose details were erased: what they typed themselves is never put in a statement.
        self.erased = set(erased)

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
    base = earlier.base

    if kind == EntryKind.MODULE_COMPLETED.value:
        activity = _activity(
            base, f"module/{subject}", _text(payload.get("title"), entry.subject_id or "Module"), "module"
        )
        return [_statement(base, entry, COMPLETED, activity, _completion(payload.get("minutes")))]

    if kind == EntryKind.QUIZ_ATTEMPTED.value:
        passed = payload.get("passed")
        if not isinstance(passed, bool):
            return []
        title = "Quiz: " + _text(payload.get("title"), entry.subject_id or "module")
        result: dict[str, Any] = {"success": passed, "completion": True}
        score, total = payload.get("score"), payload.get("total")
        if isinstance(score, int) and isinstance(total, int) and total > 0 and 0 <= score <= total:
            result["score"] = {"scaled": round(score / total, 4), "raw": score, "min": 0, "max": total}
        activity = _activity(base, f"quiz/{subject}", title, "assessment")
        return [_statement(base, entry, PASSED if passed else FAILED, activity, result)]

    if kind == EntryKind.SELF_ASSESSMENT_SUBMITTED.value:
        activity = _activity(
            base, f"self-assessment/{subject}", _text(payload.get("title"), "Self-assessment"), "assessment"
        )
        return [_statement(base, entry, COMPLETED, activity, _completion(payload.get("minutes")))]

    if kind in (EntryKind.EXTERNAL_CPD_RECORDED.value, EntryKind.ENTRY_CORRECTED.value):
        statements = []
        original_id = entry.id
        if kind == EntryKind.ENTRY_CORRECTED.value:
            superseded = earlier.superseded_by(entry)
            if superseded is None:
                return []
            original_id = _refers_to(entry) or entry.id
            statements.append(_voiding(base, entry, superseded, "voids"))
        # One activity per piece of external CPD, whatever its corrections: the original entry's id.
        qualification = payload.get("qualification")
        enrolled = isinstance(qualification, dict) and qualification.get("status") == "enrolled"
        # The title is the person's own words: gone from what is sent once their details are erased.
        title = "External CPD" if entry.user_id in earlier.erased else _text(payload.get("title"), "External CPD")
        activity = _activity(base, f"external/{original_id}", title, "course")
        verb = ATTEMPTED if enrolled else COMPLETED
        statements.append(
            _statement(base, entry, verb, activity, _completion(payload.get("minutes"), completed=not enrolled))
        )
        return statements

    if kind in (EntryKind.ENTRY_REJECTED.value, EntryKind.CERTIFICATE_VOIDED.value):
        target = earlier.get(_refers_to(entry))
        if target is None or target.user_id != entry.user_id:
            return []
        return [_voiding(base, entry, target)]

    return []


def _erased_among(user_ids: Iterable[int]) -> set[int]:
    wanted = set(user_ids)
    if not wanted:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(wanted), User.erased_at.is_not(None))))


def _earlier_for(entries: list[LedgerEntry], base: str | None = None) -> Earlier:
    """Everything the entries may refer back to: the external CPD, decisions' and voids' targets."""
    if not entries:
        return Earlier([], base=base)
    referred = {ref for entry in entries if (ref := _refers_to(entry)) is not None}
    people = {entry.user_id for entry in entries if entry.kind == EntryKind.ENTRY_CORRECTED.value}
    conditions = [LedgerEntry.id.in_(referred)] if referred else []
    if people:
        kinds = (EntryKind.EXTERNAL_CPD_RECORDED.value, EntryKind.ENTRY_CORRECTED.value)
        conditions.append(LedgerEntry.user_id.in_(people) & LedgerEntry.kind.in_(kinds))
    found = list(db.session.scalars(select(LedgerEntry).where(or_(*conditions)))) if conditions else []
    return Earlier([*found, *entries], base=base, erased=_erased_among(entry.user_id for entry in entries))


def statements_for(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """The statements for some ledger entries, in the entries' order."""
    earlier = _earlier_for(entries)
    return [statement for entry in entries for statement in statements_for_entry(entry, earlier)]


def statements_for_person(user_id: int) -> list[dict[str, Any]]:
    """A person's whole record as statements, oldest first (one query: their own entries)."""
    entries = list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.sequence))
    )
    earlier = Earlier(entries, erased=_erased_among([user_id]))
    return [statement for entry in entries for statement in statements_for_entry(entry, earlier)]


# ---- erased people --------------------------------------------------------------------------------


def note_person_erased(user_id: int) -> None:
    """Called when a person's details are erased: every store will be sent voiding statements for what
    it holds about them, and nothing more about them."""
    if db.session.scalar(select(XapiErasure.id).where(XapiErasure.user_id == user_id)) is None:
        db.session.add(XapiErasure(user_id=user_id, erased_at=utcnow()))
        db.session.flush()


def erasure_voiding_statements(erasure: XapiErasure, *, up_to_entry_id: int, base: str) -> list[dict[str, Any]]:
    """A voiding statement for each statement about the person from entries up to `up_to_entry_id`
    (what a store has been sent). A voiding statement is itself never voided (xAPI forbids it)."""
    entries = list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.user_id == erasure.user_id, LedgerEntry.id <= up_to_entry_id)
            .order_by(LedgerEntry.sequence)
        )
    )
    earlier = Earlier(entries, base=base, erased=[erasure.user_id])
    targets = [
        statement["id"]
        for entry in entries
        for statement in statements_for_entry(entry, earlier)
        if statement["verb"]["id"] != ADL_VERB + VOIDED
    ]
    return [
        {
            "id": str(uuid.uuid5(STATEMENT_NAMESPACE, f"{target}:erased")),
            "actor": _actor(base, erasure.user_id),
            "verb": _verb(VOIDED),
            "object": {"objectType": "StatementRef", "id": target},
            "timestamp": _timestamp(erasure.erased_at),
            "version": XAPI_VERSION,
        }
        for target in targets
    ]


# ---- comparing a statement with the one a store holds ---------------------------------------------

# What a store sets or may set itself (xAPI 1.0.3, part two, 2.3.2, the exceptions to immutability):
# these never make two statements different.
STORE_SET_PROPERTIES = ("authority", "stored", "version")


def _normalised(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {
            name: _normalised(item, name)
            for name, item in value.items()
            if name not in STORE_SET_PROPERTIES and not (name == "objectType" and item in ("Activity", "Agent"))
        }
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if key == "timestamp" and isinstance(value, str):
        # A store may write the same moment differently (+00:00 for Z, more or fewer decimals).
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return value
    if key == "id" and isinstance(value, str):
        # UUIDs (statement ids, the target of a StatementRef) are not case-sensitive.
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    return value


def same_statement(sent: dict[str, Any], held: dict[str, Any]) -> bool:
    """Whether the statement a store holds is the one sent, apart from what a store may add or
    rewrite: `authority`, `stored`, `version`, the default `objectType`, the form of the timestamp
    and the case of UUIDs."""
    return _normalised(sent) == _normalised(held)


# ---- sending to a learning record store -----------------------------------------------------------


class PushFailed(RuntimeError):
    """A batch was not accepted; the cursor stays where it was and the next run sends it again."""


class StoreConflict(PushFailed):
    """The store answered 409: it holds a statement with one of these ids already."""


class PushBusy(PushFailed):
    """Another push holds the lock: this one sends nothing."""


@dataclass
class PushResult:
    batches: int = 0
    statements: int = 0
    entries: int = 0
    last_entry_id: int = 0
    # Statements the store already held, the same apart from what a store may add: counted as sent.
    already_held: int = 0
    # Statements whose id the store holds with different content: reported and skipped.
    conflicts: list[str] = field(default_factory=list)
    voided_for_erasure: int = 0


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # Statements go to the configured address and nowhere else, whatever the answer says.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect refused ({msg})", headers, fp)


def statements_url(lrs_url: str) -> str:
    parts = urlsplit(lrs_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushFailed("LRS_URL must be an http:// or https:// address")
    return lrs_url.rstrip("/") + "/statements"


class LrsClient:
    """A learning record store's statement resource, with the standard library only: no proxies from
    the environment and no redirects, so only the configured address is ever contacted."""

    def __init__(self, lrs_url: str, username: str, password: str, timeout: float = 30.0):
        self.url = statements_url(lrs_url)
        self.timeout = timeout
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.headers = {"X-Experience-API-Version": XAPI_VERSION, "Authorization": f"Basic {credentials}"}
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _RefuseRedirects())

    def _call(self, method: str, url: str, body: Any = None) -> tuple[int, bytes]:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8") if body is not None else None
        headers = dict(self.headers, **({"Content-Type": "application/json"} if data is not None else {}))
        # The scheme was checked to be http or https by statements_url, so no file: or other scheme opens.
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            detail = error.read(300).decode("utf-8", "replace") if error.fp else ""
            if error.code == 404 and method == "GET":
                return 404, b""
            failure = StoreConflict if error.code == 409 else PushFailed
            raise failure(f"the store answered {error.code} {error.reason}: {detail}".strip()) from error
        except (urllib.error.URLError, OSError) as error:
            raise PushFailed(f"could not reach the store: {getattr(error, 'reason', error)}") from error

    def post(self, statements: list[dict[str, Any]]) -> None:
        """POST a batch; raise StoreConflict on 409 and PushFailed on any other answer but 2xx."""
        self._call("POST", self.url, statements)

    def held(self, wanted_id: str) -> dict[str, Any] | None:
        """The statement the store holds with this id, voided or not, or None."""
        for parameter in ("statementId", "voidedStatementId"):
            status, body = self._call("GET", f"{self.url}?{urlencode({parameter: wanted_id})}")
            if status == 200 and body:
                try:
                    found = json.loads(body)
                except ValueError:
                    return None
                return found if isinstance(found, dict) else None
        return None


# One number for the whole deployment: every machine running `flask xapi push` asks for the same lock.
PUSH_LOCK_KEY = 0x5E4D0A917C3B2F01


@contextmanager
def push_lock() -> Iterator[bool]:
    """Hold PostgreSQL's session advisory lock for the push, so that two machines never push at once;
    a second push finds it taken and stops (PushBusy). Yields whether a lock is held: on SQLite there
    is none, because SQLite is one machine's file (the README says what two pushes at once do)."""
    if db.engine.dialect.name != "postgresql":
        yield False
        return
    with db.engine.connect() as connection:
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": PUSH_LOCK_KEY})
        # The lock belongs to the connection, not the transaction: end the transaction at once rather
        # than sit idle in one for the whole push.
        connection.commit()
        if not taken:
            raise PushBusy("another xAPI push is running (it holds the lock); this one sent nothing")
        try:
            yield True
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PUSH_LOCK_KEY})
            connection.commit()


def _cursor_for(url: str) -> XapiPushCursor:
    cursor = db.session.scalars(select(XapiPushCursor).where(XapiPushCursor.lrs_url == url)).first()
    if cursor is None:
        cursor = XapiPushCursor(lrs_url=url, last_entry_id=0, statements_sent=0, last_erasure_id=0, updated_at=utcnow())
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
    report: Callable[[str], None] = lambda line: None,
) -> PushResult:
    """Send every statement not yet sent to this store, `batch_size` at a time, oldest entry first,
    after the voiding statements for people erased since the last run.

    After each accepted batch the cursor moves past its entries and is committed at once, so a failure
    later loses nothing; a failed batch raises PushFailed with the cursor where it was. A batch the
    store answers 409 is sent again one statement at a time: a statement the store already holds (the
    same apart from what a store may add) counts as sent; one it holds with other content is reported
    and skipped, so one conflict never holds up everything after it.

    Entries younger than `settle` wait for the next run: ids are handed out before commit, so an entry
    with a lower id may still be committing, and moving the cursor past it would skip it for good.
    """
    client = LrsClient(lrs_url, username, password, timeout)
    base = record_identity_base()
    cursor = _cursor_for(client.url)
    result = PushResult(last_entry_id=cursor.last_entry_id)
    cutoff = utcnow() - settle
    _send_erasures(client, cursor, base, cutoff, batch_size, result, report)
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
        earlier = _earlier_for(entries, base)
        # Their statements have been voided in this store: nothing more about them goes.
        voided_people = set(
            db.session.scalars(
                select(XapiErasure.user_id).where(
                    XapiErasure.id <= cursor.last_erasure_id,
                    XapiErasure.user_id.in_({entry.user_id for entry in entries}),
                )
            )
        )
        batch: list[dict[str, Any]] = []
        last_id = cursor.last_entry_id
        for entry in entries:
            statements = [] if entry.user_id in voided_people else statements_for_entry(entry, earlier)
            if batch and len(batch) + len(statements) > batch_size:
                _send_batch(client, batch, result, report)
                _advance(cursor, last_id, len(batch), result)
                batch = []
            batch.extend(statements)
            last_id = entry.id
        _send_batch(client, batch, result, report)
        _advance(cursor, last_id, len(batch), result)
        result.entries += len(entries)


def _send_erasures(client: LrsClient, cursor: XapiPushCursor, base: str, cutoff, batch_size: int, result, report):
    """Void what this store was sent about each person erased since the last run (erasures younger
    than the settle time wait, for the same reason entries do)."""
    fresh = db.session.scalar(
        select(func.min(XapiErasure.id)).where(XapiErasure.id > cursor.last_erasure_id, XapiErasure.erased_at > cutoff)
    )
    query = select(XapiErasure).where(XapiErasure.id > cursor.last_erasure_id)
    if fresh is not None:
        query = query.where(XapiErasure.id < fresh)
    for erasure in list(db.session.scalars(query.order_by(XapiErasure.id))):
        voids = erasure_voiding_statements(erasure, up_to_entry_id=cursor.last_entry_id, base=base)
        for start in range(0, len(voids), batch_size):
            _send_batch(client, voids[start : start + batch_size], result, report)
        result.voided_for_erasure += len(voids)
        cursor.last_erasure_id = erasure.id
        cursor.statements_sent += len(voids)
        cursor.updated_at = utcnow()
        db.session.commit()


def _send_batch(client: LrsClient, batch: list[dict[str, Any]], result: PushResult, report) -> None:
    if not batch:
        return
    try:
        client.post(batch)  # raises PushFailed; the cursor has not moved
    except StoreConflict:
        # Stores refuse a whole batch for one id they hold: find out which, one statement at a time.
        for statement in batch:
            _send_one(client, statement, result, report)
    result.batches += 1
    result.statements += len(batch)
    report(f"Sent {len(batch)} statements.")


def _send_one(client: LrsClient, statement: dict[str, Any], result: PushResult, report) -> None:
    try:
        client.post([statement])
        return
    except StoreConflict as conflict:
        held = client.held(statement["id"])
        if held is not None and same_statement(statement, held):
            result.already_held += 1
            return
        result.conflicts.append(statement["id"])
        message = f"Skipped statement {statement['id']}: the store holds that id with other content ({conflict})."
        current_app.logger.warning("xAPI push: %s", message)
        report(message)


def _advance(cursor: XapiPushCursor, last_id: int, sent: int, result: PushResult) -> None:
    cursor.last_entry_id = last_id
    cursor.statements_sent += sent
    cursor.updated_at = utcnow()
    result.last_entry_id = last_id
    # Committed batch by batch (this runs from the command line, not a request): what the store has
    # accepted stays recorded as sent even if a later batch fails.
    db.session.commit()
