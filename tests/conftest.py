"""Fixtures shared by every test.

The suite runs on SQLite by default and on PostgreSQL with `--database=postgresql` (which reads
TEST_DATABASE_URL). The schema is built by running the real migrations, once per run; every test
starts from empty tables.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import os
import re
from dataclasses import dataclass, replace
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db, limiter
from app.models import Membership, Organisation, OrganisationKind, Role, School, SchoolPhase, User
from app.models.ledger import SQLITE_LEDGER_TRIGGERS
from app.people.passwords import hash_password
from app.platform import email
from tests.support.page_checks import assert_good_page

PASSWORD = "correct horse battery staple"

# A test-only Ed25519 key (never used anywhere else) for the Open Badges the tests issue.
TEST_BADGE_SIGNING_KEYS = json.dumps(
    {
        "keys": [
            {
                "crv": "Ed25519",
                "x": "a_iit_f1ykUoQ6XUpCV2V5LemzguiniD8jx630eamKE",
                "d": "mqJHm6YB3xcJ-qm9FCi3kNTzrmZ2kK2xVIzQPAvtLvQ",
                "kid": "test-2026",
                "kty": "OKP",
            }
        ]
    }
)
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-to-use",
    "PUBLIC_BASE_URL": "http://localhost",
    # The cheapest Argon2id settings, so that hundreds of sign-ins stay fast.
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    # High enough that ordinary tests never meet them; the rate-limit tests lower them.
    "SIGN_IN_RATE_LIMIT": "1000 per minute",
    "PASSWORD_RESET_RATE_LIMIT": "1000 per minute",
    "TWO_STEP_RATE_LIMIT": "1000 per minute",
    "MAIL_SERVER": None,
    # Leaders sign in with a password alone unless a test turns two-step sign-in on
    # (tests/test_two_step.py does, to test the required path).
    "TWO_STEP_REQUIRED_FOR_LEADERS": False,
    # Every kept staff training dashboard is worked out again and compared, so that a change that
    # fails to change its school's training revision fails the test that shows it.
    "TRAINING_SNAPSHOT_VERIFY": True,
    # Open Badges are on in the tests, signed with this test-only key (tests/learning/test_badges.py
    # makes its own keys to rotate).
    "BADGE_SIGNING_KEYS": TEST_BADGE_SIGNING_KEYS,
}
# Servers the tests start as separate processes (the browser tests' live site) read the environment,
# not TEST_SETTINGS: their demo leaders sign in with a password alone too.
os.environ.setdefault("TWO_STEP_REQUIRED_FOR_LEADERS", "false")
os.environ.setdefault("BADGE_SIGNING_KEYS", TEST_BADGE_SIGNING_KEYS)


def pytest_addoption(parser):
    parser.addoption(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="which database the tests use; postgresql reads TEST_DATABASE_URL",
    )


def _postgresql_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.exit(
            "--database=postgresql needs TEST_DATABASE_URL, for example postgresql://postgres@127.0.0.1/test", 2
        )
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    if request.config.getoption("--database") == "postgresql":
        url = _postgresql_url()
        worker = getattr(request.config, "workerinput", {}).get("workerid")
        return _worker_database(url, worker) if worker else url
    return f"sqlite:///{tmp_path_factory.mktemp('database') / 'test.sqlite3'}"


def _worker_database(url: str, worker: str) -> str:
    """With tests spread over processes (pytest -n), each process gets a PostgreSQL database of its own,
    named after TEST_DATABASE_URL's with the worker's id, created on the same server when missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def on_postgresql(database_url) -> bool:
    return database_url.startswith("postgresql")


def drop_everything(engine) -> None:
    """Empty a database completely, so that the migrations build it from nothing."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars()
            for table in list(tables):
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


class IsolatedContextClient(FlaskClient):
    """A test client whose every request gets its own application context, and whose pages are checked.

    pytest-flask pushes one request context for a whole test; without this, the app's requests
    would share it, and with it `g` and Flask-Login's cached user, which real requests never do.

    Every HTML page it receives (not redirects) goes through tests/page_checks.py: valid HTML, one
    h1, a title that matches it, unique ids, forms with an action and a CSRF token, labelled
    controls. A test that deliberately fetches a broken page wraps that one request in
    `with client.skip_page_checks():`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_checks = True

    @contextlib.contextmanager
    def skip_page_checks(self):
        """Fetch a page without the page checks, for a test that wants a broken page."""
        self.page_checks = False
        try:
            yield self
        finally:
            self.page_checks = True

    def open(self, *args, **kwargs):
        # Read the whole response and close it, as a server does once it has sent it: that is when a
        # request's email goes to the background sender. Then wait for it to be sent, so that a test
        # sees the outbox as it will be (the person's inbox gets it a moment later, not never).
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        assert email.background_sender.wait_until_idle(), "the background sender did not finish in time"
        if self.page_checks and self._is_page(response):
            request = response.request
            url = f"{request.method} {request.full_path.rstrip('?')}"
            assert_good_page(response.get_data(as_text=True), url)
        return response

    @staticmethod
    def _is_page(response) -> bool:
        """An HTML page a person would see: redirects carry only a stub body, so are not checked.

        With follow_redirects, the last page was fetched (and checked) by a nested call to open.
        """
        return (
            response.mimetype == "text/html"
            and not 300 <= response.status_code < 400
            and not response.history
            and response.request is not None
            and response.request.method != "HEAD"
        )


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    # Signed ledger checkpoints go to a folder of the run's own, never the instance folder.
    checkpoints = str(tmp_path_factory.mktemp("ledger-checkpoints"))
    application = create_app(
        {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "LEDGER_CHECKPOINT_DIR": checkpoints}
    )
    application.test_client_class = IsolatedContextClient
    with application.app_context():
        drop_everything(db.engine)
        upgrade()
        db.session.remove()
    return application


def _empty_tables(on_postgresql: bool) -> None:
    # Only tables the migrations built: a model without its migration is test_migrations' failure to
    # report, not a reason for every other test to error.
    existing = set(inspect(db.engine).get_table_names())
    tables = [table.name for table in reversed(db.metadata.sorted_tables) if table.name in existing]
    with db.engine.begin() as connection:
        if on_postgresql:
            # Row triggers off for this transaction only (the test user is a superuser), so the ledger's
            # append-only trigger lets the cleanup through. DELETE on small tables is far quicker than TRUNCATE.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            # SQLite has no such switch: the ledger's triggers go for this transaction and come back
            # in it, so no other connection ever sees the table unguarded.
            for name in SQLITE_LEDGER_TRIGGERS:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))
        if not on_postgresql:
            for sql in SQLITE_LEDGER_TRIGGERS.values():
                connection.execute(text(sql))


@pytest.fixture(autouse=True)
def _clean_database(app, on_postgresql):
    yield
    db.session.remove()
    with app.app_context():
        _empty_tables(on_postgresql)
        db.session.remove()
    limiter.reset()


_numbers = itertools.count(1)


@pytest.fixture
def make_school():
    def make(name: str | None = None, *, organisation: Organisation | None = None) -> School:
        number = next(_numbers)
        school = School(
            urn=f"{900000 + number}",
            name=name or f"Test School {number}",
            phase=SchoolPhase.PRIMARY,
            organisation_id=organisation.id if organisation else None,
        )
        db.session.add(school)
        db.session.commit()
        return school

    return make


@pytest.fixture
def make_organisation():
    def make(name: str = "Test Borough Council") -> Organisation:
        organisation = Organisation(name=name, kind=OrganisationKind.LOCAL_AUTHORITY)
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return make


@pytest.fixture
def make_person():
    """A person with the given roles at a school (or, for la_officer, an organisation)."""

    def make(
        school: School | None,
        *roles: Role,
        email: str | None = None,
        name: str | None = None,
        password: str | None = PASSWORD,
        organisation: Organisation | None = None,
        started_on: date = date(2024, 9, 1),
    ) -> User:
        number = next(_numbers)
        user = User(
            email=email or f"person{number}@example.org",
            name=name or f"Person {number}",
            password_hash=hash_password(password) if password else None,
        )
        db.session.add(user)
        db.session.flush()
        for role in roles:
            on_organisation = role is Role.LA_OFFICER
            db.session.add(
                Membership(
                    user_id=user.id,
                    role=role,
                    started_on=started_on,
                    school_id=None if on_organisation else school.id,
                    organisation_id=organisation.id if on_organisation else None,
                )
            )
        db.session.commit()
        return user

    return make


def sign_in(client, user: User, password: str = PASSWORD):
    """Sign in through the real sign-in form, CSRF token and all."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": password, "csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token_from(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    if match is None:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def signed_in_client(app, make_school, make_person):
    """A client signed in as a headteacher of a fresh school; returns (client, user, school)."""
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    client = app.test_client()
    sign_in(client, head)
    return client, head, school


@pytest.fixture
def client(app):
    """A plain test client (pytest-flask's own keeps contexts open across requests)."""
    return app.test_client()


@dataclass(frozen=True)
class SeededPerson:
    id: int
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class SeededSchool:
    """One school of `two_schools`, with everything about it that must never show up in the other's pages."""

    letter: str
    id: int
    name: str
    urn: str
    organisation_name: str
    # One signed-up person per role (school roles, and la_officer of the school's organisation).
    people: dict[str, SeededPerson]
    # Invited as a teacher but has not chosen a password yet.
    pending: SeededPerson
    # A teacher here whom the other school has invited, and who has not answered: the other school
    # must see only what it typed, never their name or anything of theirs.
    joiner: SeededPerson | None = None
    # The other school's joiner: invited here, not yet joined.
    invitee: SeededPerson | None = None
    # Two teachers who work at both schools. Each school recorded some CPD for them; the commuter
    # shares nothing, the sharer shares their record with both schools.
    commuter: SeededPerson | None = None
    sharer: SeededPerson | None = None
    other_id: int | None = None
    # The school's own published module (app/school_content), in its catalogue only, and its policy.
    school_module_id: int | None = None
    school_policy_id: int | None = None

    @property
    def everyone(self) -> list[SeededPerson]:
        return [*self.people.values(), self.pending]

    @property
    def private_texts(self) -> list[str]:
        """What only this school recorded for the people who also work at the other school."""
        return [f"{self.name.split()[0]} commuter course"]

    @property
    def markers(self) -> list[str]:
        """Text that only this school's pages may contain."""
        names = [self.name, self.organisation_name, f"URN {self.urn}"]
        people = [text for person in self.everyone for text in (person.name, person.email)]
        # The joiner's address is the other school's to type; their name is not.
        joiner = [self.joiner.name] if self.joiner else []
        school_module = [school_module_title(self.letter), school_policy_title(self.letter)]
        return names + people + joiner + self.private_texts + list(SIGN_IN_SEEDS[self.letter]) + school_module


def school_module_title(letter: str) -> str:
    return {"A": "Alphaleak ways of working", "B": "Bravoleak ways of working"}[letter]


def school_policy_title(letter: str) -> str:
    return {"A": "Alphaleak SEND policy", "B": "Bravoleak SEND policy"}[letter]


def _seed_school_policy(letter: str, school_id: int, author_id: int) -> int:
    """A published policy every role at the school must read."""
    from app.school_content import policies as school_policies

    policy = school_policies.create(
        school_id=school_id,
        created_by_id=author_id,
        title=school_policy_title(letter),
        roles=[role.value for role in Role if not role.is_organisation_role],
        read_by=date(2030, 7, 1),
    )
    school_policies.publish_version(
        policy, school_policies.markdown_content(f"## {school_policy_title(letter)}\n\nOur policy."), author_id
    )
    return policy.id


def _seed_school_module(letter: str, school_id: int, author_id: int) -> int:
    """A published module of the school's own, with a page and a quiz, seen by no other school."""
    from app.school_content import modules as school_modules

    module = school_modules.create(
        school_id=school_id,
        created_by_id=author_id,
        details=school_modules.ModuleDetails(
            title=school_module_title(letter),
            summary=f"How we work at {letter}.",
            audience=[role.value for role in Role if not role.is_organisation_role],
            minutes=15,
            outcomes=["Follow our procedures"],
        ),
    )
    school_modules.save_page(module, None, f"{school_module_title(letter)}: steps", "## Steps\n\n- Notice\n- Tell")
    for number in (1, 2, 3):
        school_modules.save_question(
            module,
            None,
            {
                "type": "true_false",
                "kind": "recall",
                "prompt": f"Statement {number} about {school_module_title(letter)}.",
                "options": [],
                "items": [],
                "answer": True,
                "feedback": "It is.",
                "page": "page-1",
            },
        )
    school_modules.publish(module, author_id)
    return module.id


# Each seeded school's Microsoft tenant and staff email domain for Microsoft and Google sign-in.
SIGN_IN_SEEDS = {
    "A": ("aaaaaaaa-0000-4000-8000-0000000000aa", "alphaleak-staff.example.org"),
    "B": ("bbbbbbbb-0000-4000-8000-0000000000bb", "bravoleak-staff.example.org"),
}


def _seed_school(letter: str) -> SeededSchool:
    word = {"A": "Alphaleak", "B": "Bravoleak"}[letter]
    organisation = Organisation(name=f"{word} Borough Council", kind=OrganisationKind.LOCAL_AUTHORITY)
    db.session.add(organisation)
    db.session.flush()
    school = School(
        urn={"A": "810001", "B": "820002"}[letter],
        name=f"{word} Primary School",
        phase=SchoolPhase.PRIMARY,
        organisation_id=organisation.id,
    )
    db.session.add(school)
    db.session.flush()
    from app.people.models import SchoolSignIn

    tenant, domain = SIGN_IN_SEEDS[letter]
    db.session.add(
        SchoolSignIn(school_id=school.id, microsoft_enabled=True, microsoft_tenant_id=tenant, email_domains=domain)
    )

    def person(role: Role, *, signed_up: bool = True) -> SeededPerson:
        slug = role.value.replace("_", "-") if signed_up else "pending"
        user = User(
            email=f"marker-{letter.lower()}-{slug}@leak-{letter.lower()}.example.org",
            name=f"Zebedee {word} {role.label if signed_up else 'Invitee'}",
            password_hash=hash_password(PASSWORD) if signed_up else None,
        )
        db.session.add(user)
        db.session.flush()
        on_organisation = role is Role.LA_OFFICER
        db.session.add(
            Membership(
                user_id=user.id,
                role=role,
                started_on=date(2024, 9, 1),
                school_id=None if on_organisation else school.id,
                organisation_id=organisation.id if on_organisation else None,
            )
        )
        return SeededPerson(user.id, user.name, user.email, role.value)

    people = {role.value: person(role) for role in Role}
    pending = person(Role.TEACHER, signed_up=False)
    joiner_user = User(
        email=f"joiner-{letter.lower()}@joiners.example.org",
        name=f"Zebedee {word} Joiner",
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(joiner_user)
    db.session.flush()
    db.session.add(
        Membership(user_id=joiner_user.id, role=Role.TEACHER, started_on=date(2024, 9, 1), school_id=school.id)
    )
    joiner = SeededPerson(joiner_user.id, joiner_user.name, joiner_user.email, Role.TEACHER.value)
    school_module_id = _seed_school_module(letter, school.id, people[Role.HEADTEACHER.value].id)
    school_policy_id = _seed_school_policy(letter, school.id, people[Role.HEADTEACHER.value].id)
    db.session.commit()
    return SeededSchool(
        letter,
        school.id,
        school.name,
        school.urn,
        organisation.name,
        people,
        pending,
        joiner=joiner,
        school_module_id=school_module_id,
        school_policy_id=school_policy_id,
    )


def _seed_people_of_both(schools: dict[str, SeededSchool]) -> dict[str, SeededSchool]:
    """The people who cross between the two schools: each school's joiner invited by the other, and a
    commuter and a sharer who work at both, with CPD each school recorded and decided for them."""
    from app.models import MembershipInvitation, RecordSharing
    from app.models.base import utcnow
    from app.records import external_cpd, reading, terms, writing

    a, b = schools["A"], schools["B"]
    both = {}
    for name in ("commuter", "sharer"):
        user = User(
            email=f"{name}@both.example.org", name=f"Yolanda {name.title()}", password_hash=hash_password(PASSWORD)
        )
        db.session.add(user)
        db.session.flush()
        for school in (a, b):
            db.session.add(
                Membership(user_id=user.id, role=Role.TEACHER, started_on=date(2024, 9, 1), school_id=school.id)
            )
            if name == "sharer":
                db.session.add(RecordSharing(user_id=user.id, school_id=school.id, shared_at=utcnow()))
        both[name] = SeededPerson(user.id, user.name, user.email, Role.TEACHER.value)
    for school, other in ((a, b), (b, a)):
        db.session.add(
            MembershipInvitation(
                school_id=other.id,
                user_id=school.joiner.id,
                role=Role.TEACHER,
                started_on=date(2025, 9, 1),
                invited_name=f"Joiner typed by {other.letter}",
            )
        )
        for name, title in (("commuter", f"{school.name.split()[0]} commuter course"), ("sharer", "Shared course")):
            entry = writing.record_external_cpd(
                user_id=both[name].id,
                school_id=school.id,
                details=external_cpd.ExternalCpdDetails(
                    title=title,
                    provider="A provider",
                    activity_date=date(2025, 10, 1),
                    minutes=60,
                    category=terms.Category.COURSE,
                ),
                evidence=None,
                once_key=f"seeded-{name}-{school.letter}",
            )
            if name == "sharer":
                # Decided by the school's headteacher, whose name the other school must not see.
                sharer = db.session.get(User, both[name].id)
                writing.review_external_cpd(
                    reviewer_id=school.people["headteacher"].id,
                    school=db.session.get(School, school.id),
                    record=reading.build_record(sharer),
                    entry_id=entry.id,
                    seen_version_id=entry.id,
                    decision=terms.ReviewDecision.VERIFY,
                    comment="",
                    once_key=f"seeded-verify-{school.letter}",
                )
    db.session.commit()
    return {
        letter: replace(
            school,
            invitee=(b if letter == "A" else a).joiner,
            commuter=both["commuter"],
            sharer=both["sharer"],
            other_id=(b if letter == "A" else a).id,
        )
        for letter, school in schools.items()
    }


@pytest.fixture(scope="module")
def two_schools(app, on_postgresql) -> dict[str, SeededSchool]:
    """Schools "A" and "B", each in an organisation of its own, a person in every role, kept for a module.

    A module that uses this must also stop the per-test emptying of the tables, by overriding it:
    `@pytest.fixture(autouse=True)` `def _clean_database(): yield`.
    """
    with app.app_context():
        schools = _seed_people_of_both({letter: _seed_school(letter) for letter in "AB"})
        db.session.remove()
    yield schools
    with app.app_context():
        _empty_tables(on_postgresql)
        db.session.remove()
    limiter.reset()


def pytest_sessionfinish(session, exitstatus):
    """`pytest -m browser` with every browser test skipped (no Chromium: each module says so) or left
    out (the PostgreSQL pass) has run nothing and failed nothing: that is not a failed run, though
    pytest calls it "no tests collected" (exit 5)."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.getoption("markexpr") == "browser":
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter):
    """The fault tests' figures (requests sent, succeeded, failed cleanly, lost), gathered from each
    test's output at the end of the run, so they are shown when the tests ran in several processes too."""
    lines = [
        line
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for _, text in getattr(report, "sections", ())
        for line in text.splitlines()
        if line.strip().startswith("[fault test]")
    ]
    if lines:
        terminalreporter.write_sep("=", "fault tests: what was sent, and what was lost")
        for line in lines:
            terminalreporter.write_line(line.strip())
