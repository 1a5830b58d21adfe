"""Verifying the whole ledger quickly: plain rows, several processes, and only what is new each night.

Each person's chain is independent, so the work splits by person: process i of n takes the people
whose id is i modulo n and streams their entries as plain rows (SQLAlchemy Core, no ORM objects),
recomputing each hash with the app's own `canonical_bytes`.

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

import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, func, select, tuple_
from sqlalchemy.pool import NullPool

from app.models import LedgerEntry, LedgerVerifiedChain
from app.models.base import utcnow
from app.records.ledger import HASHED_FIELDS, BrokenLink, canonical_bytes

ENTRY = LedgerEntry.__table__
VERIFIED = LedgerVerifiedChain.__table__
COLUMNS = [ENTRY.c.id, ENTRY.c.entry_hash, *(ENTRY.c[name] for name in HASHED_FIELDS)]

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
    processes: int
    index: int
    full: bool
    # The latest signed checkpoint's place for each chain in this process's share.
    checkpointed: dict[int, Place]
    batch_size: int


def _engine(url: str) -> Engine:
    # A fresh engine in each process: connections never cross a fork.
    return create_engine(url, poolclass=NullPool)


def _rows(connection, job: _Job) -> Iterator:
    query = select(*COLUMNS).order_by(ENTRY.c.user_id, ENTRY.c.sequence)
    if job.processes > 1:
        query = query.where(ENTRY.c.user_id % job.processes == job.index)
    if not job.full:
        # Start each chain at its last verified entry (itself included, to prove it is unchanged).
        query = query.outerjoin(VERIFIED, VERIFIED.c.user_id == ENTRY.c.user_id).where(
            (VERIFIED.c.sequence.is_(None)) | (ENTRY.c.sequence >= VERIFIED.c.sequence)
        )
    result = connection.execution_options(stream_results=True, yield_per=job.batch_size).execute(query)
    yield from result


def _verified_places(connection, job: _Job) -> dict[int, Place]:
    query = select(VERIFIED.c.user_id, VERIFIED.c.sequence, VERIFIED.c.entry_hash)
    if job.processes > 1:
        query = query.where(VERIFIED.c.user_id % job.processes == job.index)
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
        fields = row._mapping
        if self.previous is None and self.start is not None:
            # The first row is the entry verified last time: it must still be there, unchanged.
            if row.sequence != self.start[0] or row.entry_hash != self.start[1]:
                self._break(row, "an entry verified before was removed or replaced: history was rewritten")
                return
        else:
            expected_sequence = self.previous[0] + 1 if self.previous else 1
            if row.sequence != expected_sequence:
                self._break(row, f"expected entry number {expected_sequence}: an entry is missing before it")
                return
            expected_previous = self.previous[1] if self.previous else None
            if row.previous_hash != expected_previous:
                self._break(
                    row, "its link to the entry before does not match: an entry before it was removed or replaced"
                )
                return
        if hashlib.sha256(canonical_bytes(fields)).hexdigest() != row.entry_hash:
            self._break(row, "its contents do not match its hash: it was changed after it was recorded")
            return
        if self.checkpointed is not None and row.sequence == self.checkpointed[0]:
            self.checkpoint_seen = True
            if row.entry_hash != self.checkpointed[1]:
                self._break(
                    row,
                    "it does not match the signed checkpoint: the chain was rewritten and its hashes recomputed",
                )
                return
        self.previous = (row.sequence, row.entry_hash)

    def _break(self, row, reason: str) -> None:
        self.broken = BrokenLink(self.user_id, row.id, row.sequence, reason)

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


def _verify_share(job: _Job) -> VerifyResult:
    """Verify the chains of the people in one share (run in a worker process, or inline)."""
    result = VerifyResult()
    engine = _engine(job.url)
    try:
        with engine.connect() as connection:
            starts = {} if job.full else _verified_places(connection, job)
            chains: list[_Chain] = []
            current: _Chain | None = None
            for row in _rows(connection, job):
                result.entries += 1
                if current is None or row.user_id != current.user_id:
                    current = _Chain(row.user_id, starts.get(row.user_id), job.checkpointed.get(row.user_id))
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
    jobs = [
        _Job(
            url=url,
            processes=processes,
            index=index,
            full=full,
            checkpointed={user: place for user, place in checkpointed.items() if user % processes == index},
            batch_size=batch_size,
        )
        for index in range(processes)
    ]
    total = VerifyResult()
    if processes == 1:
        total.merge(_verify_share(jobs[0]))
    else:
        # fork: the workers start at once with the app's modules already imported; each opens its own
        # connection (see _engine), so nothing from the parent's pool is shared.
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for share in pool.imap_unordered(_verify_share, jobs):
                total.merge(share)
    total.broken.sort(key=lambda link: (link.user_id, link.sequence))
    return total


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
