"""Who may do what: every endpoint decided, learners kept off leader pages, schools kept apart."""

from __future__ import annotations

import pytest

from app.models import Role
from app.permissions import ROLE_PERMISSIONS, Permission
from tests.conftest import csrf_token_from, sign_in

# Open to everyone, signed in or not. Anything else must be protected with @requires.
PUBLIC_ENDPOINTS = {
    "static",
    "main.start",
    "main.accessibility",
    "main.privacy",
    "main.health",
    "auth.sign_in",
    "auth.set_password",
    "auth.reset_password",
    "auth.forgot_password",
    # Signing in with Microsoft or Google: starting, the provider's answer, joining by invitation.
    "auth.start_provider_sign_in",
    "auth.finish_provider_sign_in",
    "auth.join_with_provider",
    # Checking a certificate's verification code: for employers and anyone shown a certificate.
    "certificates.verify_certificate",
    # A person's training calendar feed: a calendar app has no session; the secret in the address is the key.
    "learn.calendar_feed",
    # The API's OpenAPI document: what the API offers, nothing of anyone's.
    "api.openapi_document",
    # Checking a code typed in, or an Open Badge pasted or uploaded.
    "certificates.verify",
    # Open Badges' addresses for verifiers and for a badge its holder shares: the published keys, the
    # revocation list, the issuing schools and achievements, a shared badge and its signed file.
    "badges.jwks",
    "badges.status_list",
    "badges.issuer_profile",
    "badges.achievement",
    "badges.show_badge",
    "badges.download_shared_badge",
}


def test_every_endpoint_is_public_or_protected(app):
    undecided = []
    for endpoint, view in app.view_functions.items():
        access = getattr(view, "access", None)
        if endpoint == "static":
            continue
        if access == "public":
            assert endpoint in PUBLIC_ENDPOINTS, f"{endpoint} is marked public but is not on the allow-list"
        elif access != "protected":
            undecided.append(endpoint)
    assert not undecided, f"endpoints with no access decision: {undecided}"
    missing = PUBLIC_ENDPOINTS - set(app.view_functions)
    assert not missing, f"allow-listed endpoints that no longer exist: {missing}"


def test_every_role_has_a_row_in_the_permission_table():
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", [Role.TEACHING_ASSISTANT, Role.TEACHER, Role.GOVERNOR, Role.SEND_GOVERNOR])
def test_learners_are_refused_leader_pages(app, make_school, make_person, role):
    school = make_school()
    learner = make_person(school, role)
    colleague = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, learner)
    assert client.get("/school/people/").status_code == 403
    assert client.get("/school/people/invite").status_code == 403
    assert client.get(f"/school/people/{colleague.id}").status_code == 403
    page = client.get("/home")
    response = client.post("/school/people/invite", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 403
    body = client.get("/school/people/").get_data(as_text=True)
    assert "You do not have permission" in body


def test_the_senco_sees_people_but_cannot_invite(app, make_school, make_person):
    school = make_school()
    senco = make_person(school, Role.SENCO)
    client = app.test_client()
    sign_in(client, senco)
    assert client.get("/school/people/").status_code == 200
    assert client.get("/school/people/invite").status_code == 403
    assert "Invite someone" not in client.get("/school/people/").get_data(as_text=True)


def test_another_schools_person_is_not_found(app, make_school, make_person):
    ours, theirs = make_school(), make_school()
    head = make_person(ours, Role.HEADTEACHER)
    stranger = make_person(theirs, Role.TEACHER, name="Stranger Danger")
    client = app.test_client()
    sign_in(client, head)
    response = client.get(f"/school/people/{stranger.id}")
    assert response.status_code == 404
    assert "Stranger Danger" not in response.get_data(as_text=True)
    page = client.get("/home")
    response = client.post(
        f"/school/people/{stranger.id}/resend-invitation", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 404
    assert "Stranger Danger" not in client.get("/school/people/").get_data(as_text=True)


def test_a_person_with_two_schools_switches_between_them(app, make_school, make_person):
    first, second = make_school("Alder School"), make_school("Birch School")
    person = make_person(first, Role.HEADTEACHER)
    from app.extensions import db
    from app.models import Membership

    db.session.add(
        Membership(
            user_id=person.id,
            school_id=second.id,
            role=Role.GOVERNOR,
            started_on=person.memberships[0].started_on,
        )
    )
    db.session.commit()
    colleague_in_first = make_person(first, Role.TEACHER, name="Only In Alder")
    client = app.test_client()
    sign_in(client, person)
    home = client.get("/home").get_data(as_text=True)
    assert "Working in" in home and "Alder School" in home
    assert client.get(f"/school/people/{colleague_in_first.id}").status_code == 200

    response = client.post(
        "/switch",
        data={
            "context": f"school:{second.id}",
            "next": "/home",
            "csrf_token": csrf_token_from(client.get("/home")),
        },
    )
    assert response.status_code == 302
    home = client.get("/home").get_data(as_text=True)
    assert "Governor at Birch School" in home
    # As a governor at Birch, the people list is not theirs to see, and Alder's people are not found.
    assert client.get("/school/people/").status_code == 403

    refused = client.post(
        "/switch", data={"context": "school:999999", "csrf_token": csrf_token_from(client.get("/home"))}
    )
    assert refused.status_code == 400


def test_an_officer_sees_their_organisations_schools_only(app, make_school, make_person, make_organisation):
    borough = make_organisation("Borough A")
    other = make_organisation("Borough B")
    ours = make_school("Ash Primary", organisation=borough)
    make_school("Elm Primary", organisation=other)
    officer = make_person(None, Role.LA_OFFICER, organisation=borough)
    client = app.test_client()
    sign_in(client, officer)
    home = client.get("/home").get_data(as_text=True)
    assert "Ash Primary" in home and "Elm Primary" not in home
    assert client.get("/school/people/").status_code == 403
    assert ours.id


def test_the_chair_of_governors_is_an_office_of_a_current_governor_membership(app, make_school, make_person):
    from datetime import date, timedelta

    from app.extensions import db
    from app.permissions import Office, contexts_for

    school = make_school()
    person = make_person(school, Role.GOVERNOR, Role.TEACHER)
    governor = next(m for m in person.memberships if m.role is Role.GOVERNOR)
    governor.is_chair = True
    db.session.commit()
    today = date.today()
    (context,) = contexts_for(person.memberships, today)
    assert context.offices == {Office.CHAIR_OF_GOVERNORS}
    assert context.can(Permission.LEAD_SELF_ASSESSMENT)
    assert context.may_lead_set("governance") and not context.may_lead_set("leadership")

    # A governor role that has ended carries no office, though the flag was left on it.
    governor.ended_on = today - timedelta(days=1)
    db.session.commit()
    (context,) = contexts_for(person.memberships, today)
    assert context.roles == {Role.TEACHER} and context.offices == frozenset()
    assert not context.can(Permission.LEAD_SELF_ASSESSMENT)
    assert not context.may_lead_set("governance")


def test_permission_names_are_stable():
    # Templates and later features refer to these by name.
    assert {p.value for p in Permission} >= {"take_training", "view_people", "invite_people"}


def test_no_role_is_required_to_do_what_it_cannot_open(app):
    """Every school role whose pathway requires modules, or who may be assigned one (anyone at the
    school), can open the training and keep the CPD record it earns; what `/training/` and `/cpd/`
    require is what each role is given."""
    from app.content import catalogue
    from app.models import SCHOOL_ROLES
    from app.web.cpd.routes import your_record
    from app.web.learn.routes import show_page, your_training
    from app.web.quiz.routes import start_attempt

    with app.app_context():
        pathways = catalogue().pathways
    for view in (your_training, show_page, start_attempt, your_record):
        assert view.required_permissions == frozenset({Permission.TAKE_TRAINING}), view.__name__
    cannot_train = []
    for role in SCHOOL_ROLES:
        required = pathways[role.value].required if role.value in pathways else ()
        # A leader may assign a module to anyone who works at the school, whatever their role.
        if Permission.TAKE_TRAINING not in ROLE_PERMISSIONS[role]:
            cannot_train.append((role.value, list(required)))
    assert cannot_train == []
