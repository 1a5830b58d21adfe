"""Who may use each endpoint: the expected-access table that tests/test_access_matrix.py checks.

Every endpoint in the app's url_map (except `static`) must have a row here, so that adding a route
means deciding who may use it. "May use" means the request gets past the door: a 2xx or 3xx answer
(or, for a POST that the matrix sends with an empty form, a 400 from the view itself). Everyone
else gets 403 when signed in, or is sent to /sign-in when signed out (the API answers 401 instead).

This table is written from what each role is for, not derived from app/permissions.py, so that a
change to the permission table that opens or closes a page shows up as a failing test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.models import Role

ANONYMOUS = "anonymous"
SCHOOL_ROLES = tuple(role.value for role in Role if not role.is_organisation_role)
ROLES = (ANONYMOUS, *SCHOOL_ROLES, Role.LA_OFFICER.value)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
# Everyone who takes the SEND training: every school role (each has a pathway), not officers.
LEARNERS = frozenset(
    {"teaching_assistant", "teacher", "senco", "headteacher", "governor", "send_governor", "school_admin"}
)
# Those invited to answer the key questions in self-assessment: staff who teach, leaders and the board.
ANSWERS_KEY_QUESTIONS = LEARNERS - {"school_admin"}
# Leaders of the school's learning: its quiz results, and extra attempts for a person.
LEADS_LEARNING = frozenset({"senco", "headteacher"})
# Leaders who read their staff's CPD records, verify external CPD and void certificates (not admins).
REVIEWS_CPD = frozenset({"senco", "headteacher"})
# Leaders who see the staff list and each person's record.
SEES_PEOPLE = frozenset({"senco", "headteacher", "school_admin"})
# Those who invite staff and send invitations again.
INVITES_PEOPLE = frozenset({"headteacher", "school_admin"})
# Those who may open (and so lead) a self-assessment round on some set of key questions. The chair
# of governors does too (an office, not a role: tests/test_self_assessment.py covers it).
LEADS_ROUNDS = frozenset({"headteacher", "senco", "send_governor"})
# Those who read the school's agreed self-assessment positions, trend and board report.
READS_SELF_ASSESSMENT = frozenset({"headteacher", "senco", "governor", "send_governor"})
# Those who read the governing board's SEND report: the leaders and the board.
READS_BOARD_REPORT = frozenset({"headteacher", "senco", "governor", "send_governor"})
# Those who see how current the training content is (its review dates and change notes): the school's
# leaders and its administrator.
SEES_CONTENT_REVIEWS = frozenset({"senco", "headteacher", "school_admin"})
# Those who write the school's own modules and policies.
WRITES_SCHOOL_CONTENT = frozenset({"senco", "headteacher"})
# Those who keep the staff list (roles, leavers, governors' terms, imports) and answer for the school's
# personal data (a person's data, erasure, retention, the audit log).
RUNS_ADMINISTRATION = frozenset({"headteacher", "school_admin"})


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str]
    # The URL argument naming an object that belongs to a school (a person, a record...): another
    # school's object must answer 404. Its kind must be in OBJECTS below.
    object_arg: str | None = None
    # The URL argument carrying a secret sent by email; the matrix sends an invalid one, which must
    # answer 404 whoever asks.
    token_arg: str | None = None
    # URL arguments naming curriculum content (the same for every school); CONTENT below fills them.
    content_args: tuple[str, ...] = ()
    # The request ends the session (signing out): the matrix signs in again afterwards.
    ends_session: bool = False
    # For an object another school owns, of a person who works at both: the route only reads it, so
    # it opens while the person shares their record with this school (and is 'not found' otherwise).
    # A route that acts on the object (verifies, voids) is 'not found' either way.
    reads_shared: bool = False
    # What a signed-out request gets instead of being sent to /sign-in (the API: 401, in JSON).
    signed_out_status: int | None = None

    @property
    def arguments(self) -> frozenset[str]:
        return frozenset(a for a in (self.object_arg, self.token_arg, *self.content_args) if a)


ACCESS: dict[str, Access] = {
    # Public pages.
    "main.start": Access(EVERYONE),
    "main.accessibility": Access(EVERYONE),
    "main.privacy": Access(EVERYONE),
    "main.health": Access(EVERYONE),
    "auth.sign_in": Access(EVERYONE),
    "auth.forgot_password": Access(EVERYONE),
    "auth.set_password": Access(EVERYONE, token_arg="token"),
    "auth.reset_password": Access(EVERYONE, token_arg="token"),
    # Signing in with Microsoft or Google: starting, the provider's answer, and joining by invitation.
    "auth.start_provider_sign_in": Access(EVERYONE, content_args=("provider",)),
    "auth.finish_provider_sign_in": Access(EVERYONE, content_args=("provider",)),
    "auth.join_with_provider": Access(EVERYONE, content_args=("provider",)),
    # Anyone signed in, whatever their role.
    "main.home": Access(SIGNED_IN),
    "main.switch_context": Access(SIGNED_IN),
    "auth.sign_out": Access(SIGNED_IN, ends_session=True),
    # A school's people.
    "people.list_people": Access(SEES_PEOPLE),
    "people.show_person": Access(SEES_PEOPLE, object_arg="user_id"),
    "people.invite_person": Access(INVITES_PEOPLE),
    "people.resend_invitation": Access(INVITES_PEOPLE, object_arg="user_id"),
    "people.resend_pending_invitation": Access(INVITES_PEOPLE, object_arg="school_invitation_id"),
    "people.withdraw_invitation": Access(INVITES_PEOPLE, object_arg="school_invitation_id"),
    "people.list_leavers": Access(SEES_PEOPLE),
    "people.list_governors": Access(SEES_PEOPLE),
    "people.change_roles": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.change_start_date": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.change_qualified_teacher": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.change_governance": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.mark_leaver": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.rejoin": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.import_staff": Access(RUNS_ADMINISTRATION),
    "people.apply_staff_import": Access(RUNS_ADMINISTRATION),
    "people.download_import_template": Access(RUNS_ADMINISTRATION),
    "people.download_person_data": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.erase_person": Access(RUNS_ADMINISTRATION, object_arg="user_id"),
    "people.change_retention": Access(RUNS_ADMINISTRATION),
    "people.sign_in_settings": Access(RUNS_ADMINISTRATION),
    "people.audit_log": Access(RUNS_ADMINISTRATION),
    "people.download_audit_log": Access(RUNS_ADMINISTRATION),
    # Your own account: two-step sign-in and your own data, whatever your role.
    "account.your_account": Access(SIGNED_IN),
    "account.set_up_two_step": Access(SIGNED_IN),
    "account.replace_recovery_codes": Access(SIGNED_IN),
    "account.turn_off_two_step": Access(SIGNED_IN),
    "account.download_your_data": Access(SIGNED_IN),
    "account.calendar": Access(LEARNERS),
    "account.turn_off_calendar": Access(LEARNERS),
    # Removing a linked Microsoft or Google account: another person's answers 404.
    "account.remove_sign_in_account": Access(SIGNED_IN, object_arg="identity_id"),
    # Sharing one's CPD record from other schools with one of one's own schools.
    "account.change_sharing": Access(LEARNERS, object_arg="school_id"),
    # A person's own invitations to join schools: another person's answers 404.
    "invitations.list_invitations": Access(SIGNED_IN),
    "invitations.show_invitation": Access(SIGNED_IN, object_arg="invitation_id"),
    # Training.
    "learn.your_training": Access(LEARNERS),
    "learn.list_modules": Access(LEARNERS),
    "learn.glossary": Access(LEARNERS),
    "learn.search": Access(LEARNERS),
    # A person's due dates for their calendar app: the secret in the address is the key, no session.
    "learn.calendar_feed": Access(EVERYONE, token_arg="secret"),
    "learn.show_module": Access(LEARNERS, content_args=("module_id",)),
    "learn.show_page": Access(LEARNERS, content_args=("module_id", "slug")),
    "learn.finish_module": Access(LEARNERS, content_args=("module_id",)),
    "learn.emails_sent": Access(SIGNED_IN),
    # Leaders' review: staff training against the school's requirements, and the governing board's report.
    "leaders.training_content": Access(SEES_CONTENT_REVIEWS),
    "leaders.staff_training": Access(LEADS_LEARNING),
    "leaders.staff_training_csv": Access(LEADS_LEARNING),
    "leaders.person_training": Access(LEADS_LEARNING, object_arg="user_id"),
    # Staff certificates as one zip: the form, and a big request's progress page and file.
    "leaders.certificate_bundle": Access(LEADS_LEARNING),
    "leaders.certificate_bundle_progress": Access(LEADS_LEARNING, object_arg="bundle_id"),
    "leaders.certificate_bundle_download": Access(LEADS_LEARNING, object_arg="bundle_id"),
    "leaders.assign_training": Access(LEADS_LEARNING),
    "leaders.manage_requirements": Access(frozenset({"headteacher"})),
    "leaders.board_report": Access(READS_BOARD_REPORT),
    "leaders.board_report_pdf": Access(READS_BOARD_REPORT),
    # A school's own modules: another school's answers 404.
    "school_content.list_modules": Access(WRITES_SCHOOL_CONTENT),
    "school_content.new_module": Access(WRITES_SCHOOL_CONTENT),
    "school_content.show_module": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.edit_details": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.edit_page": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.remove_page": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.edit_question": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.remove_question": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.publish_module": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    "school_content.import_questions": Access(WRITES_SCHOOL_CONTENT, object_arg="school_module_id"),
    # Any module's question bank (a national one here; a school's is its own: tests/school_content).
    "school_content.download_moodle_xml": Access(WRITES_SCHOOL_CONTENT, content_args=("module_id",)),
    "school_content.download_gift": Access(WRITES_SCHOOL_CONTENT, content_args=("module_id",)),
    # A school's policies: published by its writers, read and acknowledged by anyone working there.
    "school_content.list_policies": Access(WRITES_SCHOOL_CONTENT),
    "school_content.new_policy": Access(WRITES_SCHOOL_CONTENT),
    "school_content.show_policy": Access(WRITES_SCHOOL_CONTENT, object_arg="policy_id"),
    "school_content.read_policy": Access(SIGNED_IN - {"la_officer"}, object_arg="policy_id"),
    "school_content.policy_file": Access(SIGNED_IN - {"la_officer"}, object_arg="policy_id"),
    # An organisation's schools, as aggregates.
    "la.list_schools": Access(frozenset({"la_officer"})),
    "la.schools_csv": Access(frozenset({"la_officer"})),
    # Quizzes: a learner's own attempts, and leaders' views of the school's results.
    "quiz.show_quiz": Access(LEARNERS, content_args=("module_id",)),
    "quiz.start_attempt": Access(LEARNERS, content_args=("module_id",)),
    "quiz.answer_question": Access(LEARNERS, object_arg="attempt_id", content_args=("module_id", "number")),
    "quiz.check_answers": Access(LEARNERS, object_arg="attempt_id", content_args=("module_id",)),
    "quiz.abandon_attempt": Access(LEARNERS, object_arg="attempt_id", content_args=("module_id",)),
    "quiz.show_attempt": Access(LEARNERS, object_arg="attempt_id", content_args=("module_id",)),
    "quiz.quiz_results": Access(LEADS_LEARNING),
    "quiz.quiz_result_detail": Access(LEADS_LEARNING, content_args=("module_id",)),
    "quiz.extra_attempts": Access(LEADS_LEARNING),
    # Self-assessment: rounds one is asked to answer (every learner is invited to the seeded round),
    # the lead's own pages (another person's round answers 404), the board's view, private reflection.
    "assess.list_rounds": Access(ANSWERS_KEY_QUESTIONS),
    "assess.open_round": Access(LEADS_ROUNDS),
    "assess.show_round": Access(ANSWERS_KEY_QUESTIONS, object_arg="round_id"),
    "assess.edit_response": Access(ANSWERS_KEY_QUESTIONS, object_arg="round_id"),
    "assess.edit_position": Access(LEADS_ROUNDS, object_arg="led_round_id"),
    "assess.add_action": Access(LEADS_ROUNDS, object_arg="led_round_id"),
    "assess.board_report": Access(READS_SELF_ASSESSMENT, object_arg="round_id"),
    "assess.board_report_pdf": Access(READS_SELF_ASSESSMENT, object_arg="round_id"),
    "assess.show_trend": Access(READS_SELF_ASSESSMENT),
    "assess.organisation_summary": Access(frozenset({"la_officer"})),
    "assess.reflect_on_module": Access(ANSWERS_KEY_QUESTIONS, content_args=("module_id",)),
    # The CPD record: your own, and (read-only, with verification) your staff's.
    "cpd.your_record": Access(LEARNERS),
    "cpd.add_external_cpd": Access(LEARNERS),
    "cpd.correct_external_cpd": Access(LEARNERS, object_arg="entry_id"),
    "cpd.download_evidence": Access(LEARNERS, object_arg="entry_id"),
    "cpd.download_certificate": Access(LEARNERS, content_args=("module_id",)),
    "cpd.export_csv": Access(LEARNERS),
    "cpd.download_statement": Access(LEARNERS),
    "cpd.list_reviews": Access(REVIEWS_CPD),
    "cpd.show_person_record": Access(REVIEWS_CPD, object_arg="user_id"),
    "cpd.download_person_statement": Access(REVIEWS_CPD, object_arg="user_id"),
    "cpd.review_entry": Access(REVIEWS_CPD, object_arg="staff_entry_id"),
    "cpd.download_staff_evidence": Access(REVIEWS_CPD, object_arg="staff_entry_id", reads_shared=True),
    "cpd.void_certificate": Access(REVIEWS_CPD, object_arg="completion_id"),
    "api.my_cpd": Access(LEARNERS, signed_out_status=401),
    "api.my_xapi": Access(LEARNERS, signed_out_status=401),
    # The API's OpenAPI document: it describes the API, and holds nothing of anyone's.
    "api.openapi_document": Access(EVERYONE),
    # Anyone may check a certificate's code; an unknown or forged one answers 404 "not valid".
    "certificates.verify_certificate": Access(EVERYONE, token_arg="code"),
    # Checking a certificate code or an Open Badge (pasted or uploaded).
    "certificates.verify": Access(EVERYONE),
    # A person's own Open Badge for a completed module: its page and its two downloads.
    "cpd.your_badge": Access(LEARNERS, content_args=("module_id",)),
    "cpd.download_badge_json": Access(LEARNERS, content_args=("module_id",)),
    "cpd.download_badge_jwt": Access(LEARNERS, content_args=("module_id",)),
    # Open Badges' public addresses, for verifiers. A shared badge is found by its random credential
    # id, and an issuing school by its public URN only once it has issued a badge: an unknown one
    # answers 404 whoever asks, as a token does.
    "badges.jwks": Access(EVERYONE),
    "badges.status_list": Access(EVERYONE, content_args=("list_number",)),
    "badges.achievement": Access(EVERYONE, content_args=("module_id",)),
    "badges.issuer_profile": Access(EVERYONE, token_arg="urn"),
    "badges.show_badge": Access(EVERYONE, token_arg="credential_uuid"),
    "badges.download_shared_badge": Access(EVERYONE, token_arg="credential_uuid"),
}

# Endpoints that are not pages and are left out of the table on purpose.
NOT_IN_TABLE = frozenset({"static"})


@dataclass(frozen=True)
class ObjectKind:
    """How the tests find an object of one kind among the seeded data (tests/conftest.py two_schools).

    Both are called inside an app context, when a case needs them (a case may have used up the last
    one, as abandoning a quiz attempt does): `own(person, content)` is the signed-in person's own
    object; `someone_in(school, content)` is another person's object in that school. A `personal`
    object is nobody else's business: another person's, even in the same school, answers 404.
    """

    own: Callable[[Any, dict[str, Any]], Any]
    someone_in: Callable[[Any, dict[str, Any]], Any]
    personal: bool = False
    # An object of someone the school has invited who has not joined yet: 'not found' to the school.
    invited_here: Callable[[Any, dict[str, Any]], Any] | None = None
    # An object the other school owns, of a person who works at this school too; the flag says whether
    # it is the sharer's (who shares their record with this school) or the commuter's (who does not).
    owned_elsewhere: Callable[[Any, dict[str, Any], bool], Any] | None = None


def _attempt_in_progress(user_id: int, content: dict[str, Any]) -> int:
    """The person's quiz attempt in progress at the content's module, started if there is none."""
    from app.content import catalogue
    from app.extensions import db
    from app.quizzes import attempts

    module = catalogue().modules[content["module_id"]]
    attempt, _ = attempts.start_or_resume(catalogue=catalogue(), user_id=user_id, school_id=None, module=module)
    db.session.commit()
    return attempt.id


def _school_of(person) -> int:
    """The school a seeded person works at; for an officer, the first school of their organisation."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Membership, School

    membership = db.session.scalars(select(Membership).where(Membership.user_id == person.id)).first()
    if membership.school_id is not None:
        return membership.school_id
    return db.session.scalars(select(School.id).where(School.organisation_id == membership.organisation_id)).first()


def _round_led_by(lead_id: int, school_id: int, set_id: str) -> int:
    """A round at the school on the set, led by the person, inviting every learner; opened if there is none.

    Test data: the opening rules (who may open which set) are tests/test_self_assessment.py's business,
    so any lead is let through here, the invited teacher who never signs in included.
    """
    from datetime import date, timedelta

    from sqlalchemy import select

    from app.content import catalogue
    from app.extensions import db
    from app.models import Role, School, User
    from app.self_assessment import rounds
    from app.self_assessment.models import SelfAssessmentRound

    key = f"access-table-{lead_id}-{set_id}"
    found = db.session.scalars(
        select(SelfAssessmentRound.id).where(
            SelfAssessmentRound.school_id == school_id, SelfAssessmentRound.request_key == key
        )
    ).first()
    if found is not None:
        return found
    round_ = rounds.open_round(
        school=db.session.get(School, school_id),
        lead=db.session.get(User, lead_id),
        lead_roles=frozenset(Role),
        question_set=catalogue().key_question_sets[set_id],
        closes_on=date.today() + timedelta(days=30),
        invited_roles=list(rounds.INVITABLE_ROLES),
        request_key=key,
    )
    db.session.commit()
    return round_.id


def _seeded_round(school) -> int:
    # Led by the invited teacher who never signs in, so that it is no signed-in person's own round.
    return _round_led_by(school.pending.id, school.id, "parents-carers")


def _seeded_round_of(person) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Membership, User

    school_id = _school_of(person)
    pending = db.session.scalars(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.password_hash.is_(None))
    ).first()
    return _round_led_by(pending, school_id, "parents-carers")


# The set each role that leads rounds opens its own round on (one open round per set at a school).
_LED_SETS = {"headteacher": "leadership", "senco": "ta-deployment", "send_governor": "governance"}


def _round_led_by_person(person) -> int:
    if person.role not in _LED_SETS:
        return _seeded_round_of(person)  # refused by role before the round is looked at
    return _round_led_by(person.id, _school_of(person), _LED_SETS[person.role])


def _inviting_school() -> int:
    """A third school, in no seeded organisation, that invites people (its name is no school's marker)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import School, SchoolPhase

    found = db.session.scalars(select(School.id).where(School.urn == "830003")).first()
    if found is not None:
        return found
    school = School(urn="830003", name="Neutral Inviting School", phase=SchoolPhase.PRIMARY)
    db.session.add(school)
    db.session.commit()
    return school.id


def pending_invitation(user_id: int, school_id: int) -> int:
    """A pending invitation from the school to the person, made if there is none (a case may have
    answered or withdrawn the last one)."""
    from datetime import date

    from sqlalchemy import select

    from app.extensions import db
    from app.models import InvitationStatus, MembershipInvitation, Role

    found = db.session.scalars(
        select(MembershipInvitation.id).where(
            MembershipInvitation.user_id == user_id,
            MembershipInvitation.school_id == school_id,
            MembershipInvitation.status == InvitationStatus.PENDING,
        )
    ).first()
    if found is not None:
        return found
    invitation = MembershipInvitation(
        school_id=school_id,
        user_id=user_id,
        role=Role.TEACHER,
        started_on=date(2026, 9, 1),
        invited_name="Name the school typed",
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def _invitation_at(school_id: int) -> int:
    """A pending invitation from the school to someone who does not work there (made on first use)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    email = f"invitee-{school_id}@invited.example.org"
    user_id = db.session.scalars(select(User.id).where(User.email == email)).first()
    if user_id is None:
        user = User(email=email, name="An invitee")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    return pending_invitation(user_id, school_id)


def _school_policy_of(person) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.school_content import SchoolPolicy

    return db.session.scalars(
        select(SchoolPolicy.id).where(SchoolPolicy.school_id == _school_of(person)).order_by(SchoolPolicy.id)
    ).first()


def _school_module_of(person) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.school_content import SchoolModule

    return db.session.scalars(
        select(SchoolModule.id).where(SchoolModule.school_id == _school_of(person)).order_by(SchoolModule.id)
    ).first()


def _certificate_bundle_at(school_id: int, requested_by_id: int) -> int:
    """The school's zip of its staff's certificates, built by the worker as a big request is (once),
    with the requester's completion in it so that the file holds a real certificate."""
    from sqlalchemy import select

    from app.content import catalogue
    from app.extensions import db
    from app.models import CertificateBundle, School, User
    from app.records import certificate_bundles

    ready = db.session.scalars(
        select(CertificateBundle.id).where(
            CertificateBundle.school_id == school_id, CertificateBundle.status == "ready"
        )
    ).first()
    if ready is not None:
        return ready
    _use_seeded_evidence_dir()
    seeded_module_completion(requested_by_id, sorted(catalogue().modules)[0], school_id=school_id)
    school = db.session.get(School, school_id)
    chosen = certificate_bundles.BundleFilter()
    items = certificate_bundles.staff_certificates(catalogue(), school, chosen)
    bundle = certificate_bundles.request_bundle(school, db.session.get(User, requested_by_id), chosen, len(items))
    while certificate_bundles.build_next_bundle(catalogue()) is not None:
        pass
    return bundle.id


OBJECTS: dict[str, ObjectKind] = {
    # A leader's zip of the school's certificates: another school's is 'not found'.
    "bundle_id": ObjectKind(
        own=lambda person, content: _certificate_bundle_at(_school_of(person), person.id),
        someone_in=lambda school, content: _certificate_bundle_at(school.id, school.people["headteacher"].id),
    ),
    # A school's own policy: another school's is 'not found'.
    "policy_id": ObjectKind(
        own=lambda person, content: _school_policy_of(person),
        someone_in=lambda school, content: school.school_policy_id,
    ),
    # A school's own module, which only its writers edit: another school's is 'not found'.
    "school_module_id": ObjectKind(
        own=lambda person, content: _school_module_of(person),
        someone_in=lambda school, content: school.school_module_id,
    ),
    # Someone invited who has not chosen a password: the one kind of person whose invitation can be
    # sent again, so a missing school check would show as a success rather than as a 400.
    "user_id": ObjectKind(
        own=lambda person, content: person.id,
        someone_in=lambda school, content: school.pending.id,
        invited_here=lambda school, content: school.invitee.id,
    ),
    "attempt_id": ObjectKind(
        own=lambda person, content: _attempt_in_progress(person.id, content),
        someone_in=lambda school, content: _attempt_in_progress(school.pending.id, content),
        personal=True,
    ),
    # A self-assessment round that every learner at the school was asked to answer.
    "round_id": ObjectKind(
        own=lambda person, content: _seeded_round_of(person),
        someone_in=lambda school, content: _seeded_round(school),
    ),
    # A round as its lead sees it (everyone's answers): the lead's own business.
    "led_round_id": ObjectKind(
        own=lambda person, content: _round_led_by_person(person),
        someone_in=lambda school, content: _seeded_round(school),
        personal=True,
    ),
    # External CPD with an evidence file: the person's own to correct or download...
    "entry_id": ObjectKind(
        own=lambda person, content: seeded_external_cpd(person.id),
        someone_in=lambda school, content: seeded_external_cpd(school.pending.id),
        personal=True,
    ),
    # ...and, as the same kind of entry, for the school's leaders to verify or download.
    "staff_entry_id": ObjectKind(
        own=lambda person, content: seeded_external_cpd(person.id),
        someone_in=lambda school, content: seeded_external_cpd(school.pending.id),
        owned_elsewhere=lambda school, content, shared: seeded_external_cpd(
            (school.sharer if shared else school.commuter).id, school_id=school.other_id
        ),
    ),
    # A school's pending invitation to someone, which its inviters may send again or withdraw.
    "school_invitation_id": ObjectKind(
        own=lambda person, content: _invitation_at(_school_of(person)),
        someone_in=lambda school, content: _invitation_at(school.id),
    ),
    # A school the person works at (sharing their record with it): another school is 'not found'.
    "school_id": ObjectKind(
        own=lambda person, content: _school_of(person),
        someone_in=lambda school, content: school.id,
    ),
    # An invitation to the person themselves: only they may answer it.
    "invitation_id": ObjectKind(
        own=lambda person, content: pending_invitation(person.id, _inviting_school()),
        someone_in=lambda school, content: pending_invitation(school.pending.id, _inviting_school()),
        personal=True,
    ),
    # A Microsoft or Google account linked to the person: only they may remove it.
    "identity_id": ObjectKind(
        own=lambda person, content: sign_in_link(person.id),
        someone_in=lambda school, content: sign_in_link(school.pending.id),
        personal=True,
    ),
    # A completed module, whose certificate a leader may void.
    "completion_id": ObjectKind(
        own=lambda person, content: seeded_module_completion(person.id, content["module_id"]),
        someone_in=lambda school, content: seeded_module_completion(school.pending.id, content["module_id"]),
        owned_elsewhere=lambda school, content, shared: seeded_module_completion(
            (school.sharer if shared else school.commuter).id, content["module_id"], school_id=school.other_id
        ),
    ),
}


# The seeded world's evidence files go to a folder of their own for the run, never to instance/.
_seeded_evidence_dir: list[str] = []


def _use_seeded_evidence_dir() -> None:
    import atexit
    import shutil
    import tempfile

    from flask import current_app

    if not _seeded_evidence_dir:
        _seeded_evidence_dir.append(tempfile.mkdtemp(prefix="send-ready-seeded-evidence-"))
        atexit.register(shutil.rmtree, _seeded_evidence_dir[0], True)
    current_app.config["EVIDENCE_DIR"] = _seeded_evidence_dir[0]


def seeded_external_cpd(user_id: int, school_id: int | None = None) -> int:
    """The person's external CPD entry, with a small PDF as evidence, recorded on first use (once) while
    they work at the school (by default the one they work at), which so owns it."""
    from datetime import date

    from app.extensions import db
    from app.models import EvidenceMediaType
    from app.records import evidence_files, external_cpd, terms, writing

    _use_seeded_evidence_dir()
    school_id = school_id or _school_id_of_user(user_id)
    entry = writing.record_external_cpd(
        user_id=user_id,
        school_id=school_id,
        details=external_cpd.ExternalCpdDetails(
            title="Seeded autism awareness course",
            provider="Seeded provider",
            activity_date=date(2025, 10, 1),
            minutes=90,
            category=terms.Category.COURSE,
        ),
        evidence=evidence_files.EvidenceUpload(b"%PDF-1.4 seeded evidence", EvidenceMediaType.PDF, "seeded.pdf"),
        once_key=f"seeded-by-the-access-table-{school_id}",
    )
    db.session.commit()
    return entry.id


def seeded_module_completion(user_id: int, module_id: str, school_id: int | None = None) -> int:
    """The person's completion of the module while at the school (by default the one they work at),
    recorded as the curriculum records it (once)."""
    from app.content import catalogue
    from app.extensions import db
    from app.records import ledger

    module = catalogue().modules[module_id]
    school_id = school_id or _school_id_of_user(user_id)
    entry = ledger.append_entry(
        user_id=user_id,
        school_id=school_id,
        kind=ledger.EntryKind.MODULE_COMPLETED,
        subject_id=module.id,
        subject_version=module.version,
        payload={"minutes": module.minutes, "title": module.title},
        recorded_by_id=user_id,
        dedupe_key=f"module_completed:{module.id}:{module.version}:{school_id}",
    )
    # A completion issues its Open Badge at once, as the curriculum's own completion does.
    from app.learning import issue_on_completion

    issue_on_completion(entry)
    db.session.commit()
    return entry.id


def _school_id_of_user(user_id: int) -> int | None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Membership

    return db.session.scalars(
        select(Membership.school_id).where(Membership.user_id == user_id, Membership.school_id.is_not(None))
    ).first()


def sign_in_link(user_id: int) -> int:
    """A Google account linked to the person, made if there is none (a case may have removed it)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.people.models import SignInIdentity, SignInProvider

    found = db.session.scalars(select(SignInIdentity.id).where(SignInIdentity.user_id == user_id)).first()
    if found is not None:
        return found
    identity = SignInIdentity(
        user_id=user_id,
        provider=SignInProvider.GOOGLE,
        subject=f"seeded-{user_id}",
        email=f"linked-{user_id}@example.org",
    )
    db.session.add(identity)
    db.session.commit()
    return identity.id


def content_values(app) -> dict[str, Any]:
    """Real values for URL arguments naming content: a module with pages and a quiz, its first page
    and its first question."""
    from app.content import catalogue

    with app.app_context():
        module = next(m for m in catalogue().modules.values() if m.pages and m.id in catalogue().quizzes)
    return {
        "module_id": module.id,
        "slug": module.pages[0].slug,
        "number": 1,
        "provider": "google",
        "list_number": 1,
    }


CONTENT_ARGS = frozenset({"module_id", "slug", "number", "provider", "list_number"})
