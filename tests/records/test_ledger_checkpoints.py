"""Signed checkpoints: the ledger anchored outside the database, and the fast, incremental verification.

The insider tests rewrite a chain exactly as someone who holds the database could, with the app's own
published hashing (`ledger.compute_hash`): the chain is then consistent with itself, and only the
signed checkpoint shows it was rewritten.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, LedgerVerifiedChain, OutboxMessage, Role
from app.records import checkpoints, ledger, ledger_verify
from app.records.ledger import EntryKind
from tests.support.ledger_tampering import tamper


@pytest.fixture
def signed(app, tmp_path, monkeypatch):
    """A signing key in a file and a checkpoint folder, both outside the database."""
    key_path, public_path = checkpoints.generate_key_files(tmp_path / "ledger-signing.pem")
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(key_path))
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", None)
    monkeypatch.setitem(app.config, "LEDGER_VERIFY_KEY_FILE", None)
    monkeypatch.setitem(app.config, "LEDGER_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    return tmp_path / "checkpoints", public_path


@pytest.fixture
def people(make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER, email="head@example.org", name="Hana Head")
    staff = [make_person(school, Role.TEACHING_ASSISTANT) for _ in range(3)]
    db.session.commit()
    return school, head, staff


def append(user_id, school_id, count, start=0):
    for number in range(start, start + count):
        ledger.append_entry(
            user_id=user_id,
            school_id=school_id,
            kind=EntryKind.MODULE_COMPLETED,
            subject_id=f"module-{number}",
            subject_version="v1",
            payload={"minutes": 30},
            occurred_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        )
    db.session.commit()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", *args])


def rewrite_as_an_insider(user_id: int, from_sequence: int, payload: dict) -> None:
    """Change one entry's payload and recompute it and every later entry's hashes with the app's method."""
    db.session.expire_all()
    entries = ledger.entries_for(user_id)
    statements = []
    previous_hash = entries[from_sequence - 2].entry_hash if from_sequence > 1 else None
    for entry in entries[from_sequence - 1 :]:
        fields = {name: getattr(entry, name) for name in ledger.HASHED_FIELDS}
        if entry.sequence == from_sequence:
            fields["payload"] = payload
        fields["previous_hash"] = previous_hash
        new_hash = ledger.compute_hash(fields)
        statements.append(
            (
                "UPDATE ledger_entry SET payload = :payload, previous_hash = :previous, entry_hash = :hash "
                "WHERE id = :id",
                {"payload": json.dumps(fields["payload"]), "previous": previous_hash, "hash": new_hash, "id": entry.id},
            )
        )
        previous_hash = new_hash
    tamper(statements)
    db.session.expire_all()


def test_a_checkpoint_is_signed_written_outside_the_database_and_verified(app, signed, people):
    directory, _ = signed
    school, _head, staff = people
    for person in staff:
        append(person.id, school.id, 3)
    result = cli(app, "checkpoint")
    assert result.exit_code == 0, result.output
    [path] = directory.glob("checkpoint-*.json")
    document = json.loads(path.read_text())
    assert sorted(row[0] for row in document["checkpoint"]["chains"]) == sorted(p.id for p in staff)
    assert f"Merkle root: {document['checkpoint']['merkle_root']}" in result.output
    result = cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert "every chain leads to its signed checkpoint" in result.output
    assert cli(app, "verify", "--root", document["checkpoint"]["merkle_root"]).exit_code == 0
    wrong_root = cli(app, "verify", "--root", "0" * 64)
    assert wrong_root.exit_code != 0 and "not " + "0" * 64 in wrong_root.output


@pytest.mark.parametrize("how", ["incremental", "full", "incremental, progress rewritten too"])
def test_a_chain_rewritten_by_an_insider_with_recomputed_hashes_is_named(app, signed, people, how):
    school, _, staff = people
    victim, bystander = staff[0], staff[1]
    append(victim.id, school.id, 4)
    append(bystander.id, school.id, 2)
    assert cli(app, "checkpoint").exit_code == 0
    [second] = [entry for entry in ledger.entries_for(victim.id) if entry.sequence == 2]

    rewrite_as_an_insider(victim.id, 2, {"minutes": 6000})
    # The rewrite is consistent with itself: the hash chain alone cannot see it (this is the gap).
    assert ledger.verify_person(victim.id) is None
    assert db.session.get(LedgerEntry, second.id).payload == {"minutes": 6000}
    if how == "incremental, progress rewritten too":
        tip = ledger.entries_for(victim.id)[-1]
        tamper(
            [
                (
                    "UPDATE ledger_verified_chain SET entry_hash = :hash WHERE user_id = :user",
                    {"hash": tip.entry_hash, "user": victim.id},
                )
            ]
        )

    result = cli(app, "verify", *(["--full"] if how == "full" else []))
    assert result.exit_code != 0
    assert f"person {victim.id}:" in result.output
    assert "signed checkpoint" in result.output or "rewritten" in result.output
    assert f"person {bystander.id}:" not in result.output
    assert "1 of" in result.output
    # Nor will the app seal the rewrite into a new checkpoint.
    refused = cli(app, "checkpoint")
    assert refused.exit_code != 0 and "No checkpoint made" in refused.output


def test_entries_removed_from_the_end_of_a_chain_are_named(app, signed, people):
    school, _, staff = people
    append(staff[0].id, school.id, 3)
    assert cli(app, "checkpoint").exit_code == 0
    last = ledger.entries_for(staff[0].id)[-1]
    tamper([("DELETE FROM ledger_entry WHERE id = :id", {"id": last.id})])
    result = cli(app, "verify", "--full")
    assert result.exit_code != 0
    assert f"person {staff[0].id}:" in result.output and "removed" in result.output


def test_a_whole_chain_removed_is_named(app, signed, people):
    school, _, staff = people
    append(staff[0].id, school.id, 2)
    assert cli(app, "checkpoint").exit_code == 0
    tamper([("DELETE FROM ledger_entry WHERE user_id = :user", {"user": staff[0].id})])
    result = cli(app, "verify", "--full")
    assert result.exit_code != 0
    assert f"person {staff[0].id}:" in result.output and "whole chain is missing" in result.output


def test_a_changed_checkpoint_file_has_a_bad_signature(app, signed, people):
    directory, _ = signed
    school, _, staff = people
    append(staff[0].id, school.id, 2)
    assert cli(app, "checkpoint").exit_code == 0
    [path] = directory.glob("checkpoint-*.json")
    # An insider who rewrote the chain edits the checkpoint to match; they cannot re-sign it.
    rewrite_as_an_insider(staff[0].id, 1, {"minutes": 1})
    document = json.loads(path.read_text())
    new_tip = ledger.entries_for(staff[0].id)[-1]
    document["checkpoint"]["chains"] = [[staff[0].id, new_tip.sequence, new_tip.entry_hash]]
    document["checkpoint"]["merkle_root"] = checkpoints.merkle_root(
        {staff[0].id: (new_tip.sequence, new_tip.entry_hash)}
    )
    path.write_text(json.dumps(document))
    result = cli(app, "verify")
    assert result.exit_code != 0
    assert "BAD SIGNATURE" in result.output and "NOT verified" in result.output


def test_a_checkpoint_signed_with_another_key_is_refused(app, signed, people, tmp_path, monkeypatch):
    school, _, staff = people
    append(staff[0].id, school.id, 2)
    assert cli(app, "checkpoint").exit_code == 0
    other_key, _ = checkpoints.generate_key_files(tmp_path / "other.pem")
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(other_key))
    result = cli(app, "verify")
    assert result.exit_code != 0 and "BAD SIGNATURE" in result.output and "signed with another key" in result.output


def test_a_missing_key_is_said_plainly(app, signed, people, monkeypatch):
    school, _, staff = people
    append(staff[0].id, school.id, 1)
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", None)
    result = cli(app, "checkpoint")
    assert result.exit_code != 0 and "no ledger signing key" in result.output
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(signed[0].parent / "ledger-signing.pem"))
    assert cli(app, "checkpoint").exit_code == 0
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", None)
    result = cli(app, "verify")
    assert result.exit_code != 0 and "cannot be checked without its key" in result.output


def test_a_machine_that_only_verifies_needs_only_the_public_key(app, signed, people, monkeypatch):
    _, public_path = signed
    school, _, staff = people
    append(staff[0].id, school.id, 1)
    assert cli(app, "checkpoint").exit_code == 0
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", None)
    monkeypatch.setitem(app.config, "LEDGER_VERIFY_KEY_FILE", str(public_path))
    result = cli(app, "verify")
    assert result.exit_code == 0, result.output


def test_the_key_can_come_from_the_environment(app, signed, people, monkeypatch):
    import base64

    from cryptography.hazmat.primitives import serialization

    key = checkpoints.signing_key(app.config)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", None)
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", base64.b64encode(raw).decode())
    assert checkpoints.key_id(checkpoints.signing_key(app.config).public_key()) == checkpoints.key_id(key.public_key())
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY", "not a key")
    with pytest.raises(checkpoints.CheckpointError, match="not an Ed25519 private key"):
        checkpoints.signing_key(app.config)


def test_each_headteacher_is_emailed_the_digest_once_per_checkpoint(app, signed, people, make_school, make_person):
    school, _head, staff = people
    other_school = make_school("Elsewhere Academy")
    other_head = make_person(other_school, Role.HEADTEACHER)
    outsider = make_person(other_school, Role.TEACHER)
    db.session.commit()
    for person in staff:
        append(person.id, school.id, 2)
    append(outsider.id, other_school.id, 1)
    result = cli(app, "checkpoint")
    assert result.exit_code == 0, result.output
    assert "Digests queued for 2 headteachers" in result.output
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "head@example.org")).all()
    assert message.kind == "ledger_checkpoint" and message.school_id == school.id
    [path] = signed[0].glob("checkpoint-*.json")
    checkpoint = checkpoints.read_checkpoint(path, checkpoints.verify_key(app.config))
    assert checkpoint.root in message.body_text
    count, digest = checkpoints.school_digest(checkpoint, school.id)
    assert count == 3 and digest in message.body_text
    assert digest != checkpoints.school_digest(checkpoint, other_school.id)[1]
    # The command an administrator runs shows the same digest the headteacher keeps.
    shown = cli(app, "school-digest", str(school.id))
    assert digest in shown.output and checkpoint.root in shown.output
    # The other school's headteacher gets their own school's digest, not this one's.
    [theirs] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == other_head.id)).all()
    assert digest not in theirs.body_text and checkpoint.root in theirs.body_text
    # Sending again for the same checkpoint sends nothing twice.
    assert checkpoints.email_headteachers(checkpoint, datetime.now(UTC).date()) == 0


def test_the_merkle_root_changes_with_any_chain():
    tips = {1: (3, "a" * 64), 2: (1, "b" * 64), 5: (7, "c" * 64)}
    root = checkpoints.merkle_root(tips)
    assert root == checkpoints.merkle_root(dict(reversed(list(tips.items()))))
    for user_id in tips:
        changed = dict(tips)
        changed[user_id] = (tips[user_id][0], "d" * 64)
        assert checkpoints.merkle_root(changed) != root
    assert checkpoints.merkle_root({**tips, 9: (1, "e" * 64)}) != root


def test_an_incremental_run_checks_only_what_is_new(app, people):
    school, _, staff = people
    for person in staff:
        append(person.id, school.id, 5)
    url = db.engine.url.render_as_string(hide_password=False)
    first = ledger_verify.verify_ledger(url, processes=1)
    assert (first.entries, first.chains, first.broken) == (15, 3, [])
    with db.engine.begin() as connection:
        ledger_verify.record_progress(connection, first.advanced)
    assert db.session.scalars(select(LedgerVerifiedChain.sequence)).all() == [5, 5, 5]
    append(staff[0].id, school.id, 2, start=5)
    second = ledger_verify.verify_ledger(url, processes=1)
    # Each chain's last verified entry (to prove it unchanged) and the two new ones.
    assert (second.entries, second.chains, second.broken) == (3 + 2, 3, [])
    assert second.advanced == {staff[0].id: (7, ledger.entries_for(staff[0].id)[-1].entry_hash)}
    full = ledger_verify.verify_ledger(url, processes=1, full=True)
    assert full.entries == 17 and not full.broken


def test_an_old_entry_edited_without_recomputing_is_found_by_a_full_run(app, people):
    school, _, staff = people
    append(staff[0].id, school.id, 3)
    url = db.engine.url.render_as_string(hide_password=False)
    with db.engine.begin() as connection:
        ledger_verify.record_progress(connection, ledger_verify.verify_ledger(url, processes=1).advanced)
    first = ledger.entries_for(staff[0].id)[0]
    tamper(
        [("UPDATE ledger_entry SET payload = :payload WHERE id = :id", {"payload": '{"minutes": 9}', "id": first.id})]
    )
    full = ledger_verify.verify_ledger(url, processes=1, full=True)
    assert [link.entry_id for link in full.broken] == [first.id]


def test_several_processes_find_the_same_as_one(app, people, make_person):
    school, _, staff = people
    everyone = [*staff, *(make_person(school, Role.TEACHER) for _ in range(4))]
    db.session.commit()
    for number, person in enumerate(everyone):
        append(person.id, school.id, 1 + number % 3)
    broken_entry = ledger.entries_for(everyone[4].id)[0]
    tamper([("UPDATE ledger_entry SET kind = 'quiz_attempted' WHERE id = :id", {"id": broken_entry.id})])
    url = db.engine.url.render_as_string(hide_password=False)
    one = ledger_verify.verify_ledger(url, processes=1, full=True)
    three = ledger_verify.verify_ledger(url, processes=3, full=True)
    assert (one.entries, one.chains) == (three.entries, three.chains)
    assert one.broken == three.broken and [link.entry_id for link in one.broken] == [broken_entry.id]
    assert one.advanced == three.advanced


def test_keygen_makes_a_private_key_only_its_owner_reads_and_never_overwrites(app, tmp_path):
    path = tmp_path / "signing.pem"
    result = cli(app, "keygen", str(path))
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in path.read_bytes() and b"PUBLIC KEY" in (tmp_path / "signing.pem.pub").read_bytes()
    before = path.read_bytes()
    again = cli(app, "keygen", str(path))
    assert again.exit_code != 0 and "never overwritten" in again.output
    assert path.read_bytes() == before
