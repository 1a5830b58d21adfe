"""Property: whatever people do, in whatever order, every chain verifies and every total adds up.

Hypothesis draws sequences of what the app does to a CPD record (external CPD recorded, corrected,
verified or rejected; modules completed and their certificates voided; a person erased; forms sent
twice; several appends for one person at once) and runs them through the app's own functions. After
each sequence, every chain must verify (one process and several, full and incremental) and each
person's total must equal a plain recomputation from a model kept by the test.

Bounded so it runs in CI in seconds: LEDGER_PROPERTY_EXAMPLES (default 20) examples of up to 14 steps.
Concurrent appends run on threads on PostgreSQL; SQLite has one writer, so there they run one after
another.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Membership, Role, School, SchoolPhase, User
from app.people.erasure import erase_person
from app.people.passwords import hash_password
from app.records import ledger, ledger_verify
from app.records.certificates import void_certificate
from app.records.external_cpd import ExternalCpdDetails
from app.records.ledger import EntryKind
from app.records.reading import build_record
from app.records.terms import Category, ReviewDecision
from app.records.writing import correct_external_cpd, record_external_cpd, review_external_cpd
from tests.conftest import _empty_tables

EXAMPLES = int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "20"))
PEOPLE = 3
TODAY = date.today()

person_index = st.integers(0, PEOPLE - 1)
minutes = st.integers(1, 600)
pick = st.integers(0, 10)  # which of a person's entries: taken modulo how many there are

steps = st.one_of(
    st.tuples(st.just("record"), person_index, minutes, st.integers(0, 300)),
    st.tuples(st.just("correct"), person_index, pick, minutes),
    st.tuples(st.just("review"), person_index, pick, st.sampled_from(list(ReviewDecision))),
    st.tuples(st.just("complete"), person_index, st.integers(0, 3), minutes),
    st.tuples(st.just("void"), person_index, pick),
    st.tuples(st.just("erase"), person_index),
    st.tuples(st.just("retry")),
    st.tuples(st.just("concurrent"), person_index, st.integers(2, 4)),
)


@dataclass
class External:
    versions: list[int]  # entry ids: the original, then each correction
    minutes: int
    # The decision on each version reviewed; only the current version's counts.
    decisions: dict[int, ReviewDecision] = field(default_factory=dict)

    @property
    def counted(self) -> int:
        return 0 if self.decisions.get(self.versions[-1]) is ReviewDecision.REJECT else self.minutes


@dataclass
class Model:
    """What each person's record should add up to, kept by hand as the steps run."""

    externals: dict[int, list[External]] = field(default_factory=dict)
    completions: dict[int, dict[int, tuple[int, bool]]] = field(default_factory=dict)  # id: (minutes, voided)
    entries: dict[int, int] = field(default_factory=dict)

    def total(self, user_id: int) -> int:
        external = sum(item.counted for item in self.externals.get(user_id, []))
        modules = sum(m for m, voided in self.completions.get(user_id, {}).values() if not voided)
        return external + modules


def details(title: str, mins: int, days_ago: int) -> ExternalCpdDetails:
    return ExternalCpdDetails(
        title=title,
        provider="Local authority",
        activity_date=TODAY - timedelta(days=days_ago),
        minutes=mins,
        category=Category.COURSE,
    )


class Run:
    def __init__(self, app, on_postgresql: bool):
        self.app = app
        self.on_postgresql = on_postgresql
        self.model = Model()
        self.counter = 0
        self.last = None
        self.school = School(name="Property Primary", urn="900001", phase=SchoolPhase.PRIMARY)
        db.session.add(self.school)
        db.session.flush()
        self.head = self._person(Role.HEADTEACHER)
        self.people = [self._person(Role.TEACHER) for _ in range(PEOPLE)]
        db.session.commit()

    def _person(self, role: Role) -> User:
        self.counter += 1
        user = User(email=f"p{self.counter}@example.org", name=f"P {self.counter}", password_hash=hash_password("x"))
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, school_id=self.school.id, role=role, started_on=date(2024, 9, 1)))
        return user

    def key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    def record_of(self, user: User):
        return build_record(user, today=TODAY)

    def counted_entry(self, user_id: int, entry_id: int) -> None:
        self.model.entries[user_id] = self.model.entries.get(user_id, 0) + 1

    def do(self, step) -> None:
        name, *args = step
        if name == "retry":
            if self.last is not None:
                # The same form sent again with the same key: it must record nothing new.
                self.last(retry=True)
            return
        getattr(self, f"do_{name}")(*args)

    def _remember(self, action):
        self.last = action
        action(retry=False)

    def do_record(self, index, mins, days_ago):
        user, once = self.people[index], self.key()

        def action(retry):
            entry = record_external_cpd(
                user_id=user.id, school_id=self.school.id, details=details("Course", mins, days_ago),
                evidence=None, once_key=once, today=TODAY,
            )  # fmt: skip
            db.session.commit()
            if not retry:
                self.model.externals.setdefault(user.id, []).append(External([entry.id], mins))
                self.counted_entry(user.id, entry.id)

        self._remember(action)

    def do_correct(self, index, which, mins):
        user, items = self.people[index], self.model.externals.get(self.people[index].id, [])
        if not items:
            return
        item, once = items[which % len(items)], self.key()

        def action(retry):
            entry = correct_external_cpd(
                record=self.record_of(user), entry_id=item.versions[-1], details=details("Course, corrected", mins, 1),
                evidence=None, keep_evidence=True, once_key=once, today=TODAY,
            )  # fmt: skip
            db.session.commit()
            if not retry:
                item.versions.append(entry.id)
                item.minutes = mins
                self.counted_entry(user.id, entry.id)

        self._remember(action)

    def do_review(self, index, which, decision):
        user, items = self.people[index], self.model.externals.get(self.people[index].id, [])
        if not items:
            return
        item, once = items[which % len(items)], self.key()
        seen = item.versions[-1]

        def action(retry):
            review_external_cpd(
                reviewer_id=self.head.id, school=self.school, record=self.record_of(user), entry_id=seen,
                seen_version_id=seen, decision=decision, comment="Checked" if decision is ReviewDecision.REJECT else "",
                once_key=once,
            )  # fmt: skip
            db.session.commit()
            if not retry:
                item.decisions[seen] = decision
                self.counted_entry(user.id, 0)

        self._remember(action)

    def do_complete(self, index, module_number, mins):
        user = self.people[index]
        self.counter += 1
        version = f"v{self.counter}"

        def action(retry):
            entry = ledger.append_entry(
                user_id=user.id, school_id=self.school.id, kind=EntryKind.MODULE_COMPLETED,
                subject_id=f"module-{module_number}", subject_version=version,
                payload={"minutes": mins, "title": f"Module {module_number}"}, recorded_by_id=user.id,
                dedupe_key=f"module_completed:module-{module_number}:{version}",
            )  # fmt: skip
            db.session.commit()
            if not retry:
                self.model.completions.setdefault(user.id, {})[entry.id] = (mins, False)
                self.counted_entry(user.id, entry.id)

        self._remember(action)

    def do_void(self, index, which):
        user = self.people[index]
        completions = self.model.completions.get(user.id, {})
        if not completions:
            return
        completion_id = sorted(completions)[which % len(completions)]
        already = completions[completion_id][1]

        def action(retry):
            void_certificate(
                leader_id=self.head.id, school=self.school, record=self.record_of(user),
                completion_id=completion_id, reason="Issued in error",
            )  # fmt: skip
            db.session.commit()
            if not retry and not already:
                completions[completion_id] = (completions[completion_id][0], True)
                self.counted_entry(user.id, 0)

        self._remember(action)

    def do_erase(self, index):
        user = self.people[index]
        if user.erased_at is not None:
            return
        for membership in db.session.query(Membership).filter_by(user_id=user.id):
            membership.ended_on = TODAY - timedelta(days=1)
        erase_person(user, actor=self.head, school=self.school, today=TODAY)
        db.session.commit()
        self.last = None

    def do_concurrent(self, index, count):
        user_id, school_id = self.people[index].id, self.school.id
        app = self.app
        ids: list[int] = []
        errors: list[BaseException] = []

        def append_one(number: int):
            try:
                with app.app_context():
                    entry = ledger.append_entry(
                        user_id=user_id, school_id=school_id, kind=EntryKind.QUIZ_ATTEMPTED,
                        subject_id=f"quiz-{number}", payload={"score": number, "total": 10},
                    )  # fmt: skip
                    ids.append(entry.id)
                    db.session.commit()
                    db.session.remove()
            except BaseException as error:
                errors.append(error)

        if self.on_postgresql:
            threads = [threading.Thread(target=append_one, args=(n,)) for n in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        else:
            for n in range(count):
                append_one(n)
        assert not errors, errors
        self.model.entries[user_id] = self.model.entries.get(user_id, 0) + count
        self.last = None


def check_everything(run: Run) -> None:
    db.session.expire_all()
    url = db.engine.url.render_as_string(hide_password=False)
    full = ledger_verify.verify_ledger(url, processes=1, full=True)
    assert full.broken == []
    assert full.entries == sum(run.model.entries.values())
    in_parallel = ledger_verify.verify_ledger(url, processes=2, full=True)
    assert (in_parallel.entries, in_parallel.broken) == (full.entries, [])
    with db.engine.begin() as connection:
        ledger_verify.record_progress(connection, full.advanced)
    again = ledger_verify.verify_ledger(url, processes=1)
    # An incremental run straight after reads one entry per chain: the last one verified.
    assert (again.entries, again.broken) == (full.chains, [])
    for user in run.people:
        assert ledger.verify_person(user.id) is None
        record = run.record_of(user)
        assert record.verified
        assert record.total_minutes == run.model.total(user.id), user.id
        assert len(ledger.entries_for(user.id)) == run.model.entries.get(user.id, 0)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=14))
def test_any_sequence_of_changes_leaves_every_chain_verifiable_and_totals_right(app, on_postgresql, sequence):
    _empty_tables(on_postgresql)
    db.session.remove()
    run = Run(app, on_postgresql)
    for step in sequence:
        run.do(step)
    check_everything(run)


def test_the_property_check_catches_a_wrong_total(app, on_postgresql):
    """The oracle is not vacuous: a model that disagrees with the record fails the check."""
    run = Run(app, on_postgresql)
    run.do(("record", 0, 90, 3))
    run.model.externals[run.people[0].id][0].minutes = 91
    with pytest.raises(AssertionError):
        check_everything(run)


def test_the_property_check_catches_a_broken_chain(app, on_postgresql):
    from tests.support.ledger_tampering import tamper

    run = Run(app, on_postgresql)
    run.do(("complete", 1, 0, 30))
    entry = ledger.entries_for(run.people[1].id)[0]
    occurred = datetime(2020, 1, 1, tzinfo=UTC)
    tamper([("UPDATE ledger_entry SET occurred_at = :when WHERE id = :id", {"when": occurred, "id": entry.id})])
    with pytest.raises(AssertionError):
        check_everything(run)
