"""The CPD ledger: append-only, hash-chained per person, verifiable, and safe under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.extensions import db
from app.models import LedgerEntry, LedgerIsAppendOnly, Role
from app.records import ledger
from app.records.ledger import EntryKind
from tests.support.ledger_tampering import tamper


@pytest.fixture
def person(make_school, make_person):
    school = make_school()
    return make_person(school, Role.TEACHING_ASSISTANT), school


def append_some(user_id, school_id, count=3):
    entries = []
    for number in range(count):
        entries.append(
            ledger.append_entry(
                user_id=user_id,
                school_id=school_id,
                kind=EntryKind.MODULE_COMPLETED,
                subject_id=f"module-{number}",
                subject_version="v1",
                payload={"minutes": 30, "title": "Module with £ and “quotes”"},
                occurred_at=datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
            )
        )
    db.session.commit()
    return entries


def verify_command(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def test_entries_chain_each_to_the_one_before(person):
    user, school = person
    first, second, third = append_some(user.id, school.id)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.previous_hash is None
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert len({first.entry_hash, second.entry_hash, third.entry_hash}) == 3
    assert ledger.verify_person(user.id) is None


def test_each_person_has_their_own_chain(person, make_person):
    user, school = person
    other = make_person(school, Role.TEACHER)
    append_some(user.id, school.id, 2)
    [entry] = append_some(other.id, school.id, 1)
    assert entry.sequence == 1 and entry.previous_hash is None


def test_names_and_emails_are_not_hashed(person):
    user, school = person
    [entry] = append_some(user.id, school.id, 1)
    hashed = ledger.canonical_bytes({name: getattr(entry, name) for name in ledger.HASHED_FIELDS}).decode()
    assert user.name not in hashed and user.email not in hashed
    # Erasing a person's details leaves the chain valid.
    user.name = "Erased person"
    user.email = "erased-1@invalid"
    db.session.commit()
    assert ledger.verify_person(user.id) is None


def test_the_hash_reads_back_the_same_from_the_database(person):
    user, school = person
    append_some(user.id, school.id, 2)
    db.session.expire_all()
    assert ledger.verify_person(user.id) is None


def test_verify_command_reports_a_clean_ledger(app, person):
    user, school = person
    append_some(user.id, school.id)
    result = verify_command(app)
    assert result.exit_code == 0, result.output
    assert "Ledger verified: 3 entries in 1 chains" in result.output


def _tamper(sql: str, params: dict, on_postgresql: bool) -> None:
    """Change the table behind the app's back, as someone with database access could."""
    tamper([(sql, params)])


def test_a_hand_edited_entry_is_named(app, person, on_postgresql):
    user, school = person
    _, second, _ = append_some(user.id, school.id)
    _tamper(
        "UPDATE ledger_entry SET payload = :payload WHERE id = :id",
        {"payload": '{"minutes": 600, "title": "Module"}', "id": second.id},
        on_postgresql,
    )
    db.session.expire_all()
    broken = ledger.verify_person(user.id)
    assert broken is not None and broken.entry_id == second.id
    assert "changed after it was recorded" in broken.reason
    result = verify_command(app)
    assert result.exit_code != 0
    assert f"entry {second.id} (number 2 in the chain)" in result.output


def test_a_deleted_entry_is_detected(app, person, on_postgresql):
    user, school = person
    _, second, third = append_some(user.id, school.id)
    _tamper("DELETE FROM ledger_entry WHERE id = :id", {"id": second.id}, on_postgresql)
    db.session.expire_all()
    broken = ledger.verify_person(user.id)
    assert broken is not None and broken.entry_id == third.id
    assert "missing" in broken.reason


def test_a_replaced_chain_tail_is_detected(person, on_postgresql):
    """Rewriting an entry and recomputing its own hash still breaks the next entry's link."""
    user, school = person
    _, second, third = append_some(user.id, school.id)
    fields = {name: getattr(second, name) for name in ledger.HASHED_FIELDS}
    fields["payload"] = {"minutes": 999}
    forged_hash = ledger.compute_hash(fields)
    _tamper(
        "UPDATE ledger_entry SET payload = :payload, entry_hash = :hash WHERE id = :id",
        {"payload": '{"minutes": 999}', "hash": forged_hash, "id": second.id},
        on_postgresql,
    )
    db.session.expire_all()
    broken = ledger.verify_person(user.id)
    assert broken is not None and broken.entry_id == third.id


def test_the_orm_refuses_to_change_or_delete_entries(person):
    user, school = person
    [entry] = append_some(user.id, school.id, 1)
    entry.payload = {"minutes": 1}
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(LedgerEntry, entry.id))
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(LedgerEntry.__table__.update().values(kind="x"))
    db.session.rollback()
    from sqlalchemy import delete, update

    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(update(LedgerEntry).values(kind="x"))
    db.session.rollback()
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(delete(LedgerEntry))
    db.session.rollback()


def test_the_database_refuses_updates_and_deletes(person):
    """PostgreSQL's trigger (0001) and SQLite's (0020) refuse any change to a recorded entry."""
    user, school = person
    [entry] = append_some(user.id, school.id, 1)
    for sql in (
        "UPDATE ledger_entry SET kind = 'x' WHERE id = :id",
        "DELETE FROM ledger_entry WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(sql), {"id": entry.id})


def test_a_dedupe_key_records_a_retried_action_once(person):
    user, school = person
    first = ledger.append_entry(
        user_id=user.id, school_id=school.id, kind=EntryKind.MODULE_COMPLETED, dedupe_key="module:a:v1"
    )
    db.session.commit()
    again = ledger.append_entry(
        user_id=user.id, school_id=school.id, kind=EntryKind.MODULE_COMPLETED, dedupe_key="module:a:v1"
    )
    db.session.commit()
    assert again.id == first.id
    assert len(ledger.entries_for(user.id)) == 1


def test_the_database_refuses_two_entries_in_one_place(person):
    user, school = person
    [entry] = append_some(user.id, school.id, 1)
    db.session.add(
        LedgerEntry(
            user_id=user.id,
            sequence=1,
            kind="module_completed",
            payload={},
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            entry_hash="f" * 64,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_payloads_refuse_floats(person):
    user, _ = person
    with pytest.raises(ValueError, match="whole numbers"):
        ledger.append_entry(user_id=user.id, kind=EntryKind.EXTERNAL_CPD_RECORDED, payload={"hours": 1.5})
    db.session.rollback()


def test_unknown_kinds_are_refused(person):
    user, _ = person
    with pytest.raises(ValueError):
        ledger.append_entry(user_id=user.id, kind="made_up_kind")
    db.session.rollback()


@pytest.mark.postgres
def test_concurrent_appends_for_one_person_never_fork_the_chain(app, person, on_postgresql):
    if not on_postgresql:
        pytest.skip("concurrent writers need PostgreSQL; run with --database=postgresql")
    user, school = person
    user_id, school_id = user.id, school.id
    threads_count, per_thread = 8, 5
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for item in range(per_thread):
                    ledger.append_entry(
                        user_id=user_id,
                        school_id=school_id,
                        kind=EntryKind.QUIZ_ATTEMPTED,
                        subject_id=f"quiz-{number}-{item}",
                        payload={"score": item},
                    )
                    db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    entries = ledger.entries_for(user_id)
    assert [entry.sequence for entry in entries] == list(range(1, threads_count * per_thread + 1))
    assert ledger.verify_person(user_id) is None
    previous = db.session.scalars(select(LedgerEntry.previous_hash).where(LedgerEntry.user_id == user_id)).all()
    assert len(previous) == len(set(previous)), "two entries point at the same predecessor: a fork"
