"""Self-assessment on the key questions, through the real pages: opening rounds, answering with drafts
and a version counter, closing dates, the ledger entry, the lead's agreed position and actions, the
trend, the board report and its PDF, an officer's summary, and private reflection."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import LedgerEntry, Role, User
from app.permissions import ROUND_OPENERS, Office, may_open_round
from app.records.ledger import verify_person
from app.self_assessment import answers, rounds
from app.self_assessment.models import (
    ActionStatus,
    KeyQuestionReflection,
    RatingLevel,
    ResponseStatus,
    SelfAssessmentAction,
    SelfAssessmentResponse,
    SelfAssessmentRound,
)
from tests.conftest import csrf_token_from, sign_in

BASE = "/self-assessment"
GOVERNANCE_QUESTIONS = 4


def hidden(response, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', response.get_data(as_text=True))
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def text(response) -> str:
    """The page's HTML with entities decoded, so that typed text (apostrophes and all) reads as typed."""
    return html.unescape(response.get_data(as_text=True))


@dataclass
class World:
    school: object
    other_school: object
    head: User
    senco: User
    governor: User
    second_governor: User
    send_governor: User
    ta: User
    admin: User
    officer: User
    stranger: User

    def client(self, app, person: User):
        client = app.test_client()
        sign_in(client, person)
        return client


@pytest.fixture
def world(make_school, make_person, make_organisation) -> World:
    borough = make_organisation("Ashdown Borough Council")
    elsewhere = make_organisation("Elsewhere Council")
    school = make_school("Ashdown Primary School", organisation=borough)
    other_school = make_school("Elsewhere Primary School", organisation=elsewhere)
    return World(
        school=school,
        other_school=other_school,
        head=make_person(school, Role.HEADTEACHER, name="Hana Head"),
        senco=make_person(school, Role.SENCO, Role.TEACHER, name="Sol Senco"),
        governor=make_person(school, Role.GOVERNOR, name="Gita Governor"),
        second_governor=make_person(school, Role.GOVERNOR, name="Gus Governor"),
        send_governor=make_person(school, Role.SEND_GOVERNOR, Role.GOVERNOR, name="Sam Sendgov"),
        ta=make_person(school, Role.TEACHING_ASSISTANT, name="Tia Assistant"),
        admin=make_person(school, Role.SCHOOL_ADMIN, name="Ada Admin"),
        officer=make_person(None, Role.LA_OFFICER, organisation=borough, name="Olu Officer"),
        stranger=make_person(other_school, Role.HEADTEACHER, name="Stella Stranger"),
    )


def open_round_form(client, *, set_id="governance", roles=("governor", "send_governor"), closes_on=None, key=None):
    """Open a round through the page; returns the POST's response."""
    page = client.get(f"{BASE}/rounds/new")
    closes_on = closes_on or date.today() + timedelta(days=14)
    data = MultiDict(
        [
            ("csrf_token", csrf_token_from(page)),
            ("request_key", key if key is not None else hidden(page, "request_key")),
            ("set_id", set_id),
            *[("invited_roles", role) for role in roles],
            ("closes_on", str(closes_on.day)),
            ("closes_on", str(closes_on.month)),
            ("closes_on", str(closes_on.year)),
        ]
    )
    return client.post(f"{BASE}/rounds/new", data=data)


def latest_round() -> SelfAssessmentRound:
    db.session.expire_all()
    return db.session.scalars(select(SelfAssessmentRound).order_by(SelfAssessmentRound.id.desc())).first()


def answers_form(page, ratings, *, evidence="", next_step="", button="save_draft") -> MultiDict:
    data = MultiDict([("csrf_token", csrf_token_from(page)), ("version", hidden(page, "version")), (button, "y")])
    for number, rating in enumerate(ratings, start=1):
        if rating:
            data[f"rating_{number}"] = rating
        data[f"evidence_{number}"] = evidence.format(number=number)
        data[f"next_step_{number}"] = next_step.format(number=number)
    return data


def response_of(user: User, round_id: int) -> SelfAssessmentResponse:
    db.session.expire_all()
    return db.session.scalars(
        select(SelfAssessmentResponse).where(
            SelfAssessmentResponse.user_id == user.id, SelfAssessmentResponse.round_id == round_id
        )
    ).one()


def submissions(user: User) -> list[LedgerEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user.id, LedgerEntry.kind == "self_assessment_submitted")
        )
    )


def submit_answers(client, round_id: int, ratings, evidence="Evidence {number}."):
    url = f"{BASE}/rounds/{round_id}/response"
    page = client.get(url)
    return client.post(url, data=answers_form(page, ratings, evidence=evidence, button="submit_answers"))


def agree_position(client, round_id: int, ratings, evidence="Agreed evidence {number}.", statuses=None):
    url = f"{BASE}/rounds/{round_id}/position"
    page = client.get(url)
    data = MultiDict([("csrf_token", csrf_token_from(page)), ("version", hidden(page, "version"))])
    for number, rating in enumerate(ratings, start=1):
        if rating:
            data[f"rating_{number}"] = rating
        data[f"evidence_{number}"] = evidence.format(number=number)
    for action_id, status in (statuses or {}).items():
        data[f"action_{action_id}"] = status
    # Every action on the page keeps its status unless the test says otherwise.
    for action_id in re.findall(r'name="action_(\d+)"', text(page)):
        if f"action_{action_id}" not in data:
            data[f"action_{action_id}"] = db.session.get(SelfAssessmentAction, int(action_id)).status.value
    return client.post(url, data=data)


def add_action_form(
    client,
    round_id: int,
    *,
    question=1,
    what="Review the SEND policy with the board.",
    owner="SEND governor",
    due=None,
    status="not_started",
    key=None,
):
    url = f"{BASE}/rounds/{round_id}/actions/new"
    page = client.get(url)
    round_ = db.session.get(SelfAssessmentRound, round_id)
    due = due or date.today() + timedelta(days=60)
    data = MultiDict(
        [
            ("csrf_token", csrf_token_from(page)),
            ("request_key", key if key is not None else hidden(page, "request_key")),
            ("question_id", round_.questions[question - 1]["id"]),
            ("description", what),
            ("owner", owner),
            ("due_on", str(due.day)),
            ("due_on", str(due.month)),
            ("due_on", str(due.year)),
            ("status", status),
        ]
    )
    return client.post(url, data=data)


@pytest.fixture
def governance_round(app, world):
    """An open governance round led by the SEND governor, every governor invited."""
    client = world.client(app, world.send_governor)
    response = open_round_form(client)
    assert response.status_code == 302, text(response)[:2000]
    return client, latest_round()


# ---- who may open which set -----------------------------------------------------------------------


def test_the_permission_table_says_who_opens_each_set(app):
    catalogue = app.extensions["catalogue"]
    assert set(ROUND_OPENERS) == set(catalogue.key_question_sets)
    assert may_open_round(frozenset({Role.SEND_GOVERNOR}), "governance")
    assert not may_open_round(frozenset({Role.SEND_GOVERNOR}), "leadership")
    assert may_open_round(frozenset({Role.SENCO}), "ta-deployment")
    assert not may_open_round(frozenset({Role.SENCO}), "governance")
    assert not may_open_round(frozenset({Role.GOVERNOR, Role.TEACHER}), "governance")
    # The chair of governors (an office held with the governor role) opens the board's set, and no other.
    chair = frozenset({Office.CHAIR_OF_GOVERNORS})
    assert may_open_round(frozenset({Role.GOVERNOR}), "governance", chair)
    for set_id in ("leadership", "ta-deployment", "parents-carers", "a-new-set"):
        assert not may_open_round(frozenset({Role.GOVERNOR}), set_id, chair), set_id
    # A set the content adds later is opened by the school's leaders.
    assert may_open_round(frozenset({Role.HEADTEACHER}), "a-new-set")
    assert not may_open_round(frozenset({Role.SEND_GOVERNOR}), "a-new-set")


def test_each_leader_is_offered_only_the_sets_their_role_opens(app, world):
    offered = {}
    for person in (world.head, world.senco, world.send_governor):
        body = text(world.client(app, person).get(f"{BASE}/rounds/new"))
        offered[person.name] = set(re.findall(r'name="set_id" type="radio" value="([a-z-]+)"', body))
    assert offered["Hana Head"] == {"governance", "leadership", "ta-deployment", "parents-carers"}
    assert offered["Sol Senco"] == {"leadership", "ta-deployment", "parents-carers"}
    assert offered["Sam Sendgov"] == {"governance"}
    for person in (world.governor, world.ta, world.admin, world.officer):
        assert world.client(app, person).get(f"{BASE}/rounds/new").status_code == 403


def test_a_set_outside_the_role_is_refused_even_if_posted(app, world):
    client = world.client(app, world.senco)
    response = open_round_form(client, set_id="governance", roles=("governor",))
    assert response.status_code == 200
    assert "Select which key questions the round is on" in text(response)
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 0


# ---- the chair of governors ---------------------------------------------------------------------


def record_offices(app, world, governor: User, offices=()) -> None:
    """The headteacher records a governor's offices on the governors' page ("chair" or none)."""
    head = world.client(app, world.head)
    url = f"/school/people/{governor.id}/governance"
    data = MultiDict([("csrf_token", csrf_token_from(head.get(url))), *[("offices", office) for office in offices]])
    assert head.post(url, data=data).status_code == 302


def test_the_chair_of_governors_opens_and_leads_a_governance_round(app, world):
    record_offices(app, world, world.governor, ["chair"])
    chair = world.client(app, world.governor)
    assert "Open a round" in text(chair.get(f"{BASE}/"))
    offered = set(re.findall(r'name="set_id" type="radio" value="([a-z-]+)"', text(chair.get(f"{BASE}/rounds/new"))))
    assert offered == {"governance"}
    opened = open_round_form(chair, roles=("governor", "send_governor"))
    assert opened.status_code == 302, text(opened)[:2000]
    round_ = latest_round()
    assert round_.set_id == "governance" and round_.lead_id == world.governor.id
    page = text(chair.get(f"{BASE}/rounds/{round_.id}"))
    assert "Leading this round" in page and "See the answers and record the agreed position" in page

    # Everything a lead does, for this round: the answers, actions and the agreed position.
    submit_answers(
        world.client(app, world.second_governor), round_.id, ["developing"] * 4, evidence="Gus saw {number}."
    )
    position = text(chair.get(f"{BASE}/rounds/{round_.id}/position"))
    assert "Gus Governor: Developing" in position and "Gus saw 1." in position
    assert add_action_form(chair, round_.id, what="Chair to review SEND at every meeting.").status_code == 302
    assert agree_position(chair, round_.id, ["developing"] * 4, evidence="Chair agreed {number}.").status_code == 302
    db.session.expire_all()
    assert db.session.get(SelfAssessmentRound, round_.id).position_agreed_by_id == world.governor.id
    board = text(world.client(app, world.second_governor).get(f"{BASE}/rounds/{round_.id}"))
    assert "Chair agreed 2." in board and "Chair to review SEND at every meeting." in board


def test_a_governor_who_is_not_the_chair_cannot_open_or_lead_a_round(app, world):
    record_offices(app, world, world.governor, ["chair"])
    chair = world.client(app, world.governor)
    assert open_round_form(chair).status_code == 302
    round_ = latest_round()
    governor = world.client(app, world.second_governor)
    assert "Open a round" not in text(governor.get(f"{BASE}/"))
    assert governor.get(f"{BASE}/rounds/new").status_code == 403
    page = governor.get(f"{BASE}/")
    refused = governor.post(f"{BASE}/rounds/new", data={"csrf_token": csrf_token_from(page)})
    assert refused.status_code == 403
    for path in ("/position", "/actions/new"):
        assert governor.get(f"{BASE}/rounds/{round_.id}{path}").status_code == 403, path
    assert "Leading this round" not in text(governor.get(f"{BASE}/rounds/{round_.id}"))
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 1


def test_the_chair_leads_no_other_set(app, world):
    record_offices(app, world, world.governor, ["chair"])
    chair = world.client(app, world.governor)
    refused = open_round_form(chair, set_id="leadership", roles=("headteacher", "senco"))
    assert refused.status_code == 200
    assert "Select which key questions the round is on" in text(refused)
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 0
    # A leadership round recorded as theirs (as if they had once held a role that opens it) is not
    # theirs to lead as chair: the office leads the board's set alone.
    leadership = rounds.open_round(
        school=world.school,
        lead=world.governor,
        lead_roles=frozenset({Role.HEADTEACHER}),
        question_set=app.extensions["catalogue"].key_question_sets["leadership"],
        closes_on=date.today() + timedelta(days=14),
        invited_roles=[Role.HEADTEACHER, Role.SENCO],
        request_key="led-before",
    )
    db.session.commit()
    for path in ("/position", "/actions/new"):
        assert chair.get(f"{BASE}/rounds/{leadership.id}{path}").status_code == 403, path
    page = text(chair.get(f"{BASE}/rounds/{leadership.id}"))
    assert "Leading this round" not in page and "record the agreed position" not in page


def test_a_chair_who_stands_down_no_longer_opens_or_leads(app, world):
    record_offices(app, world, world.governor, ["chair"])
    chair = world.client(app, world.governor)
    assert open_round_form(chair).status_code == 302
    round_ = latest_round()
    assert chair.get(f"{BASE}/rounds/{round_.id}/position").status_code == 200

    record_offices(app, world, world.governor, [])
    assert "Open a round" not in text(chair.get(f"{BASE}/"))
    assert chair.get(f"{BASE}/rounds/new").status_code == 403
    for path in ("/position", "/actions/new"):
        assert chair.get(f"{BASE}/rounds/{round_.id}{path}").status_code == 403, path
    page = text(chair.get(f"{BASE}/rounds/{round_.id}"))
    assert "Leading this round" not in page and "record the agreed position" not in page

    # Choosing another chair stands the first down, and the new chair may open rounds.
    record_offices(app, world, world.governor, ["chair"])
    record_offices(app, world, world.second_governor, ["chair"])
    assert chair.get(f"{BASE}/rounds/new").status_code == 403
    assert world.client(app, world.second_governor).get(f"{BASE}/rounds/new").status_code == 200


def test_the_chair_of_one_board_is_an_ordinary_governor_at_another_school(app, world):
    from app.models import Membership

    record_offices(app, world, world.governor, ["chair"])
    db.session.add(
        Membership(
            user_id=world.governor.id, school_id=world.other_school.id, role=Role.GOVERNOR, started_on=date(2024, 9, 1)
        )
    )
    db.session.commit()
    client = world.client(app, world.governor)
    assert client.get(f"{BASE}/rounds/new").status_code == 200  # at Ashdown, where they chair the board
    switched = client.post(
        "/switch",
        data={"context": f"school:{world.other_school.id}", "csrf_token": csrf_token_from(client.get("/home"))},
    )
    assert switched.status_code == 302
    assert "Elsewhere Primary School" in text(client.get(f"{BASE}/"))
    assert "Open a round" not in text(client.get(f"{BASE}/"))
    assert client.get(f"{BASE}/rounds/new").status_code == 403


# ---- opening a round ----------------------------------------------------------------------------


def test_opening_a_round_invites_everyone_holding_the_roles(app, world, governance_round):
    client, round_ = governance_round
    invited = {response.user_id for response in round_.responses}
    assert invited == {world.governor.id, world.second_governor.id, world.send_governor.id}
    assert round_.lead_id == world.send_governor.id
    assert round_.set_id == "governance" and len(round_.questions) == GOVERNANCE_QUESTIONS
    page = text(client.get(f"{BASE}/rounds/{round_.id}"))
    assert "0 of 3" in page and "Governor, SEND governor" in page
    assert "See the answers and record the agreed position" in page
    # The TA was not asked and does not read the school's self-assessment: the round is not theirs.
    assert world.client(app, world.ta).get(f"{BASE}/rounds/{round_.id}").status_code == 404


def test_the_same_form_sent_twice_opens_one_round(app, world):
    client = world.client(app, world.head)
    first = open_round_form(client, key="one-time-key")
    again = open_round_form(client, key="one-time-key")
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 1
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentResponse)) == 3


def test_one_round_per_set_is_open_at_a_time(app, world, governance_round):
    response = open_round_form(world.client(app, world.head), set_id="governance")
    assert response.status_code == 200
    assert "A round on Governance is already open until" in text(response)
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 1


def test_bad_input_when_opening_shows_the_error_summary_and_keeps_the_input(app, world):
    client = world.client(app, world.head)
    past = date.today() - timedelta(days=1)
    response = open_round_form(client, set_id="leadership", roles=("senco", "headteacher"), closes_on=past)
    body = text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in body and "<title>Error: " in body
    assert "Closing date must be today or in the future" in body
    assert re.search(r'value="leadership" checked', body) or re.search(r'checked[^>]*value="leadership"', body)
    assert re.search(r'name="invited_roles" type="checkbox" value="senco" checked', body)
    assert f'value="{past.year}"' in body

    empty = open_round_form(client, set_id="", roles=())
    assert "Select which key questions the round is on" in text(empty)
    assert "Select who should answer" in text(empty)
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 0


def test_a_round_with_no_one_to_ask_is_refused(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    client = app.test_client()
    sign_in(client, head)
    response = open_round_form(client, set_id="governance", roles=("governor",))
    assert response.status_code == 200
    assert "No one at" in text(response) and "is a governor today" in text(response)


# ---- answering ----------------------------------------------------------------------------------


def test_an_invited_governor_drafts_then_submits_once_and_it_goes_on_the_ledger(app, world, governance_round):
    _, round_ = governance_round
    client = world.client(app, world.governor)
    url = f"{BASE}/rounds/{round_.id}/response"
    page = client.get(url)
    body = text(page)
    first_question = round_.questions[0]
    assert first_question["text"] in body
    assert first_question["levels"]["embedded"] in body  # the level descriptors are the hints

    draft = client.post(url, data=answers_form(page, ["developing", None, None, None], evidence="Seen {number}."))
    assert draft.status_code == 302 and draft.headers["Location"].endswith("/response")
    assert response_of(world.governor, round_.id).status is ResponseStatus.DRAFT
    again = client.get(url)
    assert "Seen 1." in text(again) and 'value="developing" checked' in text(again)
    assert submissions(world.governor) == []

    done = client.post(
        url,
        data=answers_form(
            again,
            ["developing", "established", "embedded", "not_yet"],
            evidence="Evidence {number}.",
            button="submit_answers",
        ),
    )
    assert done.status_code == 302
    assert "40 minutes of reflective practice" in text(client.get(done.headers["Location"]))
    response = response_of(world.governor, round_.id)
    assert response.status is ResponseStatus.SUBMITTED and response.submitted_at is not None
    [entry] = submissions(world.governor)
    assert entry.payload["minutes"] == GOVERNANCE_QUESTIONS * rounds.MINUTES_PER_QUESTION
    assert entry.payload["category"] == "reflective_practice"
    assert entry.payload["round_id"] == round_.id and entry.subject_id == "governance"
    assert entry.dedupe_key == f"self_assessment_submitted:{round_.id}"

    # A second click on Submit, and a save from an old tab, change nothing and record nothing more.
    retry = client.post(url, data=answers_form(again, ["embedded"] * 4, button="submit_answers"))
    assert retry.status_code == 302
    assert len(submissions(world.governor)) == 1
    answers = {a.question_id: a.rating for a in response_of(world.governor, round_.id).answers}
    assert answers[first_question["id"]] is RatingLevel.DEVELOPING
    assert verify_person(world.governor.id) is None
    shown = text(client.get(url))
    assert "You submitted these answers on" in shown and "Evidence 1." in shown


def test_the_ledger_entry_is_appended_once_even_if_recording_runs_twice(app, world, governance_round):
    _, round_ = governance_round
    assert submit_answers(world.client(app, world.governor), round_.id, ["developing"] * 4).status_code == 302
    response = response_of(world.governor, round_.id)
    again = answers.record_submission(round_, response)
    db.session.commit()
    assert [entry.id for entry in submissions(world.governor)] == [again.id]


def test_submitting_without_every_rating_or_with_too_much_text_is_refused_and_keeps_the_input(
    app, world, governance_round
):
    _, round_ = governance_round
    client = world.client(app, world.governor)
    url = f"{BASE}/rounds/{round_.id}/response"
    page = client.get(url)
    missing = client.post(
        url,
        data=answers_form(
            page, ["established", None, "developing", None], evidence="Kept {number}.", button="submit_answers"
        ),
    )
    body = text(missing)
    assert missing.status_code == 200 and "<title>Error: " in body
    assert "Select a rating for question 2" in body and "Select a rating for question 4" in body
    assert 'href="#rating_2"' in body
    assert "Kept 3." in body and 'value="established" checked' in body
    assert response_of(world.governor, round_.id).status is ResponseStatus.NOT_STARTED

    too_long = answers_form(page, ["established"] * 4, button="save_draft")
    too_long["evidence_2"] = "x" * (rounds.MAX_EVIDENCE + 1)
    refused = client.post(url, data=too_long)
    assert refused.status_code == 200
    assert "Evidence for question 2 must be 2,000 characters or fewer" in text(refused)
    assert "x" * 50 in text(refused)
    assert submissions(world.governor) == []


def test_a_stale_save_is_refused_and_both_texts_stay_visible(app, world, governance_round):
    _, round_ = governance_round
    client = world.client(app, world.governor)
    url = f"{BASE}/rounds/{round_.id}/response"
    first_tab = client.get(url)
    second_tab = client.get(url)
    saved = client.post(url, data=answers_form(first_tab, ["established"] * 4, evidence="From the first tab {number}."))
    assert saved.status_code == 302

    stale = client.post(url, data=answers_form(second_tab, ["not_yet"] * 4, evidence="From the second tab {number}."))
    body = text(stale)
    assert stale.status_code == 200 and "<title>Error: " in body
    assert "changed somewhere else since you opened this page" in body
    assert "From the second tab 1." in body  # what they typed, kept in the form
    assert "The newer saved answer" in body and "From the first tab 1." in body  # and the newer text beside it
    stored = response_of(world.governor, round_.id)
    assert stored.version == 1
    assert {answer.evidence for answer in stored.answers} == {f"From the first tab {n}." for n in range(1, 5)}

    # Saving again from the refreshed page builds on the newer version, knowingly.
    retry = MultiDict(answers_form(stale, ["not_yet"] * 4, evidence="Merged {number}."))
    assert retry["version"] == "1"
    assert client.post(url, data=retry).status_code == 302
    assert {a.evidence for a in response_of(world.governor, round_.id).answers} == {f"Merged {n}." for n in range(1, 5)}


def test_after_the_closing_date_answers_are_refused_and_the_draft_kept(app, world, governance_round):
    _, round_ = governance_round
    client = world.client(app, world.governor)
    url = f"{BASE}/rounds/{round_.id}/response"
    page = client.get(url)
    assert client.post(url, data=answers_form(page, ["developing"] * 4, evidence="Draft {number}.")).status_code == 302
    open_page = client.get(url)
    db.session.execute(
        update(SelfAssessmentRound)
        .where(SelfAssessmentRound.id == round_.id)
        .values(closes_on=date.today() - timedelta(days=1))
    )
    db.session.commit()

    late = client.post(
        url, data=answers_form(open_page, ["embedded"] * 4, evidence="Late {number}.", button="submit_answers")
    )
    body = text(late)
    assert late.status_code == 200 and "<title>Error: " in body
    assert "This round closed on" in body and "Your saved draft has been kept" in body
    assert "Late 1." in body
    stored = response_of(world.governor, round_.id)
    assert stored.status is ResponseStatus.DRAFT
    assert {a.evidence for a in stored.answers} == {f"Draft {n}." for n in range(1, 5)}
    assert submissions(world.governor) == []
    closed = text(client.get(url))
    assert "answers can no longer be saved or submitted" in closed and "Draft 1." in closed
    assert 'name="submit_answers"' not in closed


def test_a_round_keeps_the_questions_as_they_were_asked(app, world, governance_round, monkeypatch):
    _, round_ = governance_round
    catalogue = app.extensions["catalogue"]
    original = catalogue.key_question_sets["governance"]
    reworded = dataclasses.replace(
        original,
        questions=tuple(dataclasses.replace(q, text=f"Reworded: {q.text}") for q in original.questions),
    )
    changed = dataclasses.replace(catalogue, key_question_sets={**catalogue.key_question_sets, "governance": reworded})
    monkeypatch.setitem(app.extensions, "catalogue", changed)
    body = text(world.client(app, world.governor).get(f"{BASE}/rounds/{round_.id}/response"))
    assert original.questions[0].text in body and "Reworded:" not in body


# ---- who sees what --------------------------------------------------------------------------------


def test_another_schools_round_is_not_found(app, world, governance_round):
    _, round_ = governance_round
    stranger = world.client(app, world.stranger)
    for path in ("", "/response", "/report", "/report.pdf", "/position", "/actions/new"):
        assert stranger.get(f"{BASE}/rounds/{round_.id}{path}").status_code == 404, path
    page = stranger.get(f"{BASE}/")
    response = stranger.post(f"{BASE}/rounds/{round_.id}/position", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 404
    assert "Ashdown" not in text(stranger.get(f"{BASE}/"))


def test_only_the_lead_sees_individual_answers(app, world, governance_round):
    lead, round_ = governance_round
    submit_answers(world.client(app, world.governor), round_.id, ["developing"] * 4, evidence="Gita saw {number}.")
    position = text(lead.get(f"{BASE}/rounds/{round_.id}/position"))
    assert "Gita Governor: Developing" in position and "Gita saw 1." in position
    assert "Gus Governor" in position and "Not started" in position  # who has not answered yet

    # Another leader at the school (who could lead rounds of their own) is told it is not found.
    head = world.client(app, world.head)
    assert head.get(f"{BASE}/rounds/{round_.id}/position").status_code == 404
    assert head.get(f"{BASE}/rounds/{round_.id}/actions/new").status_code == 404
    # The board, the headteacher and the officer never see who said what.
    for person in (world.head, world.second_governor):
        client = world.client(app, person)
        for path in ("", "/report"):
            body = text(client.get(f"{BASE}/rounds/{round_.id}{path}"))
            assert "Gita saw" not in body and "Gita Governor" not in body, (person.name, path)
    for person in (world.governor, world.ta):
        assert world.client(app, person).get(f"{BASE}/rounds/{round_.id}/position").status_code == 403
    officer = world.client(app, world.officer)
    assert officer.get(f"{BASE}/rounds/{round_.id}").status_code == 403
    assert officer.get(f"{BASE}/rounds/{round_.id}/report").status_code == 403


def test_drafts_stay_with_their_author_until_submitted(app, world, governance_round):
    lead, round_ = governance_round
    client = world.client(app, world.governor)
    url = f"{BASE}/rounds/{round_.id}/response"
    client.post(url, data=answers_form(client.get(url), ["embedded"] * 4, evidence="Private draft {number}."))
    position = text(lead.get(f"{BASE}/rounds/{round_.id}/position"))
    assert "Private draft" not in position and "Draft saved" in position


# ---- the agreed position and actions -------------------------------------------------------------


def test_the_lead_records_the_position_and_actions_that_carry_over(app, world, governance_round):
    lead, round_ = governance_round
    submit_answers(world.client(app, world.governor), round_.id, ["developing", "not_yet", "developing", "developing"])

    missing = agree_position(lead, round_.id, ["developing", None, "developing", "developing"])
    assert missing.status_code == 200 and "Select the agreed rating for question 2" in text(missing)
    assert "Agreed evidence 3." in text(missing)

    no_owner = add_action_form(lead, round_.id, owner="", what="Train the SEND governor.")
    body = text(no_owner)
    assert no_owner.status_code == 200 and "Enter who owns this action" in body
    assert "Train the SEND governor." in body and "<title>Error: " in body
    past = add_action_form(lead, round_.id, due=date.today() - timedelta(days=3))
    assert "Due date must be today or in the future" in text(past)

    assert add_action_form(lead, round_.id, question=2, what="Train the SEND governor.", key="k1").status_code == 302
    assert add_action_form(lead, round_.id, question=2, what="Train the SEND governor.", key="k1").status_code == 302
    assert add_action_form(lead, round_.id, question=1, what="Termly SEND report to the board.").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentAction)) == 2

    agreed = agree_position(lead, round_.id, ["developing", "not_yet", "developing", "developing"])
    assert agreed.status_code == 302
    page = text(lead.get(f"{BASE}/rounds/{round_.id}"))
    assert "Agreed evidence 2." in page and "Train the SEND governor." in page

    # The round closes; the next one shows the previous position beside its own, and the open actions.
    db.session.execute(
        update(SelfAssessmentRound)
        .where(SelfAssessmentRound.id == round_.id)
        .values(closes_on=date.today() - timedelta(days=1), opened_at=round_.opened_at - timedelta(days=200))
    )
    db.session.commit()
    training = db.session.scalars(
        select(SelfAssessmentAction).where(SelfAssessmentAction.description == "Train the SEND governor.")
    ).one()
    assert open_round_form(lead).status_code == 302
    second = latest_round()
    assert second.previous_round_id == round_.id
    submit_answers(world.client(app, world.governor), second.id, ["established", "developing", "developing", "not_yet"])
    done = agree_position(
        lead, second.id, ["established", "developing", "developing", "not_yet"], statuses={training.id: "done"}
    )
    assert done.status_code == 302
    body = text(world.client(app, world.second_governor).get(f"{BASE}/rounds/{second.id}"))
    assert "Up 1 level" in body and "No change" in body and "Down 1 level" in body
    assert "Previous round" in body
    assert "Termly SEND report to the board." in body and "Train the SEND governor." in body
    db.session.expire_all()
    assert db.session.get(SelfAssessmentAction, training.id).status is ActionStatus.DONE
    assert db.session.get(SelfAssessmentAction, training.id).completed_at is not None

    # The trend: both rounds, in a table behind the chart.
    trend = text(world.client(app, world.governor).get(f"{BASE}/trend"))
    assert "<svg" in trend and 'role="img"' in trend and "<polyline" in trend
    assert re.search(r"Q1\. .*?</th>\s*<td[^>]*>Developing</td>\s*<td[^>]*>Established</td>", trend, re.S)
    assert trend.count("<caption") == 1


def test_a_stale_position_save_is_refused_and_the_newer_one_shown(app, world, governance_round):
    lead, round_ = governance_round
    url = f"{BASE}/rounds/{round_.id}/position"
    old_tab = lead.get(url)
    assert agree_position(lead, round_.id, ["embedded"] * 4, evidence="Newer {number}.").status_code == 302
    data = MultiDict([("csrf_token", csrf_token_from(old_tab)), ("version", hidden(old_tab, "version"))])
    for number in range(1, GOVERNANCE_QUESTIONS + 1):
        data[f"rating_{number}"] = "not_yet"
        data[f"evidence_{number}"] = f"Older {number}."
    stale = lead.post(url, data=data)
    body = text(stale)
    assert stale.status_code == 200 and "The position was saved somewhere else" in body
    assert "Older 1." in body and "Newer 1." in body and "The newer saved position" in body
    db.session.expire_all()
    assert {p.evidence for p in db.session.get(SelfAssessmentRound, round_.id).positions} == {
        f"Newer {n}." for n in range(1, 5)
    }


# ---- for the board --------------------------------------------------------------------------------


def test_the_board_report_page_and_pdf_show_the_position_and_no_individual_answers(app, world, governance_round):
    lead, round_ = governance_round
    submit_answers(
        world.client(app, world.governor), round_.id, ["developing"] * 4, evidence="Only Gita wrote {number}."
    )
    add_action_form(lead, round_.id, what="Put SEND on every full board agenda.", owner="Chair of governors")
    agree_position(
        lead,
        round_.id,
        ["developing", "established", "developing", "not_yet"],
        evidence="The board agreed point {number}.",
    )

    board = world.client(app, world.second_governor)
    page = text(board.get(f"{BASE}/rounds/{round_.id}/report"))
    assert "Board report: Governance self-assessment" in page
    assert "The board agreed point 1." in page and "Put SEND on every full board agenda." in page
    assert "Only Gita wrote" not in page and "Gita Governor" not in page

    response = board.get(f"{BASE}/rounds/{round_.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    extracted = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    words = " ".join(extracted.split())
    assert "Governance self-assessment" in words and "Ashdown Primary School" in words
    assert "The board agreed point 1." in words and "Put SEND on every full board agenda." in words
    assert round_.questions[0]["text"][:40] in words
    assert "Only Gita wrote" not in words and "Gita Governor" not in words

    for person in (world.ta, world.admin, world.officer):
        assert world.client(app, person).get(f"{BASE}/rounds/{round_.id}/report.pdf").status_code == 403


def test_an_officer_sees_agreed_positions_of_their_schools_only(app, world, governance_round, make_person):
    lead, round_ = governance_round
    submit_answers(
        world.client(app, world.governor), round_.id, ["developing"] * 4, evidence="Gita's own words {number}."
    )
    agree_position(lead, round_.id, ["established"] * 4, evidence="Agreed {number}.")
    stranger_round_client = world.client(app, world.stranger)
    make_person(world.other_school, Role.GOVERNOR, name="Far Governor")
    assert open_round_form(stranger_round_client, roles=("governor",)).status_code == 302

    body = text(world.client(app, world.officer).get(f"{BASE}/organisation"))
    assert "Ashdown Primary School" in body and "Established" in body
    assert "Elsewhere Primary School" not in body
    assert "Gita" not in body and "own words" not in body
    assert world.client(app, world.head).get(f"{BASE}/organisation").status_code == 403


# ---- private reflection ---------------------------------------------------------------------------


def test_private_reflections_are_the_persons_own(app, world):
    module = app.extensions["catalogue"].modules["send-governor"]
    url = f"{BASE}/reflections/{module.id}"
    client = world.client(app, world.governor)
    page = client.get(url)
    data = MultiDict([("csrf_token", csrf_token_from(page))])
    for number in range(1, len(module.key_question_ids) + 1):
        data[f"version_{number}"] = hidden(page, f"version_{number}")
        data[f"notes_{number}"] = f"My private thought {number}."
    data["rating_1"] = "developing"
    assert client.post(url, data=data).status_code == 302
    assert "My private thought 2." in text(client.get(url))

    # A stale copy of the page is refused; both texts are shown.
    stale = client.post(url, data=data)
    assert stale.status_code == 200 and "changed somewhere else" in text(stale)
    assert "The newer saved reflection" in text(stale)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(KeyQuestionReflection)) == 2

    # No one else sees it, the SEND governor and the headteacher included.
    for person in (world.send_governor, world.head):
        other = world.client(app, person)
        assert "My private thought" not in text(other.get(url))
        assert "My private thought" not in text(other.get(f"{BASE}/"))

    long = MultiDict(data)
    for number in range(1, len(module.key_question_ids) + 1):
        long[f"version_{number}"] = "1"
    long["notes_1"] = "y" * (rounds.MAX_NOTES + 1)
    refused = client.post(url, data=long)
    assert "Your notes on question 1 must be 2,000 characters or fewer" in text(refused)


# ---- the lists and the numbers of queries ---------------------------------------------------------


def test_the_list_shows_rounds_by_what_the_person_may_see(app, world, governance_round):
    _, round_ = governance_round
    governor_list = text(world.client(app, world.governor).get(f"{BASE}/"))
    assert f"{BASE}/rounds/{round_.id}/response" in governor_list and "Answer the questions" in governor_list
    assert "Open a round" not in governor_list
    ta_list = text(world.client(app, world.ta).get(f"{BASE}/"))
    assert "Governance" not in ta_list and "Reflect privately" in ta_list
    head_list = text(world.client(app, world.head).get(f"{BASE}/"))
    assert "Governance" in head_list and "Not asked" in head_list and "Open a round" in head_list


def test_round_pages_keep_to_the_query_budget(app, world, governance_round):
    from tests.web.test_query_budget import QUERY_BUDGET, get_counting

    lead, round_ = governance_round
    submit_answers(world.client(app, world.governor), round_.id, ["developing"] * 4)
    add_action_form(lead, round_.id)
    agree_position(lead, round_.id, ["developing"] * 4)
    for path in (
        "/",
        f"/rounds/{round_.id}",
        f"/rounds/{round_.id}/response",
        f"/rounds/{round_.id}/position",
        f"/rounds/{round_.id}/actions/new",
        f"/rounds/{round_.id}/report",
        "/trend",
    ):
        response, log = get_counting(lead, BASE + path)
        assert response.status_code == 200, path
        print(path, log.count)
        assert log.count <= QUERY_BUDGET, f"{path}: {log.count} statements\n{log.describe()}"


def test_the_position_page_costs_the_same_however_many_answered(app, make_school, make_person):
    from tests.web.test_query_budget import get_counting

    counts = []
    for size in (2, 12):
        school = make_school()
        lead = make_person(school, Role.SEND_GOVERNOR)
        governors = [make_person(school, Role.GOVERNOR) for _ in range(size)]
        client = app.test_client()
        sign_in(client, lead)
        assert open_round_form(client, roles=("governor",)).status_code == 302
        round_ = latest_round()
        for governor in governors:
            governor_client = app.test_client()
            sign_in(governor_client, governor)
            assert submit_answers(governor_client, round_.id, ["developing"] * 4).status_code == 302
        response, log = get_counting(client, f"{BASE}/rounds/{round_.id}/position")
        assert response.status_code == 200 and text(response).count("Evidence 1.") == size
        counts.append(log.count)
    assert counts[0] == counts[1], counts


# ---- demo data ------------------------------------------------------------------------------------


def test_the_demo_has_oakfields_governance_rounds_and_is_safe_twice(app, monkeypatch):
    from app.demo.seed import load_demo_data

    monkeypatch.setenv("DEMO_PASSWORD", "demo walnut lantern")
    load_demo_data()
    db.session.commit()
    load_demo_data()
    db.session.commit()
    db.session.expire_all()
    rounds = db.session.scalars(select(SelfAssessmentRound).order_by(SelfAssessmentRound.opened_at)).all()
    assert [r.set_id for r in rounds] == ["governance"] * 3
    assert [r.position_agreed_at is not None for r in rounds] == [True, True, False]
    assert rounds[1].previous_round_id == rounds[0].id and rounds[2].previous_round_id == rounds[1].id
    assert rounds[2].is_open(date.today())
    statuses = sorted(response.status.value for response in rounds[2].responses)
    assert statuses == ["draft", "not_started", "submitted"]
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentAction)) == 2

    lead = db.session.scalars(select(User).where(User.email == "send-governor@oakfield.example.org")).one()
    assert all(r.lead_id == lead.id for r in rounds)
    head = db.session.scalars(select(User).where(User.email == "head@oakfield.example.org")).one()
    client = app.test_client()
    sign_in(client, head, "demo walnut lantern")
    trend = text(client.get(f"{BASE}/trend"))
    assert re.search(r"Q1\. .*?</th>\s*<td[^>]*>Developing</td>\s*<td[^>]*>Established</td>", trend, re.S)
    pdf = client.get(f"{BASE}/rounds/{rounds[1].id}/report.pdf")
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Oakfield Primary School" in words and "Put a termly SEND report" in words

    # Oakfield's chair of governors may open a governance round, once the open one has closed.
    chair = db.session.scalars(select(User).where(User.email == "governor@oakfield.example.org")).one()
    chair_client = app.test_client()
    sign_in(chair_client, chair, "demo walnut lantern")
    assert "Open a round" in text(chair_client.get(f"{BASE}/"))
    refused = open_round_form(chair_client, set_id="governance", roles=("governor",))
    assert refused.status_code == 200 and "A round on Governance is already open until" in text(refused)
    governor = db.session.scalars(select(User).where(User.email == "governor@riverside.example.org")).one()
    governor_client = app.test_client()
    sign_in(governor_client, governor, "demo walnut lantern")
    assert governor_client.get(f"{BASE}/rounds/new").status_code == 403
