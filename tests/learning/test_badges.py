"""Open Badges 3.0: issued badges validate against 1EdTech's schema and verify with an independent
Ed25519 check; revoking, expiring, tampering, keys rotated out, and /verify's answers."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jsonschema import Draft201909Validator
from sqlalchemy import select, text

from app.extensions import db
from app.learning import module_progress
from app.models import ModuleProgress, OpenBadge, Role
from app.records import certificates, reading
from tests.conftest import csrf_token_from, sign_in

MODULE = "send-essentials"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json").read_text())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def new_jwk(kid: str, *, private: bool = True) -> dict:
    """An Ed25519 key made with `cryptography`, not the app's code, as a JWK."""
    key = Ed25519PrivateKey.generate()
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": kid,
        "x": b64url(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)),
    }
    if private:
        jwk["d"] = b64url(
            key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        )
    return jwk


def public_part(jwk: dict) -> dict:
    return {name: value for name, value in jwk.items() if name != "d"}


def independently_verified(token: str, jwks: dict) -> dict:
    """Check a compact JWS with `cryptography` alone and return its claims, or raise InvalidSignature."""
    header_part, payload_part, signature_part = token.split(".")
    header = json.loads(unb64url(header_part))
    assert header["alg"] == "EdDSA"
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    public_key = Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"]))
    public_key.verify(unb64url(signature_part), f"{header_part}.{payload_part}".encode())
    return json.loads(unb64url(payload_part))


@pytest.fixture
def first_key():
    return new_jwk("2026-12-first")


@pytest.fixture(autouse=True)
def keys(app, monkeypatch, first_key):
    monkeypatch.setitem(app.config, "BADGE_SIGNING_KEYS", json.dumps({"keys": [first_key]}))
    monkeypatch.setitem(app.config, "BADGE_SIGNING_KEYS_FILE", None)


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


@pytest.fixture
def ta(app, school, make_person):
    person = make_person(school, Role.TEACHING_ASSISTANT, name="Amara Oakley", email="amara@oakfield.example.org")
    client = app.test_client()
    sign_in(client, person)
    return client, person


def complete(app, user, school, occurred_at=None):
    module = app.extensions["catalogue"].modules[MODULE]
    progress = ModuleProgress(user_id=user.id, module_id=module.id, reading_version=module.version, pages_read=[])
    db.session.add(progress)
    entry = module_progress.record_module_completion(
        user_id=user.id, school_id=school.id, module=module, progress=progress, occurred_at=occurred_at
    )
    db.session.commit()
    return entry


def published_keys(client) -> dict:
    response = client.get("/badges/jwks.json")
    assert response.status_code == 200
    return response.get_json()


def words_on(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def check(client, pasted: str):
    page = client.get("/verify")
    return client.post("/verify", data={"csrf_token": csrf_token_from(page), "credential": pasted})


def bit(encoded_list: str, index: int) -> bool:
    assert encoded_list.startswith("u")
    bits = gzip.decompress(unb64url(encoded_list[1:]))
    assert len(bits) * 8 == 131_072
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# ---- issuing --------------------------------------------------------------------------------------


def test_an_issued_badge_meets_the_schema_and_verifies_independently(app, ta, school, client, first_key):
    ta_client, person = ta
    entry = complete(app, person, school)
    page = ta_client.get(f"/cpd/badges/{MODULE}")
    assert page.status_code == 200
    assert "Status Valid" in words_on(page)

    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt")
    assert token.status_code == 200 and token.mimetype == "application/vc+jwt"
    claims = independently_verified(token.get_data(as_text=True), published_keys(client))
    credential = {name: value for name, value in claims.items() if name not in ("iss", "jti", "iat", "nbf", "exp")}
    errors = sorted(Draft201909Validator(SCHEMA).iter_errors(credential), key=lambda error: error.path)
    assert errors == [], [error.message for error in errors]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"

    # The recipient: a salted SHA-256 of the email (as typed, in lower case), never the email itself.
    (identity,) = credential["credentialSubject"]["identifier"]
    expected = hashlib.sha256(("amara@oakfield.example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}" and identity["hashed"] is True
    assert "oakfield.example.org" not in json.dumps(claims) and "Amara" not in json.dumps(claims)

    # The school issues, through this deployment; the module is the achievement; a refresher is due.
    assert credential["issuer"]["name"] == "Oakfield Primary School"
    assert credential["issuer"]["id"] == f"http://localhost/badges/issuers/{school.urn}"
    module = app.extensions["catalogue"].modules[MODULE]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["name"] == module.title and str(module.minutes) in achievement["description"]
    assert all(outcome in achievement["criteria"]["narrative"] for outcome in module.outcomes)
    issued = entry.occurred_at.astimezone(UTC)
    assert credential["validFrom"] == issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert credential["validUntil"].startswith(f"{issued.year + 3}-")
    assert claims["exp"] > claims["nbf"]
    # Its profile and achievement addresses answer.
    assert client.get(f"/badges/issuers/{school.urn}").get_json()["name"] == "Oakfield Primary School"
    assert client.get(f"/badges/achievements/{MODULE}").get_json()["name"] == module.title

    # The JSON download is the same credential.
    as_json = ta_client.get(f"/cpd/badges/{MODULE}.json")
    assert json.loads(as_json.data) == credential
    # Asking again gives the same badge.
    assert ta_client.get(f"/cpd/badges/{MODULE}.jwt").data == token.data
    assert db.session.scalar(select(db.func.count()).select_from(OpenBadge)) == 1


def test_the_private_key_is_never_stored(app, ta, school, first_key):
    ta_client, person = ta
    complete(app, person, school)
    assert ta_client.get(f"/cpd/badges/{MODULE}.jwt").status_code == 200
    rows = db.session.execute(text("SELECT * FROM open_badge")).all()
    assert rows and first_key["d"] not in repr(rows)
    assert first_key["d"] not in json.dumps(published_keys(app.test_client()))


def test_no_badge_before_the_module_is_completed_and_none_without_keys(app, ta, monkeypatch):
    ta_client, _person = ta
    assert ta_client.get(f"/cpd/badges/{MODULE}").status_code == 302
    assert ta_client.get("/cpd/badges/no-such-module").status_code == 404
    monkeypatch.setitem(app.config, "BADGE_SIGNING_KEYS", None)
    assert app.test_client().get("/badges/jwks.json").get_json() == {"keys": []}


# ---- checking -------------------------------------------------------------------------------------


def test_verify_says_valid_for_the_signed_badge_pasted_or_uploaded_and_for_its_json(app, ta, school, client):
    ta_client, person = ta
    complete(app, person, school)
    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)

    pasted = check(client, token)
    assert pasted.status_code == 200
    assert "This badge is valid" in words_on(pasted) and "Oakfield Primary School" in words_on(pasted)

    page = client.get("/verify")
    uploaded = client.post(
        "/verify",
        data={"csrf_token": csrf_token_from(page), "credential_file": (io.BytesIO(token.encode()), "badge.jwt")},
        content_type="multipart/form-data",
    )
    assert "This badge is valid" in words_on(uploaded)

    as_json = ta_client.get(f"/cpd/badges/{MODULE}.json").get_data(as_text=True)
    assert "This badge is valid" in words_on(check(client, as_json))


def test_a_tampered_badge_fails(app, ta, school, client):
    ta_client, person = ta
    complete(app, person, school)
    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)
    header, payload, signature = token.split(".")
    claims = json.loads(unb64url(payload))
    claims["credentialSubject"]["achievement"]["name"] = "National Award for SEN Co-ordination"
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidSignature):
        independently_verified(forged, published_keys(client))
    answer = words_on(check(client, forged))
    assert "This badge is not valid" in answer and "signature does not match" in answer

    as_json = json.loads(ta_client.get(f"/cpd/badges/{MODULE}.json").data)
    as_json["validUntil"] = "2099-01-01T00:00:00Z"
    assert "it has been changed" in words_on(check(client, json.dumps(as_json)))


def test_a_badge_signed_by_someone_else_is_not_ours(app, client):
    stranger = new_jwk("someone-else")
    key = Ed25519PrivateKey.from_private_bytes(unb64url(stranger["d"]))
    header = b64url(json.dumps({"alg": "EdDSA", "kid": "someone-else", "typ": "vc+jwt"}).encode())
    payload = b64url(json.dumps({"id": "urn:uuid:00000000-0000-4000-8000-000000000000"}).encode())
    token = f"{header}.{payload}.{b64url(key.sign(f'{header}.{payload}'.encode()))}"
    answer = words_on(check(client, token))
    assert "SEND Ready did not issue this badge" in answer and "not signed with any key SEND Ready publishes" in answer
    assert "not a signed badge" in words_on(check(client, "hello"))


def test_voiding_the_certificate_revokes_the_badge_in_the_status_list(app, ta, school, make_person, client):
    ta_client, person = ta
    entry = complete(app, person, school)
    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)
    claims = independently_verified(token, published_keys(client))
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    list_path = status["statusListCredential"].removeprefix("http://localhost")
    index = int(status["statusListIndex"])

    def revoked_in_published_list() -> bool:
        response = client.get(list_path)
        assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
        status_list = independently_verified(response.get_data(as_text=True), published_keys(client))
        assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        return bit(status_list["credentialSubject"]["encodedList"], index)

    assert not revoked_in_published_list()
    head = make_person(school, Role.HEADTEACHER)
    certificates.void_certificate(
        leader_id=head.id,
        school=school,
        record=reading.build_record(person),
        completion_id=entry.id,
        reason="Wrong account.",
    )
    db.session.commit()
    assert revoked_in_published_list()
    answer = words_on(check(client, token))
    assert "This badge has been revoked" in answer and "voided the certificate" in answer


def test_a_badge_past_its_renewal_date_has_expired(app, school, make_person, client):
    person = make_person(school, Role.TEACHING_ASSISTANT, started_on=date(2020, 9, 1))
    complete(app, person, school, occurred_at=datetime(2022, 3, 1, 10, 0, tzinfo=UTC))
    ta_client = app.test_client()
    sign_in(ta_client, person)
    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)
    claims = independently_verified(token, published_keys(client))
    assert claims["validUntil"] == "2025-03-02T00:00:00Z"
    answer = words_on(check(client, token))
    assert "This badge has expired" in answer and "expired on 1 March 2025" in answer


def test_a_badge_signed_with_a_key_since_rotated_out_still_verifies(
    app, ta, school, make_person, client, monkeypatch, first_key
):
    ta_client, person = ta
    complete(app, person, school)
    old_token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)

    # Rotation: a new key signs; the old one stays published without its private part.
    second_key = new_jwk("2027-06-second")
    monkeypatch.setitem(app.config, "BADGE_SIGNING_KEYS", json.dumps({"keys": [second_key, public_part(first_key)]}))
    assert {key["kid"] for key in published_keys(client)["keys"]} == {"2026-12-first", "2027-06-second"}
    independently_verified(old_token, published_keys(client))
    assert "This badge is valid" in words_on(check(client, old_token))

    # What is issued from now on is signed with the new key.
    newcomer = make_person(school, Role.TEACHING_ASSISTANT)
    complete(app, newcomer, school)
    newcomer_client = app.test_client()
    sign_in(newcomer_client, newcomer)
    new_token = newcomer_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)
    assert json.loads(unb64url(new_token.split(".")[0]))["kid"] == "2027-06-second"
    assert json.loads(unb64url(old_token.split(".")[0]))["kid"] == "2026-12-first"
    independently_verified(new_token, published_keys(client))
    assert "This badge is valid" in words_on(check(client, new_token))


def test_a_shared_link_shows_the_badge_and_its_status_without_the_person(app, ta, school, client):
    ta_client, person = ta
    complete(app, person, school)
    page = words_on(ta_client.get(f"/cpd/badges/{MODULE}"))
    share = re.search(r"(http://localhost/badges/[0-9a-f-]{36})", page).group(1)
    shared = client.get(share.removeprefix("http://localhost"))
    assert shared.status_code == 200 and shared.headers["X-Robots-Tag"] == "noindex, nofollow"
    shown = words_on(shared)
    assert "Status Valid" in shown and "Oakfield Primary School" in shown
    assert "Amara" not in shown and "oakfield.example.org" not in shown
    download = client.get(share.removeprefix("http://localhost") + ".jwt")
    assert download.data == ta_client.get(f"/cpd/badges/{MODULE}.jwt").data
    assert client.get("/badges/00000000-0000-4000-8000-000000000000").status_code == 404


def test_the_verify_form_says_what_is_missing(app, client):
    page = client.get("/verify")
    assert page.status_code == 200
    empty = client.post("/verify", data={"csrf_token": csrf_token_from(page), "credential": ""})
    assert empty.status_code == 200
    body = empty.get_data(as_text=True)
    assert "govuk-error-summary" in body and "Paste a badge or upload a badge file" in body
    too_big = client.post(
        "/verify",
        data={"csrf_token": csrf_token_from(page), "credential_file": (io.BytesIO(b"x" * 70_000), "badge.jwt")},
        content_type="multipart/form-data",
    )
    assert "The badge file must be 64 KB or smaller" in too_big.get_data(as_text=True)
    # A certificate code typed into the same page goes to its check.
    assert client.get("/verify?code=12-ABCDE").headers["Location"].endswith("/verify/12-ABCDE")


def test_a_new_key_from_the_command_line_signs_after_rotation(app, ta, school, client, monkeypatch, first_key):
    printed = app.test_cli_runner().invoke(args=["badges", "new-key", "2027-01"])
    assert printed.exit_code == 0
    new = json.loads(printed.output)
    assert (new["kty"], new["crv"], new["kid"]) == ("OKP", "Ed25519", "2027-01") and new["d"]
    monkeypatch.setitem(app.config, "BADGE_SIGNING_KEYS", json.dumps({"keys": [new, public_part(first_key)]}))
    ta_client, person = ta
    complete(app, person, school)
    token = ta_client.get(f"/cpd/badges/{MODULE}.jwt").get_data(as_text=True)
    assert json.loads(unb64url(token.split(".")[0]))["kid"] == "2027-01"
    independently_verified(token, published_keys(client))
