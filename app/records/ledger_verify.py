"""Verifying the whole ledger quickly: plain rows, several processes, and only what is new each night.

Each person's chain is independent, so the work splits by person: the people's ids are cut into
ranges, a few for each process, and each range's entries are streamed in (person, sequence) order as
plain rows (SQLAlchemy Core, no ORM objects), each hash recomputed with the ledger's own canonical
form (`canonical_bytes_of_values`, the same bytes as `canonical_bytes`).

How far each chain was verified is kept in `ledger_verified_chain`. An incremental run (the nightly
default) starts each chain at its last verified entry: that entry must still be there with the same
hash, and everything after it is checked link by link. A rewrite of older history that recomputes the
hashes changes that entry's hash and is found; an older row edited without recomputing its hash is
found only by a full run (`--full`), which checks every entry from the first. The table saves work and
is no anchor: whoever can rewrite the ledger can rewrite it too. The anchor is the signed checkpoint
(app/records/checkpoints.py): every run also checks that each checkpointed chain still leads to the
hash the checkpoint holds for it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256

from sqlalchemy import Engine, create_engine, func, select, tuple_
from sqlalchemy.pool import NullPool

from app.models import LedgerEntry, LedgerVerifiedChain
from app.models.base import utcnow
from app.records.ledger import (
    HASHED_FIELDS,
    BrokenLink,
    canonical_bytes_of_values,
    canonical_timestamp,
    load_json,
)

ENTRY = LedgerEntry.__table__
VERIFIED = LedgerVerifiedChain.__table__
TIMESTAMPS = ("occurred_at", "recorded_at")
# Where each value is in a row: the entry's id and hash, then the hashed fields in HASHED_FIELDS order.
ID, HASH, FIELDS = 0, 1, 2
USER_ID = FIELDS + HASHED_FIELDS.index("user_id")
SEQUENCE = FIELDS + HASHED_FIELDS.index("sequence")
PREVIOUS_HASH = FIELDS + HASHED_FIELDS.index("previous_hash")
TIMESTAMP_PLACES = [HASHED_FIELDS.index(name) for name in TIMESTAMPS]
# PostgreSQL writes a timestamp exactly as the ledger's canonical form has it (ledger._timestamp):
# far quicker than making a datetime of each and formatting it in Python.
CANONICAL_TIMESTAMP = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def _columns(dialect: str) -> list:
    def column(name: str):
        if name in TIMESTAMPS and dialect == "postgresql":
            return func.to_char(func.timezone("UTC", ENTRY.c[name]), CANONICAL_TIMESTAMP).label(name)
        return ENTRY.c[name]

    return [ENTRY.c.id, ENTRY.c.entry_hash, *(column(name) for name in HASHED_FIELDS)]


# A chain's place as (sequence, entry hash): where it was verified to, or where a checkpoint saw it.
Place = tuple[int, str]


@dataclass
class VerifyResult:
    chains: int = 0
    entries: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    # Chains verified clean up to a new place this run: recorded so the next run starts there.
    advanced: dict[int, Place] = field(default_factory=dict)

    def merge(self, other: VerifyResult) -> None:
        self.chains += other.chains
        self.entries += other.entries
        self.broken.extend(other.broken)
        self.advanced.update(other.advanced)


@dataclass(frozen=True)
class _Job:
    url: str
    # The people whose chains this job verifies: ids from `first` up to and including `last`.
    first: int
    last: int
    full: bool
    # The latest signed checkpoint's place for each chain in this job's range of people.
    checkpointed: dict[int, Place]
    batch_size: int


def _engine(url: str) -> Engine:
    # A fresh engine in each process: connections never cross a fork.
    return create_engine(url, poolclass=NullPool)


def _rows(connection, job: _Job) -> Iterator:
    query = select(*_columns(connection.dialect.name)).order_by(ENTRY.c.user_id, ENTRY.c.sequence)
    # A range of people reads along the (person, sequence) index in order: no sort, nothing read twice.
    query = query.where(ENTRY.c.user_id.between(job.first, job.last))
    if not job.full:
        # Start each chain at its last verified entry (itself included, to prove it is unchanged).
        query = query.outerjoin(VERIFIED, VERIFIED.c.user_id == ENTRY.c.user_id).where(
            (VERIFIED.c.sequence.is_(None)) | (ENTRY.c.sequence >= VERIFIED.c.sequence)
        )
    result = connection.execution_options(stream_results=True, yield_per=job.batch_size).execute(query)
    yield from result


def _verified_places(connection, job: _Job) -> dict[int, Place]:
    query = select(VERIFIED.c.user_id, VERIFIED.c.sequence, VERIFIED.c.entry_hash)
    query = query.where(VERIFIED.c.user_id.between(job.first, job.last))
    return {row.user_id: (row.sequence, row.entry_hash) for row in connection.execute(query)}


def _hashes_at(connection, places: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The stored hash at each (person, sequence), for checkpointed places older than a run's start."""
    found: dict[tuple[int, int], str] = {}
    places = list(places)
    for start in range(0, len(places), 500):
        chunk = places[start : start + 500]
        query = select(ENTRY.c.user_id, ENTRY.c.sequence, ENTRY.c.entry_hash).where(
            tuple_(ENTRY.c.user_id, ENTRY.c.sequence).in_(chunk)
        )
        for row in connection.execute(query):
            found[(row.user_id, row.sequence)] = row.entry_hash
    return found


class _Chain:
    """One person's chain as its rows stream past."""

    def __init__(self, user_id: int, start: Place | None, checkpointed: Place | None):
        self.user_id = user_id
        self.start = start
        self.checkpointed = checkpointed
        self.previous: Place | None = None  # (sequence, hash) of the last entry checked
        self.broken: BrokenLink | None = None
        self.checkpoint_seen = False

    def take(self, row) -> None:
        if self.broken is not None:
            return
        sequence, entry_hash = row[SEQUENCE], row[HASH]
        if self.previous is None and self.start is not None:
            # The first row is the entry verified last time: it must still be there, unchanged.
            if sequence != self.start[0] or entry_hash != self.start[1]:
                self._break(row, "an entry verified before was removed or replaced: history was rewritten")
                return
        else:
            expected_sequence = self.previous[0] + 1 if self.previous else 1
            if sequence != expected_sequence:
                self._break(row, f"expected entry number {expected_sequence}: an entry is missing before it")
                return
            expected_previous = self.previous[1] if self.previous else None
            if row[PREVIOUS_HASH] != expected_previous:
                reason = "its link to the entry before does not match: an entry before it was removed or replaced"
                self._break(row, reason)
                return
        if sha256(canonical_bytes_of_values(row[FIELDS:])).hexdigest() != entry_hash:
            self._break(row, "its contents do not match its hash: it was changed after it was recorded")
            return
        if self.checkpointed is not None and sequence == self.checkpointed[0]:
            self.checkpoint_seen = True
            if entry_hash != self.checkpointed[1]:
                self._break(
                    row,
                    "it does not match the signed checkpoint: the chain was rewritten and its hashes recomputed",
                )
                return
        self.previous = (sequence, entry_hash)

    def _break(self, row, reason: str) -> None:
        self.broken = BrokenLink(self.user_id, row[ID], row[SEQUENCE], reason)

    def finish(self, stored_hashes: dict[tuple[int, int], str]) -> BrokenLink | None:
        if self.broken is not None or self.checkpointed is None or self.checkpoint_seen:
            return self.broken
        sequence, expected = self.checkpointed
        if self.previous is not None and sequence > self.previous[0]:
            reason = f"the signed checkpoint holds {sequence} entries and the chain now ends at {self.previous[0]}"
            return BrokenLink(self.user_id, 0, sequence, f"entries were removed: {reason}")
        # The checkpointed entry is older than where this run started: compare its stored hash.
        stored = stored_hashes.get((self.user_id, sequence))
        if stored != expected:
            return BrokenLink(
                self.user_id,
                0,
                sequence,
                "it does not match the signed checkpoint: the chain was rewritten and its hashes recomputed",
            )
        return None


def _with_timestamps_as_text(row) -> list:
    values = list(row)
    for place in TIMESTAMP_PLACES:
        values[FIELDS + place] = canonical_timestamp(values[FIELDS + place])
    return values


def _verify_share(job: _Job) -> VerifyResult:
    """Verify the chains of the people in one share (run in a worker process, or inline)."""
    result = VerifyResult()
    engine = _engine(job.url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Payloads parsed by orjson rather than the standard library: a third of the time saved.
                from psycopg.types.json import set_json_loads

                set_json_loads(load_json, connection.connection.driver_connection)
            starts = {} if job.full else _verified_places(connection, job)
            chains: list[_Chain] = []
            current: _Chain | None = None
            # SQLite hands back datetimes: format them as the canonical text PostgreSQL already gives.
            as_text = connection.dialect.name != "postgresql"
            for row in _rows(connection, job):
                result.entries += 1
                if as_text:
                    row = _with_timestamps_as_text(row)
                user_id = row[USER_ID]
                if current is None or user_id != current.user_id:
                    current = _Chain(user_id, starts.get(user_id), job.checkpointed.get(user_id))
                    chains.append(current)
                current.take(row)
            seen = {chain.user_id for chain in chains}
            older = [
                (chain.user_id, chain.checkpointed[0])
                for chain in chains
                if chain.broken is None and chain.checkpointed is not None and not chain.checkpoint_seen
            ]
            stored_hashes = _hashes_at(connection, older)
        for chain in chains:
            link = chain.finish(stored_hashes)
            if link is not None:
                result.broken.append(link)
            elif chain.previous is not None and chain.previous != chain.start:
                result.advanced[chain.user_id] = chain.previous
        # A chain the checkpoint (or an earlier run) saw, that the database no longer has at all.
        for user_id, (sequence, _) in {**starts, **job.checkpointed}.items():
            if user_id not in seen:
                reason = "the whole chain is missing: it was there when verified or checkpointed before"
                result.broken.append(BrokenLink(user_id, 0, sequence, reason))
        result.chains = len(chains)
        return result
    finally:
        engine.dispose()


def verify_ledger(
    url: str,
    *,
    checkpointed: dict[int, Place] | None = None,
    full: bool = False,
    processes: int | None = None,
    batch_size: int = 10_000,
) -> VerifyResult:
    """Verify every chain in the database at `url`; check each checkpointed chain still leads to its hash.

    `processes` defaults to the machine's cores; 1 runs in this process.
    """
    processes = max(1, processes or os.cpu_count() or 1)
    checkpointed = checkpointed or {}
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            lowest, highest = connection.execute(select(func.min(ENTRY.c.user_id), func.max(ENTRY.c.user_id))).one()
    finally:
        engine.dispose()
    lowest = min([lowest, *checkpointed] if lowest is not None else [*checkpointed] or [0])
    highest = max([highest, *checkpointed] if highest is not None else [*checkpointed] or [0])
    # Several ranges for each process, handed out as processes finish: one slow range (a few people
    # with long chains) does not leave the other processes idle at the end.
    ranges = _ranges(lowest, highest, 1 if processes == 1 else processes * 4)
    jobs = [
        _Job(
            url=url,
            first=first,
            last=last,
            full=full,
            checkpointed={user: place for user, place in checkpointed.items() if first <= user <= last},
            batch_size=batch_size,
        )
        for first, last in ranges
    ]
    total = VerifyResult()
    if processes == 1:
        for job in jobs:
            total.merge(_verify_share(job))
    else:
        # fork: the workers start at once with the app's modules already imported; each opens its own
        # connection (see _engine), so nothing from the parent's pool is shared.
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for share in pool.imap_unordered(_verify_share, jobs):
                total.merge(share)
    total.broken.sort(key=lambda link: (link.user_id, link.sequence))
    return total


def _ranges(lowest: int, highest: int, count: int) -> list[tuple[int, int]]:
    """Split the ids lowest..highest into `count` ranges of (nearly) equal width, in order."""
    width = max(1, -(-(highest - lowest + 1) // count))
    return [(first, min(first + width - 1, highest)) for first in range(lowest, highest + 1, width)]


def record_progress(connection, advanced: dict[int, Place], chunk: int = 5_000) -> None:
    """Remember where each chain was verified to, so the next incremental run starts there."""
    if not advanced:
        return
    now = utcnow()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    items = sorted(advanced.items())
    for start in range(0, len(items), chunk):
        rows = [
            {"user_id": user_id, "sequence": sequence, "entry_hash": entry_hash, "verified_at": now}
            for user_id, (sequence, entry_hash) in items[start : start + chunk]
        ]
        statement = insert(VERIFIED).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[VERIFIED.c.user_id],
            set_={
                "sequence": statement.excluded.sequence,
                "entry_hash": statement.excluded.entry_hash,
                "verified_at": statement.excluded.verified_at,
            },
        )
        connection.execute(statement)


def forget_progress(connection) -> None:
    """Start every chain from its first entry at the next run (after a restore, say)."""
    connection.execute(VERIFIED.delete())


def chain_tips(connection) -> dict[int, Place]:
    """The last entry of every chain: what a checkpoint signs."""
    highest = select(ENTRY.c.user_id, func.max(ENTRY.c.sequence).label("sequence")).group_by(ENTRY.c.user_id).subquery()
    latest = select(ENTRY.c.user_id, ENTRY.c.sequence, ENTRY.c.entry_hash).join(
        highest, (highest.c.user_id == ENTRY.c.user_id) & (highest.c.sequence == ENTRY.c.sequence)
    )
    return {row.user_id: (row.sequence, row.entry_hash) for row in connection.execute(latest)}
