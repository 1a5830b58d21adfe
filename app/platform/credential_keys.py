"""The Ed25519 keys that sign Open Badges, from the environment or a key file, never the database.

BADGE_SIGNING_KEYS holds a JSON Web Key Set (RFC 7517) of Ed25519 keys (`"kty": "OKP"`,
`"crv": "Ed25519"`, each with a `kid`), or BADGE_SIGNING_KEYS_FILE names a file that holds one. The
first key with its private part (`d`) signs; every key in the set is published at the JWKS address,
public parts only, so a badge signed with a key since rotated out still verifies. To rotate: put a
new key first (`flask badges new-key` prints one) and keep the old one; later remove the old key's
`d` to retire it for good while verifiers can still check what it signed. Without keys, no badges
are issued and the pages say so.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OKPKey

# Badges are signed "EdDSA" (RFC 8037), the identifier Open Badges verifiers understand today;
# RFC 9864 prefers "Ed25519" for the same signature, which verification accepts too.
SIGNING_ALGORITHM = "EdDSA"
ACCEPTED_ALGORITHMS = ["EdDSA", "Ed25519"]


@contextmanager
def eddsa_allowed() -> Iterator[None]:
    """Around signing and verifying: joserfc warns on every use of "EdDSA" since RFC 9864."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)
        yield


class KeysNotConfigured(RuntimeError):
    """No badge signing keys: badges are off."""


class BadKeys(ValueError):
    """The configured keys cannot be used; the message says why."""


@dataclass(frozen=True)
class BadgeKeys:
    signing: OKPKey
    published: KeySet  # public parts only

    def public_jwks(self) -> dict:
        return self.published.as_dict(private=False)


def _key_set_text() -> str | None:
    inline = current_app.config.get("BADGE_SIGNING_KEYS")
    if inline:
        return inline
    path = current_app.config.get("BADGE_SIGNING_KEYS_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8")
    return None


def parse_keys(text: str) -> BadgeKeys:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise BadKeys("the badge signing keys are not JSON") from error
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadKeys('the badge signing keys must be a JSON Web Key Set: {"keys": [...]}')
    keys: list[OKPKey] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            raise BadKeys("every badge signing key must be an Ed25519 key (kty OKP, crv Ed25519)")
        if not entry.get("kid"):
            raise BadKeys("every badge signing key needs a kid, so verifiers can find it")
        keys.append(OKPKey.import_key(entry))
    if len({key.kid for key in keys}) != len(keys):
        raise BadKeys("two badge signing keys have the same kid")
    signing = next((key for key in keys if key.is_private), None)
    if signing is None:
        raise BadKeys("no badge signing key has its private part (d): nothing can sign")
    public = KeySet([OKPKey.import_key(key.as_dict(private=False)) for key in keys])
    return BadgeKeys(signing=signing, published=public)


def badge_keys() -> BadgeKeys:
    """The keys, read from the settings each time (a changed key file takes effect without a restart)."""
    text = _key_set_text()
    if not text:
        raise KeysNotConfigured("no BADGE_SIGNING_KEYS or BADGE_SIGNING_KEYS_FILE")
    return parse_keys(text)


def badges_enabled() -> bool:
    return bool(current_app.config.get("BADGE_SIGNING_KEYS") or current_app.config.get("BADGE_SIGNING_KEYS_FILE"))


def new_key(kid: str) -> dict:
    """A new Ed25519 key as a private JWK, to put first in the key set."""
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid}).as_dict(private=True)
