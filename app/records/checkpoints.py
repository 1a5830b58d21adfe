"""Signed checkpoints: an anchor for the ledger outside the database.

Every chain's hash is a plain SHA-256 anyone can recompute, so someone who holds the database could
edit an entry and recompute the rest of that person's chain. A checkpoint stops that going unseen: it
lists the last (sequence, hash) of every chain and their Merkle root, signed with an Ed25519 key that
lives outside the database (LEDGER_SIGNING_KEY_FILE or LEDGER_SIGNING_KEY), and it is written to a
directory apart from the database (LEDGER_CHECKPOINT_DIR: another disk, a mounted object store, or a
host the database's administrators cannot write to). `flask ledger verify` then checks that each
checkpointed chain still leads to the hash the checkpoint holds, whatever the database now says.

Each school's headteacher is emailed a short digest of each checkpoint: the Merkle root (which
vouches for the whole checkpoint file, so a file replaced later has another root than the one in
every headteacher's mailbox) and a digest of the chains of the school's own people (so a school can
have just its people's records checked against its copy, without anyone else's). Emails go through
the outbox, like all the app's email.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Membership, ReminderSent, Role, School, User
from app.platform import queue_email

FORMAT = "send-ready-ledger-checkpoint/1"
FILE_PREFIX = "checkpoint-"

Place = tuple[int, str]


class CheckpointError(RuntimeError):
    """A checkpoint cannot be made or trusted; the message says why and what to do."""


class KeyMissing(CheckpointError):
    pass


class BadSignature(CheckpointError):
    pass


# Keys ------------------------------------------------------------------------------------------------


def _load_private(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        if b"PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data.strip(), validate=True))
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"{where} is not an Ed25519 private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{where} is a private key, but not an Ed25519 one")
    return key


def signing_key(config) -> Ed25519PrivateKey:
    """The private key checkpoints are signed with, from a key file or the environment."""
    path = config.get("LEDGER_SIGNING_KEY_FILE")
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise KeyMissing(f"the ledger signing key file {path} cannot be read ({error.strerror})") from None
        return _load_private(data, f"the key file {path}")
    value = config.get("LEDGER_SIGNING_KEY")
    if value:
        return _load_private(value.encode(), "LEDGER_SIGNING_KEY")
    raise KeyMissing(
        "no ledger signing key: set LEDGER_SIGNING_KEY_FILE to a key made with `flask ledger keygen` "
        "(kept outside the database and its backups)"
    )


def verify_key(config) -> Ed25519PublicKey:
    """The public key checkpoints are checked with: LEDGER_VERIFY_KEY_FILE, or the signing key's own."""
    path = config.get("LEDGER_VERIFY_KEY_FILE")
    if path:
        try:
            key = serialization.load_pem_public_key(Path(path).read_bytes())
        except OSError as error:
            raise KeyMissing(f"the ledger verify key file {path} cannot be read ({error.strerror})") from None
        except ValueError as error:
            raise CheckpointError(f"{path} is not a public key ({error})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointError(f"{path} is a public key, but not an Ed25519 one")
        return key
    try:
        return signing_key(config).public_key()
    except KeyMissing:
        raise KeyMissing(
            "a signed checkpoint cannot be checked without its key: set LEDGER_VERIFY_KEY_FILE (the public "
            "key) or LEDGER_SIGNING_KEY_FILE"
        ) from None


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key_files(path: Path) -> tuple[Path, Path]:
    """Write a new private key (readable by its owner only) and its public key beside it (.pub)."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem)
    public_path = path.with_name(path.name + ".pub")
    public_path.write_bytes(public_pem)
    return path, public_path


# The checkpoint itself -------------------------------------------------------------------------------


def _leaf(user_id: int, place: Place) -> bytes:
    return hashlib.sha256(b"\x00" + f"{user_id}:{place[0]}:{place[1]}".encode()).digest()


def merkle_root(tips: dict[int, Place]) -> str:
    """The root of a Merkle tree over every chain's last place, in order of person.

    Leaves and inner nodes are hashed with different prefixes, so one cannot pass for the other; an
    odd node at the end of a level goes up unchanged.
    """
    level = [_leaf(user_id, tips[user_id]) for user_id in sorted(tips)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def digest_of_chains(tips: dict[int, Place], user_ids) -> str:
    """A short digest of some people's chains (a school's), for the headteacher's email."""
    lines = "".join(f"{user_id}:{tips[user_id][0]}:{tips[user_id][1]}\n" for user_id in sorted(user_ids))
    return hashlib.sha256(lines.encode()).hexdigest()


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    name: str  # the time it was made, compact: also its id in emails
    created_at: str
    tips: dict[int, Place]
    root: str
    key_id: str


def make_checkpoint(directory: Path, tips: dict[int, Place], key: Ed25519PrivateKey, now: datetime) -> Checkpoint:
    """Sign the chains' places and write them to a new file in `directory` (never over another)."""
    name = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    body = {
        "format": FORMAT,
        "created_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key_id": key_id(key.public_key()),
        "merkle_root": merkle_root(tips),
        "chains": [[user_id, *tips[user_id]] for user_id in sorted(tips)],
    }
    document = {"checkpoint": body, "signature": base64.b64encode(key.sign(_canonical(body))).decode()}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{FILE_PREFIX}{name}.json"
    temporary = directory / f".{path.name}.partial"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(document, file, separators=(",", ":"))
        file.flush()
        os.fsync(file.fileno())
    # A link, not a rename: it fails rather than replace a checkpoint already there.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise CheckpointError(f"{path} already exists: one checkpoint a second at most") from None
    finally:
        temporary.unlink(missing_ok=True)
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)
    return Checkpoint(path, name, body["created_at"], dict(tips), body["merkle_root"], body["key_id"])


def latest_checkpoint_path(directory: Path) -> Path | None:
    if not directory.is_dir():
        return None
    files = sorted(directory.glob(f"{FILE_PREFIX}*.json"))
    return files[-1] if files else None


def read_checkpoint(path: Path, public_key: Ed25519PublicKey) -> Checkpoint:
    """Read a checkpoint and check its signature; BadSignature if it was changed or signed with another key."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        body = document["checkpoint"]
        signature = base64.b64decode(document["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BadSignature(f"the checkpoint {path} cannot be read as a checkpoint ({error})") from None
    try:
        public_key.verify(signature, _canonical(body))
    except InvalidSignature:
        raise BadSignature(
            f"the checkpoint {path} has a BAD SIGNATURE: it was changed after it was signed, or signed with "
            f"another key (the file names key {body.get('key_id')}, the configured key is {key_id(public_key)})"
        ) from None
    tips = {int(user_id): (int(sequence), str(entry_hash)) for user_id, sequence, entry_hash in body["chains"]}
    if merkle_root(tips) != body["merkle_root"]:
        raise BadSignature(f"the checkpoint {path} is signed but its Merkle root does not match its chains")
    name = path.stem.removeprefix(FILE_PREFIX)
    return Checkpoint(path, name, body["created_at"], tips, body["merkle_root"], body["key_id"])


# The headteachers' copies ----------------------------------------------------------------------------


def _school_people(school_id: int, checkpoint: Checkpoint) -> set[int]:
    """Everyone who held a role at the school when the checkpoint was made (whether or not they still
    do): the chains the school's digest covers, the same whenever it is worked out again."""
    made = datetime.strptime(checkpoint.created_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    query = select(Membership.user_id).where(Membership.school_id == school_id, Membership.created_at <= made)
    return set(db.session.scalars(query)) & checkpoint.tips.keys()


def email_headteachers(checkpoint: Checkpoint, today) -> int:
    """Queue each school's digest of the checkpoint to its headteachers; once per person, school and checkpoint."""
    queued = 0
    for school in db.session.scalars(select(School).order_by(School.id)):
        people = _school_people(school.id, checkpoint)
        heads = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.school_id == school.id,
                Membership.role == Role.HEADTEACHER,
                Membership.is_current(today),
                User.active.is_(True),
                User.erased_at.is_(None),
            )
            .order_by(User.id)
        ).all()
        for head in heads:
            claim = ReminderSent(
                user_id=head.id, school_id=school.id, kind="ledger_checkpoint", subject="checkpoint",
                period=checkpoint.name,
            )  # fmt: skip
            try:
                with db.session.begin_nested():
                    db.session.add(claim)
            except IntegrityError:
                continue
            message = queue_email(
                kind="ledger_checkpoint",
                to=head.email,
                template="ledger_checkpoint",
                user_id=head.id,
                school_id=school.id,
                name=head.name,
                school=school.name,
                checkpoint=checkpoint.name,
                created_at=checkpoint.created_at,
                root=checkpoint.root,
                chains=len(checkpoint.tips),
                school_chains=len(people),
                school_digest=digest_of_chains(checkpoint.tips, people),
            )
            claim.outbox_message_id = message.id
            queued += 1
    return queued


def school_digest(checkpoint: Checkpoint, school_id: int) -> tuple[int, str]:
    """The number of the school's people's chains in the checkpoint and their digest, as emailed."""
    people = _school_people(school_id, checkpoint)
    return len(people), digest_of_chains(checkpoint.tips, people)
