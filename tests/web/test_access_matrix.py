"""The access matrix: every route, every method, every role, own and other schools' objects.

The cases are generated from the app's url_map and checked against tests/access_table.py:
- a role the table does not allow gets 403 (or, signed out, a redirect to /sign-in, or the API's 401),
  never a 2xx;
- a role it allows gets past the door; and another school's object answers 404 to it;
- a URL with an emailed token answers 404 to everyone when the token is not valid;
- a route missing from the table (or a table row whose route has gone) fails the suite.

Each role signs in once per school and its client is reused: the seeded data (two_schools, and the
records tests/access_table.py adds to it) is shared by every case, so this module turns off the
per-test emptying of the tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.models import Role
from tests.conftest import TEST_SETTINGS, SeededPerson, SeededSchool, csrf_token_from, sign_in
from tests.support.access_table import (
    ACCESS,
    ANONYMOUS,
    CONTENT_ARGS,
    NOT_IN_TABLE,
    OBJECTS,
    ROLES,
    Access,
    content_values,
)

METHODS = ("GET", "POST")
INVALID_TOKEN = "not-a-valid-token"


@pytest.fixture(autouse=True)
def _clean_database():
    """Overrides conftest's: the cases share one seeded world, which two_schools empties at the end."""
    yield


# ---- the cases, from the url_map ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    letter: str | None  # the actor's school (None: signed out)
    role: str
    # For a route naming an object: "own", "same_school", "other_school" (or "someone", signed out);
    # and, where the object kind has them, "invited" (someone the school invited who has not joined),
    # "elsewhere" and "elsewhere_shared" (the other school's, of a person who works at both).
    variant: str | None

    @property
    def id(self) -> str:
        who = self.role if self.letter is None else f"{self.role}@{self.letter}"
        return "-".join(part for part in (self.endpoint, self.method, who, self.variant) if part)


def _url_map_rules():
    """The routes, read from an app built without a database, so that cases exist at collection."""
    application = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(application.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))


def _actors(schools: str) -> list[tuple[str | None, str]]:
    return [(None, ANONYMOUS)] + [(letter, role) for letter in schools for role in ROLES if role != ANONYMOUS]


def _cases() -> list[Case]:
    cases = []
    for rule in _url_map_rules():
        access = ACCESS.get(rule.endpoint)
        if access is None:
            continue  # test_every_endpoint_is_in_the_table names it
        for method in METHODS:
            if method not in rule.methods:
                continue
            # A route naming an object is tried from both schools, each against the other's objects.
            # A route that names none is the same code for both, so school A's roles try it.
            for letter, role in _actors("AB" if access.object_arg else "A"):
                if access.object_arg is None:
                    variants: tuple[str | None, ...] = (None,)
                elif role == ANONYMOUS:
                    variants = ("someone",)
                else:
                    kind = OBJECTS[access.object_arg]
                    variants = ("own", "same_school", "other_school")
                    variants += ("invited",) if kind.invited_here else ()
                    variants += ("elsewhere", "elsewhere_shared") if kind.owned_elsewhere else ()
                for variant in variants:
                    cases.append(Case(rule.endpoint, method, letter, role, variant))
    return cases


CASES = _cases()


# ---- the table covers the url_map --------------------------------------------------------------


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_IN_TABLE
    missing = sorted(endpoints - set(ACCESS))
    assert not missing, f"routes with no row in tests/access_table.py (decide who may use them): {missing}"
    stale = sorted(set(ACCESS) - endpoints)
    assert not stale, f"rows in tests/access_table.py for routes that no longer exist: {stale}"


def test_the_table_says_which_arguments_each_route_takes(app):
    for rule in app.url_map.iter_rules():
        access = ACCESS.get(rule.endpoint)
        if access is None:
            continue
        declared = access.arguments
        assert set(rule.arguments) == declared, (
            f"{rule.endpoint} ({rule.rule}) takes {sorted(rule.arguments)}, the table says {sorted(declared)}"
        )
        if access.object_arg:
            assert access.object_arg in OBJECTS, (
                f"{rule.endpoint}: say how to find a seeded {access.object_arg} in access_table.OBJECTS"
            )
        unknown = set(access.content_args) - CONTENT_ARGS
        assert not unknown, f"{rule.endpoint}: say how to fill {sorted(unknown)} in access_table.content_values"


def test_every_method_is_one_the_matrix_sends(app):
    for rule in app.url_map.iter_rules():
        others = set(rule.methods) - {"HEAD", "OPTIONS", *METHODS}
        assert not others, f"{rule.endpoint} answers {sorted(others)}: teach the access matrix to send them"


def test_the_table_names_only_real_roles():
    assert set(ROLES) == {ANONYMOUS} | {role.value for role in Role}
    for endpoint, access in ACCESS.items():
        assert access.allowed <= set(ROLES), f"{endpoint}: unknown roles {access.allowed - set(ROLES)}"


def test_every_route_and_method_has_cases():
    assert {(case.endpoint, case.method) for case in CASES} >= {
        ("people.show_person", "GET"),
        ("people.resend_invitation", "POST"),
        ("auth.sign_out", "POST"),
    }
    assert len({case.role for case in CASES}) == len(ROLES)


# ---- signed-in clients, one per role per school ------------------------------------------------


@dataclass
class Actor:
    client: object
    csrf_token: str
    person: SeededPerson | None
    school: SeededSchool | None


class Actors:
    """Signs each role in once per school, on first use, and keeps the client."""

    def __init__(self, app, schools: dict[str, SeededSchool]):
        self.app = app
        self.schools = schools
        self.signed_in: dict[tuple[str | None, str], Actor] = {}

    def get(self, letter: str | None, role: str) -> Actor:
        if (letter, role) not in self.signed_in:
            self.signed_in[(letter, role)] = self._sign_in(letter, role)
        return self.signed_in[(letter, role)]

    def forget(self, letter: str | None, role: str) -> None:
        """After signing out (which ends every session of the person), sign in again when next needed."""
        self.signed_in.pop((letter, role), None)

    def _sign_in(self, letter: str | None, role: str) -> Actor:
        client = self.app.test_client()
        if letter is None:
            return Actor(client, csrf_token_from(client.get("/sign-in")), None, None)
        school = self.schools[letter]
        person = school.people[role]
        sign_in(client, person)
        return Actor(client, csrf_token_from(client.get("/home")), person, school)


@pytest.fixture(scope="module")
def actors(app, two_schools) -> Actors:
    return Actors(app, two_schools)


@pytest.fixture(scope="module")
def content(app) -> dict:
    return content_values(app)


def _object_id(app, case: Case, actor: Actor, schools: dict[str, SeededSchool], access: Access, content):
    kind = OBJECTS[access.object_arg]
    other = "B" if case.letter == "A" else "A"
    with app.app_context():
        if case.variant == "someone":
            return kind.someone_in(schools["A"], content)
        if case.variant == "own":
            return kind.own(actor.person, content)
        if case.variant == "invited":
            return kind.invited_here(schools[case.letter], content)
        if case.variant in ("elsewhere", "elsewhere_shared"):
            return kind.owned_elsewhere(schools[case.letter], content, case.variant == "elsewhere_shared")
        return kind.someone_in(schools[case.letter if case.variant == "same_school" else other], content)


def _url(app, case: Case, actor: Actor, schools, access: Access, content: dict) -> str:
    values = {argument: content[argument] for argument in access.content_args}
    if access.object_arg:
        values[access.object_arg] = _object_id(app, case, actor, schools, access, content)
    if access.token_arg:
        values[access.token_arg] = INVALID_TOKEN
    adapter = app.url_map.bind("localhost")
    return adapter.build(case.endpoint, values, method=case.method)


def _goes_to_sign_in(response) -> bool:
    return 300 <= response.status_code < 400 and urlsplit(response.headers["Location"]).path == "/sign-in"


# ---- the matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_access(app, two_schools, actors, content, case, caplog):
    access = ACCESS[case.endpoint]
    actor = actors.get(case.letter, case.role)
    if access.ends_session:
        actors.forget(case.letter, case.role)
    url = _url(app, case, actor, two_schools, access, content)
    caplog.set_level(logging.INFO, logger="flask_wtf.csrf")
    if case.method == "GET":
        response = actor.client.get(url)
    else:
        response = actor.client.post(url, data={"csrf_token": actor.csrf_token})
    status = response.status_code
    said = f"{case.method} {url} as {case.role} answered {status}"

    # The matrix's own token must be accepted, or every POST would test only the CSRF check.
    refusals = [record.getMessage() for record in caplog.records if record.name == "flask_wtf.csrf"]
    assert not refusals, f"{said}: the CSRF token was refused: {refusals}"

    if access.token_arg:
        assert status == 404, f"{said}; an invalid {access.token_arg} must answer 404"
    elif case.role not in access.allowed:
        if case.role == ANONYMOUS and access.signed_out_status:
            assert status == access.signed_out_status, f"{said}; {access.signed_out_status} expected signed out"
        elif case.role == ANONYMOUS:
            assert _goes_to_sign_in(response), f"{said}; signed out must be sent to /sign-in"
        else:
            assert status == 403, f"{said}; {case.role} is not in the table for {case.endpoint}: 403 expected"
    elif case.variant == "other_school":
        assert status == 404, f"{said}; another school's {access.object_arg} must answer 404"
    elif case.variant == "invited":
        assert status == 404, f"{said}; someone invited who has not joined must be 'not found' to the school"
    elif case.variant == "elsewhere" or (case.variant == "elsewhere_shared" and not access.reads_shared):
        assert status == 404, f"{said}; the other school's {access.object_arg} is not this school's to see or act on"
    elif case.variant == "same_school" and OBJECTS[access.object_arg].personal:
        assert status == 404, f"{said}; another person's {access.object_arg} must answer 404"
    elif access.ends_session:
        assert 300 <= status < 400, said
        assert _goes_to_sign_in(actor.client.get("/home")), f"{said}, but the session did not end"
    else:
        # Past the door: a page or a redirect; a POST's empty form may be refused by the view (400).
        past_the_door = 200 <= status < 400 or (status == 400 and case.method == "POST")
        assert past_the_door, f"{said}; {case.role} may use {case.endpoint}"
        assert not _goes_to_sign_in(response), f"{said}, a redirect to sign in, for an allowed role"
