"""Trust between schools: joining by consent, a record that belongs to the person, who grants which role.

Each test named `test_finding_N_...` reproduces a finding of the security review on the code before
joining by consent existed (where inviting someone with an account attached them to the school at once)
and shows it closed. The rest cover the bad input around invitations and sharing, and the role-grant
table as a matrix: every granting role, every role granted, to oneself and to someone else.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.leadership import check_state, senco_rules, statutory
from app.leadership.staff_training import build_dashboard
from app.models import (
    SCHOOL_ROLES,
    AuditEvent,
    InvitationStatus,
    LedgerEntry,
    Membership,
    MembershipInvitation,
    OutboxMessage,
    Role,
    TeacherStatusRecord,
    User,
)
from app.models.quizzes import ExtraQuizAttempts
from app.people import governors, joining, staff
from app.permissions import removal_refusal
from app.records import certificates, evidence_files, external_cpd, ledger, reading, sharing, terms, writing
from app.records.ledger import EntryKind
from tests.conftest import csrf_token_from, sign_in

PDF = b"%PDF-1.4 evidence recorded at the other school"


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def date_fields(day: date) -> list[tuple[str, str]]:
    return [("started_on", str(day.day)), ("started_on", str(day.month)), ("started_on", str(day.year))]


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def invite(client, email, role="teaching_assistant", name="Name Typed By Oakfield"):
    return post_form(
        client,
        "/school/people/invite",
        [("name", name), ("email", email), ("role", role), *date_fields(date(date.today().year, 9, 1))],
    )


def latest_email(to: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
    ).first()


def invitation_link(to: str) -> str:
    return re.search(r"http://localhost(/invitations/\d+)", latest_email(to).body_text).group(1)


def memberships(user_id: int, school_id: int) -> list[Membership]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Membership).where(Membership.user_id == user_id, Membership.school_id == school_id))
    )


@pytest.fixture
def riverside_world(app, make_school, make_person):
    """Riverside's teaching assistant with a record made at Riverside: external CPD it verified, with
    evidence; a module completion whose certificate Riverside issued; a quiz; a self-assessment. And
    Riverside's SENCO, whom Riverside records as a qualified teacher. Oakfield has a head and an admin."""
    oakfield = make_school("Oakfield Primary School")
    riverside = make_school("Riverside Academy")
    world = {
        "oakfield": oakfield,
        "riverside": riverside,
        "oak_head": make_person(oakfield, Role.HEADTEACHER, name="Olu Oakhead"),
        "oak_admin": make_person(oakfield, Role.SCHOOL_ADMIN, name="Ola Oakadmin"),
        "river_head": make_person(riverside, Role.HEADTEACHER, name="Rita Riverhead"),
        "ta": make_person(riverside, Role.TEACHING_ASSISTANT, email="ta@riverside.example.org", name="Tara Twoplace"),
        "senco": make_person(
            riverside, Role.SENCO, Role.TEACHER, email="senco@riverside.example.org", started_on=date(2025, 1, 6)
        ),
    }
    ta, river_head = world["ta"], world["river_head"]
    with app.test_request_context():
        external = writing.record_external_cpd(
            user_id=ta.id,
            school_id=riverside.id,
            details=external_cpd.ExternalCpdDetails(
                title="Riverside makaton course",
                provider="Riverside trainers",
                activity_date=date(2025, 10, 1),
                minutes=120,
                category=terms.Category.COURSE,
            ),
            evidence=evidence_files.EvidenceUpload(PDF, evidence_files.EvidenceMediaType.PDF, "riverside.pdf"),
            once_key="riverside-course",
        )
        record = reading.build_record(ta)
        writing.review_external_cpd(
            reviewer_id=river_head.id,
            school=riverside,
            record=record,
            entry_id=external.id,
            seen_version_id=external.id,
            decision=terms.ReviewDecision.VERIFY,
            comment="Seen the certificate",
            once_key="riverside-verify",
        )
        module = app.extensions["catalogue"].modules["send-essentials"]
        completion = ledger.append_entry(
            user_id=ta.id,
            school_id=riverside.id,
            kind=EntryKind.MODULE_COMPLETED,
            subject_id=module.id,
            subject_version=module.version,
            payload={"minutes": module.minutes, "title": module.title},
            recorded_by_id=ta.id,
            dedupe_key="riverside-completion",
        )
        ledger.append_entry(
            user_id=ta.id,
            school_id=riverside.id,
            kind=EntryKind.QUIZ_ATTEMPTED,
            subject_id=module.id,
            payload={"score": 7, "total": 10, "passed": False, "title": "Riverside quiz attempt"},
            recorded_by_id=ta.id,
        )
        ledger.append_entry(
            user_id=ta.id,
            school_id=riverside.id,
            kind=EntryKind.SELF_ASSESSMENT_SUBMITTED,
            subject_id="ta-deployment",
            payload={"minutes": 30, "title": "Self-assessment: Riverside round", "category": "reflective_practice"},
            recorded_by_id=ta.id,
        )
        db.session.add(
            TeacherStatusRecord(
                school_id=riverside.id,
                user_id=world["senco"].id,
                qualified=True,
                induction_completed=True,
                recorded_by_id=river_head.id,
            )
        )
        db.session.commit()
    world["external"], world["completion"] = external, completion
    world["code"] = certificates.code_for(completion)
    return world


RIVERSIDE_TEXT = ("Riverside makaton course", "Riverside quiz attempt", "Riverside round", "Seen the certificate")


def _join_oakfield(app, world, role="teaching_assistant", person="ta"):
    """Oakfield's admin invites Riverside's person; they accept, signed in as themselves."""
    user = world[person]
    assert invite(signed_in(app, world["oak_admin"]), user.email, role=role).status_code == 302
    their_browser = signed_in(app, user)
    response = post_form(their_browser, invitation_link(user.email), {"answer": "accept"})
    assert response.status_code == 302
    return their_browser


# ---- finding 1: attaching another school's person by email ------------------------------------------


def test_finding_1_inviting_another_schools_person_makes_a_pending_invitation_not_a_membership(app, riverside_world):
    world = riverside_world
    ta, oakfield = world["ta"], world["oakfield"]
    response = invite(signed_in(app, world["oak_admin"]), "ta@riverside.example.org")
    assert response.status_code == 302
    assert memberships(ta.id, oakfield.id) == []
    [pending] = db.session.scalars(select(MembershipInvitation).where(MembershipInvitation.user_id == ta.id)).all()
    assert pending.status is InvitationStatus.PENDING
    message = latest_email(ta.email)
    assert message.kind == "invitation" and "accept or decline" in message.body_text

    # Until they accept, Oakfield sees "invited", with the name it typed, and nothing of theirs.
    oak_head = signed_in(app, world["oak_head"])
    listing = text(oak_head.get("/school/people/"))
    assert "Invited, waiting for them to accept" in listing and "Name Typed By Oakfield" in listing
    assert ta.name not in listing
    for url in (
        f"/school/people/{ta.id}",
        f"/cpd/people/{ta.id}",
        f"/cpd/people/{ta.id}/statement.pdf",
        f"/leaders/staff-training/people/{ta.id}",
        f"/cpd/staff-entries/{world['external'].id}/evidence",
        f"/cpd/staff-entries/{world['external'].id}/review",
        f"/cpd/staff-completions/{world['completion'].id}/void",
    ):
        assert oak_head.get(url).status_code == 404, url


def test_finding_1_a_staff_file_listing_another_schools_person_invites_them(app, riverside_world):
    world = riverside_world
    admin = signed_in(app, world["oak_admin"])
    page = admin.get("/school/people/import")
    data = b"name,email,role,start_date\nTara From The File,ta@riverside.example.org,teaching_assistant,2026-09-01\n"
    preview = admin.post(
        "/school/people/import",
        data={"csrf_token": csrf_token_from(page), "staff_file": (io.BytesIO(data), "staff.csv")},
        content_type="multipart/form-data",
    )
    reference = re.search(r'name="reference"[^>]*value="([^"]+)"', text(preview)).group(1)
    admin.post("/school/people/import/apply", data={"csrf_token": csrf_token_from(preview), "reference": reference})
    assert memberships(world["ta"].id, world["oakfield"].id) == []
    assert joining.pending_for(world["ta"])[0].school.id == world["oakfield"].id


def test_finding_1_after_joining_a_school_sees_only_its_own_part_of_the_record(app, riverside_world):
    world = riverside_world
    ta = world["ta"]
    _join_oakfield(app, world)
    assert [m.role for m in memberships(ta.id, world["oakfield"].id)] == [Role.TEACHING_ASSISTANT]

    oak_head = signed_in(app, world["oak_head"])
    page = text(oak_head.get(f"/cpd/people/{ta.id}"))
    assert ta.name in page and "they have not shared it" in page
    for riverside_text in RIVERSIDE_TEXT:
        assert riverside_text not in page
    statement = oak_head.get(f"/cpd/people/{ta.id}/statement.pdf")
    assert statement.status_code == 200 and b"makaton" not in statement.data
    # Riverside's evidence file, its CPD entry and its certificate are not Oakfield's to touch.
    external, completion = world["external"], world["completion"]
    assert oak_head.get(f"/cpd/staff-entries/{external.id}/evidence").status_code == 404
    assert oak_head.get(f"/cpd/staff-entries/{external.id}/review").status_code == 404
    assert oak_head.get(f"/cpd/staff-completions/{completion.id}/void").status_code == 404
    assert "makaton" not in text(oak_head.get("/cpd/reviews"))


def test_finding_1_a_school_cannot_reject_another_schools_cpd_entry(app, riverside_world):
    world = riverside_world
    _join_oakfield(app, world)
    oak_head = signed_in(app, world["oak_head"])
    external = world["external"]
    response = oak_head.post(
        f"/cpd/staff-entries/{external.id}/review",
        data={
            "csrf_token": csrf_token_from(oak_head.get("/cpd/reviews")),
            "decision": "reject",
            "comment": "Not ours",
            "seen_version": str(external.id),
            "once_key": "oakfield-reject",
        },
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert not db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == world["ta"].id, LedgerEntry.kind == "entry_rejected")
    ).all()
    # And the service refuses on its own, whatever route calls it.
    with app.test_request_context(), pytest.raises(Exception, match="404"):
        writing.review_external_cpd(
            reviewer_id=world["oak_head"].id,
            school=world["oakfield"],
            record=reading.build_record(world["ta"]),
            entry_id=external.id,
            seen_version_id=external.id,
            decision=terms.ReviewDecision.REJECT,
            comment="Not ours",
            once_key="service-reject",
        )


def test_finding_1_a_school_cannot_void_another_schools_certificate(app, riverside_world):
    world = riverside_world
    _join_oakfield(app, world)
    oak_head = signed_in(app, world["oak_head"])
    completion = world["completion"]
    response = oak_head.post(
        f"/cpd/staff-completions/{completion.id}/void",
        data={"csrf_token": csrf_token_from(oak_head.get("/cpd/reviews")), "reason": "Issued in error"},
    )
    assert response.status_code == 404
    # Riverside's certificate still checks as valid for anyone.
    assert app.test_client().get(f"/verify/{world['code']}").status_code == 200
    with app.test_request_context(), pytest.raises(Exception, match="404"):
        certificates.void_certificate(
            leader_id=world["oak_head"].id,
            school=world["oakfield"],
            record=reading.build_record(world["ta"]),
            completion_id=completion.id,
            reason="Issued in error",
        )


def test_finding_1_marking_qts_changes_only_the_schools_own_statutory_check(app, riverside_world):
    world = riverside_world
    senco, riverside, oakfield = world["senco"], world["riverside"], world["oakfield"]
    _join_oakfield(app, world, role="teacher", person="senco")
    catalogue = app.extensions["catalogue"]

    def senco_check(school):
        db.session.expire_all()
        checks = statutory.run_checks(catalogue, school, build_dashboard(catalogue, school.id))
        return next(check for check in checks if check.id == "senco-designated")

    assert senco_check(riverside).state is check_state.CheckState.MET
    oak_head = signed_in(app, world["oak_head"])
    response = post_form(
        oak_head,
        f"/school/people/{senco.id}/qualified-teacher",
        {"qualified_teacher": "no", "induction_completed": "unknown"},
    )
    assert response.status_code == 302
    assert senco_check(riverside).state is check_state.CheckState.MET, "Oakfield's record never changes Riverside's"
    records = {r.school_id: r.qualified for r in db.session.scalars(select(TeacherStatusRecord))}
    assert records == {riverside.id: True}
    post_form(
        oak_head,
        f"/school/people/{senco.id}/qualified-teacher",
        {"qualified_teacher": "yes", "induction_completed": "unknown"},
    )
    db.session.expire_all()
    records = {r.school_id: r.qualified for r in db.session.scalars(select(TeacherStatusRecord))}
    assert records == {riverside.id: True, oakfield.id: True}


def test_finding_1_sharing_shows_the_rest_read_only_and_stopping_hides_it_again(app, riverside_world):
    world = riverside_world
    ta, oakfield = world["ta"], world["oakfield"]
    ta_browser = _join_oakfield(app, world)
    account = ta_browser.get("/account/")
    assert "Share my CPD from other schools" in text(account)
    response = ta_browser.post(
        f"/account/sharing/{oakfield.id}", data={"csrf_token": csrf_token_from(account), "share": "yes"}
    )
    assert response.status_code == 302
    oak_head = signed_in(app, world["oak_head"])
    page = text(oak_head.get(f"/cpd/people/{ta.id}"))
    assert "Riverside makaton course" in page and "shares their CPD record from other schools" in page
    # Readable, evidence included, but Oakfield still acts only on its own.
    external, completion = world["external"], world["completion"]
    assert f"/cpd/staff-entries/{external.id}/review" not in page
    assert oak_head.get(f"/cpd/staff-entries/{external.id}/evidence").data == PDF
    assert oak_head.get(f"/cpd/staff-entries/{external.id}/review").status_code == 404
    assert oak_head.get(f"/cpd/staff-completions/{completion.id}/void").status_code == 404

    ta_browser.post(
        f"/account/sharing/{oakfield.id}",
        data={"csrf_token": csrf_token_from(ta_browser.get("/account/")), "share": "no"},
    )
    assert "Riverside makaton course" not in text(oak_head.get(f"/cpd/people/{ta.id}"))
    assert oak_head.get(f"/cpd/staff-entries/{external.id}/evidence").status_code == 404
    logged = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.school_id == oakfield.id, AuditEvent.subject_user_id == ta.id)
        .order_by(AuditEvent.id)
    ).all()
    assert logged[-2:] == ["record_shared", "record_sharing_stopped"]


def test_sharing_is_only_with_ones_own_schools(app, riverside_world):
    world = riverside_world
    ta_browser = signed_in(app, world["ta"])
    response = ta_browser.post(
        f"/account/sharing/{world['oakfield'].id}",
        data={"csrf_token": csrf_token_from(ta_browser.get("/account/")), "share": "yes"},
    )
    assert response.status_code == 404
    assert not sharing.is_shared(world["ta"].id, world["oakfield"].id)


# ---- finding 2: finding out who has an account ------------------------------------------------------


def test_finding_2_the_import_preview_says_the_same_for_an_address_with_an_account_and_without(app, riverside_world):
    world = riverside_world
    admin = signed_in(app, world["oak_admin"])

    def preview_row(email: str) -> str:
        page = admin.get("/school/people/import")
        data = f"name,email,role,start_date\nSomeone Typed,{email},teaching_assistant,2026-09-01\n".encode()
        response = admin.post(
            "/school/people/import",
            data={"csrf_token": csrf_token_from(page), "staff_file": (io.BytesIO(data), "staff.csv")},
            content_type="multipart/form-data",
        )
        body = text(response)
        return body.replace(email, "EMAIL").split("<main", 1)[1].split("</main>", 1)[0]

    with_account = preview_row("ta@riverside.example.org")
    without = preview_row("nobody.yet@riverside.example.org")
    assert world["ta"].name not in with_account
    assert "Already has an account" not in with_account and "Their name stays" not in with_account
    # The only differences are the one-time reference of the stored upload and the form's CSRF token.
    strip = lambda html: re.sub(r'value="[^"]{20,}"', 'value="SECRET"', html)  # noqa: E731
    assert strip(with_account) == strip(without)


# ---- finding 3: granting yourself a role ------------------------------------------------------------


def test_finding_3_a_school_admin_cannot_make_themselves_headteacher(app, riverside_world):
    world = riverside_world
    admin = world["oak_admin"]
    client = signed_in(app, admin)
    response = post_form(
        client,
        f"/school/people/{admin.id}/roles",
        [("roles", "school_admin"), ("roles", "headteacher"), *date_fields(date.today())],
    )
    assert response.status_code == 200
    assert "You cannot give yourself a role" in text(response)
    assert [m.role for m in memberships(admin.id, world["oakfield"].id)] == [Role.SCHOOL_ADMIN]
    assert client.get("/leaders/staff-training").status_code == 403


def test_finding_3_a_senco_cannot_grant_herself_extra_quiz_attempts(app, make_school, make_person):
    school = make_school()
    senco = make_person(school, Role.SENCO, Role.TEACHER, name="Sara Senco")
    teacher = make_person(school, Role.TEACHER, name="Tom Teacher")
    client = signed_in(app, senco)
    page = client.get("/quiz/extra-attempts")
    assert f'value="{senco.id}"' not in text(page) and f'value="{teacher.id}"' in text(page)
    once = re.search(r'name="once"[^>]*value="([^"]+)"', text(page)) or re.search(
        r'value="([^"]+)"[^>]*name="once"', text(page)
    )
    response = client.post(
        "/quiz/extra-attempts",
        data={
            "csrf_token": csrf_token_from(page),
            "once": once.group(1),
            "person": str(senco.id),
            "module": "send-essentials",
            "extra": "2",
            "reason": "For myself",
        },
    )
    assert response.status_code == 200 and "You cannot give yourself extra attempts" in text(response)
    assert db.session.scalars(select(ExtraQuizAttempts)).all() == []


# The rules as the issue states them, written out here rather than read from app/permissions.py.
HEAD_GRANTS = set(SCHOOL_ROLES)
ADMIN_GRANTS = {Role.TEACHING_ASSISTANT, Role.TEACHER, Role.GOVERNOR, Role.SEND_GOVERNOR}


def _may_grant(granter: Role, target: Role, on_self: bool) -> bool:
    if on_self:
        return False
    return target in {Role.HEADTEACHER: HEAD_GRANTS, Role.SCHOOL_ADMIN: ADMIN_GRANTS}.get(granter, set())


GRANT_CELLS = [
    (granter, target, on_self) for granter in SCHOOL_ROLES for target in SCHOOL_ROLES for on_self in (False, True)
]


@pytest.mark.parametrize(
    ("granter", "target", "on_self"),
    GRANT_CELLS,
    ids=[f"{g.value}-gives-{t.value}-{'self' if s else 'other'}" for g, t, s in GRANT_CELLS],
)
def test_who_may_grant_which_role(app, make_school, make_person, granter, target, on_self):
    school = make_school()
    make_person(school, Role.HEADTEACHER)  # so that removing a head is never refused as the last one
    by = make_person(school, granter)
    holder = by if on_self else make_person(school, Role.GOVERNOR if target is not Role.GOVERNOR else Role.TEACHER)
    person = staff.person_in_school_or_404(school, holder.id)
    wanted = {m.role for m in person.memberships} | {target}
    allowed = _may_grant(granter, target, on_self) or target in {m.role for m in person.memberships}
    with app.test_request_context():
        if allowed:
            staff.change_roles(school=school, person=person, roles=wanted, started_on=date.today(), by=by)
            assert target in {m.role for m in memberships(holder.id, school.id) if m.ended_on is None}
        else:
            with pytest.raises(staff.StaffChangeRefused):
                staff.change_roles(school=school, person=person, roles=wanted, started_on=date.today(), by=by)
            db.session.rollback()
            assert target not in {m.role for m in memberships(holder.id, school.id)}


@pytest.mark.parametrize(
    ("granter", "target", "on_self"),
    [cell for cell in GRANT_CELLS if cell[1] is not Role.HEADTEACHER or not cell[2]],
    ids=[
        f"{g.value}-removes-{t.value}-{'self' if s else 'other'}"
        for g, t, s in GRANT_CELLS
        if t is not Role.HEADTEACHER or not s
    ],
)
def test_who_may_take_which_role_away(app, make_school, make_person, granter, target, on_self):
    school = make_school()
    make_person(school, Role.HEADTEACHER)
    by = make_person(school, *({granter, target} if on_self else {granter}))
    holder = by if on_self else make_person(school, target, Role.TEACHING_ASSISTANT)
    if target is Role.TEACHING_ASSISTANT and not on_self:
        holder = make_person(school, target, Role.TEACHER)
    person = staff.person_in_school_or_404(school, holder.id)
    if on_self and granter is target:
        pytest.skip("taking away the role you act with is the same cell as the other roles you hold")
    keep = {m.role for m in person.memberships} - {target}
    may = _may_grant(granter, target, on_self=False) and not (
        on_self and target in (Role.HEADTEACHER, Role.SCHOOL_ADMIN)
    )
    with app.test_request_context():
        if may:
            staff.change_roles(school=school, person=person, roles=keep, started_on=date.today(), by=by)
        else:
            with pytest.raises(staff.StaffChangeRefused):
                staff.change_roles(school=school, person=person, roles=keep, started_on=date.today(), by=by)
            db.session.rollback()
    held_now = {m.role for m in memberships(holder.id, school.id) if m.ended_on is None or m.ended_on >= date.today()}
    assert (target not in held_now) == may


def test_a_school_always_keeps_a_headteacher(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    admin = make_person(school, Role.SCHOOL_ADMIN)
    with app.test_request_context(), pytest.raises(staff.StaffChangeRefused, match="Only a headteacher can remove"):
        staff.mark_leaver(
            school=school, person=staff.person_in_school_or_404(school, head.id), left_on=date.today(), by=admin
        )
    # Whoever asks, the last headteacher's role is never taken away.
    refusal = removal_refusal({Role.HEADTEACHER}, Role.HEADTEACHER, on_self=False, other_headteachers=0)
    assert refusal and "must keep a headteacher" in refusal
    assert removal_refusal({Role.HEADTEACHER}, Role.HEADTEACHER, on_self=False, other_headteachers=1) is None


def test_nobody_makes_themselves_chair_of_governors(app, make_school, make_person):
    school = make_school()
    head_and_governor = make_person(school, Role.HEADTEACHER, Role.GOVERNOR)
    with app.test_request_context(), pytest.raises(staff.StaffChangeRefused, match="make yourself chair"):
        governors.update_governance(
            school=school,
            person=staff.person_in_school_or_404(school, head_and_governor.id),
            term_started_on=None,
            term_ends_on=None,
            is_chair=True,
            send_governor=False,
            by=head_and_governor,
        )


def test_an_admin_is_offered_only_the_roles_they_may_give(app, make_school, make_person):
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    page = text(signed_in(app, admin).get("/school/people/invite"))
    offered = set(re.findall(r'name="role" type="radio" value="([a-z_]+)"', page)) or set(
        re.findall(r'value="([a-z_]+)"[^>]*name="role"', page)
    )
    assert offered == {role.value for role in ADMIN_GRANTS}
    response = invite(signed_in(app, admin), "new.head@example.org", role="headteacher")
    assert response.status_code == 200 and "headteacher" not in {
        i.role.value for i in db.session.scalars(select(MembershipInvitation))
    }


# ---- bad input around invitations -------------------------------------------------------------------


def test_a_stale_acceptance_link_says_it_was_answered_and_changes_nothing(app, riverside_world):
    world = riverside_world
    ta_browser = _join_oakfield(app, world)
    link = invitation_link(world["ta"].email)
    again = post_form(ta_browser, link, {"answer": "decline"}, page_url="/invitations/")
    assert again.status_code == 200 and "You have already accepted this invitation" in text(again)
    assert len(memberships(world["ta"].id, world["oakfield"].id)) == 1


def test_accepting_as_the_wrong_signed_in_person_changes_nothing(app, riverside_world):
    world = riverside_world
    invite(signed_in(app, world["oak_admin"]), world["ta"].email)
    link = invitation_link(world["ta"].email)
    someone_else = signed_in(app, world["river_head"])
    page = someone_else.get(link)
    assert page.status_code == 404 and "This invitation is not for this account" in text(page)
    assert "Oakfield" not in text(page)
    response = someone_else.post(link, data={"csrf_token": csrf_token_from(page), "answer": "accept"})
    assert response.status_code == 404
    assert memberships(world["river_head"].id, world["oakfield"].id) == []
    assert memberships(world["ta"].id, world["oakfield"].id) == []


def test_a_declined_invitation_cannot_be_accepted_later(app, riverside_world):
    world = riverside_world
    admin = signed_in(app, world["oak_admin"])
    invite(admin, world["ta"].email)
    link = invitation_link(world["ta"].email)
    ta_browser = signed_in(app, world["ta"])
    declined = post_form(ta_browser, link, {"answer": "decline"})
    assert declined.status_code == 302
    later = post_form(ta_browser, link, {"answer": "accept"}, page_url="/invitations/")
    assert "You declined this invitation" in text(later)
    assert memberships(world["ta"].id, world["oakfield"].id) == []
    # The school sees that nothing is waiting any more, and can invite again.
    assert "Name Typed By Oakfield" not in text(admin.get("/school/people/"))
    assert invite(admin, world["ta"].email).status_code == 302


def test_a_withdrawn_invitation_cannot_be_accepted(app, riverside_world):
    world = riverside_world
    admin = signed_in(app, world["oak_admin"])
    invite(admin, world["ta"].email)
    invitation = db.session.scalars(select(MembershipInvitation)).one()
    page = admin.get("/school/people/")
    admin.post(f"/school/people/invitations/{invitation.id}/withdraw", data={"csrf_token": csrf_token_from(page)})
    response = post_form(
        signed_in(app, world["ta"]), f"/invitations/{invitation.id}", {"answer": "accept"}, page_url="/invitations/"
    )
    assert "withdrew this invitation" in text(response)
    assert memberships(world["ta"].id, world["oakfield"].id) == []


def test_two_schools_invite_the_same_new_person_at_once(app, make_school, make_person):
    first, second = make_school("First School"), make_school("Second School")
    first_head, second_head = make_person(first, Role.HEADTEACHER), make_person(second, Role.HEADTEACHER)
    invite(signed_in(app, first_head), "brand.new@example.org")
    first_link = re.search(r"http://localhost(/\S+)", latest_email("brand.new@example.org").body_text).group(1)
    invite(signed_in(app, second_head), "brand.new@example.org", role="teacher")
    second_link = re.search(r"http://localhost(/\S+)", latest_email("brand.new@example.org").body_text).group(1)
    assert first_link != second_link
    newcomer = app.test_client()
    # The first school's link still works: choosing a password through it joins the first school only.
    assert newcomer.get(first_link).status_code == 200
    response = post_form(newcomer, first_link, {"password": "maple river lantern", "confirm": "maple river lantern"})
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "brand.new@example.org")).one()
    assert [m.role for m in memberships(user.id, first.id)] == [Role.TEACHING_ASSISTANT]
    assert memberships(user.id, second.id) == []
    home = text(newcomer.get("/home"))
    assert "Second School has invited you to join it" in home
    # The second link now asks them to sign in and answer, rather than setting a password again.
    again = app.test_client().get(second_link)
    assert again.status_code == 302 and "/sign-in" in again.headers["Location"]


def test_accepting_twice_at_once_joins_once(app, riverside_world):
    world = riverside_world
    invite(signed_in(app, world["oak_admin"]), world["ta"].email)
    with app.test_request_context():
        assert joining.accept(world["ta"], world["oakfield"].id)
        assert joining.accept(world["ta"], world["oakfield"].id) == []
        db.session.commit()
    assert len(memberships(world["ta"].id, world["oakfield"].id)) == 1


def test_revoking_sharing_while_a_head_has_the_record_open(app, riverside_world):
    world = riverside_world
    ta, oakfield = world["ta"], world["oakfield"]
    _join_oakfield(app, world)
    with app.test_request_context():
        sharing.set_sharing(ta, oakfield.id, True)
        db.session.commit()
    oak_head = signed_in(app, world["oak_head"])
    page = text(oak_head.get(f"/cpd/people/{ta.id}"))
    evidence_link = f"/cpd/staff-entries/{world['external'].id}/evidence"
    assert evidence_link in page
    with app.test_request_context():
        sharing.set_sharing(ta, oakfield.id, False)
        db.session.commit()
    # The page the head still has open offers the link; following it now finds nothing.
    assert oak_head.get(evidence_link).status_code == 404


def test_a_shared_senco_qualification_counts_for_the_school_it_is_shared_with(app, riverside_world):
    world = riverside_world
    senco, oakfield, riverside = world["senco"], world["oakfield"], world["riverside"]
    with app.test_request_context():
        ledger.append_entry(
            user_id=senco.id,
            school_id=riverside.id,
            kind=EntryKind.EXTERNAL_CPD_RECORDED,
            payload={
                "title": "NPQ for SENCOs",
                "date": "2025-02-01",
                "minutes": 0,
                "category": "qualification",
                "qualification": {"kind": "npq_senco", "status": "completed", "completed_on": "2026-10-01"},
            },
            occurred_at=datetime.combine(date(2025, 2, 1), time(12), tzinfo=UTC),
        )
        db.session.commit()
    # Only a headteacher gives the SENCO role: Oakfield's head invites.
    assert invite(signed_in(app, world["oak_head"]), senco.email, role="senco").status_code == 302
    post_form(signed_in(app, senco), invitation_link(senco.email), {"answer": "accept"})
    pairs = [(oakfield.id, senco.id), (riverside.id, senco.id)]
    held = senco_rules.senco_qualifications(pairs)
    assert held[(riverside.id, senco.id)] and held[(oakfield.id, senco.id)] == []
    with app.test_request_context():
        sharing.set_sharing(db.session.get(User, senco.id), oakfield.id, True)
        db.session.commit()
    assert senco_rules.senco_qualifications(pairs)[(oakfield.id, senco.id)]


def test_declining_tells_the_school_only_that_it_was_declined(app, riverside_world):
    world = riverside_world
    invite(signed_in(app, world["oak_admin"]), world["ta"].email)
    post_form(signed_in(app, world["ta"]), invitation_link(world["ta"].email), {"answer": "decline"})
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.school_id == world["oakfield"].id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["person_invited", "invitation_declined"]
    assert all(world["ta"].name not in str(e.details) for e in events)


def test_joining_by_invitation_then_the_school_adds_a_role_directly(app, riverside_world):
    world = riverside_world
    _join_oakfield(app, world)
    # Now that they work at Oakfield, another role there is the school's to give (and they are told).
    response = invite(signed_in(app, world["oak_admin"]), world["ta"].email, role="governor")
    assert response.status_code == 302
    roles = {m.role for m in memberships(world["ta"].id, world["oakfield"].id)}
    assert roles == {Role.TEACHING_ASSISTANT, Role.GOVERNOR}
    assert latest_email(world["ta"].email).kind == "role_added"


def test_a_new_person_is_told_what_joining_means_before_choosing_a_password(app, make_school, make_person):
    school = make_school("Maple School")
    head = make_person(school, Role.HEADTEACHER)
    invite(signed_in(app, head), "fresh@example.org")
    link = re.search(r"http://localhost(/\S+)", latest_email("fresh@example.org").body_text).group(1)
    page = text(app.test_client().get(link))
    assert "Choosing a password accepts that invitation" in page and "Maple School" in page
