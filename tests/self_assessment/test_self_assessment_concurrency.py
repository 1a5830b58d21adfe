"""Self-assessment under concurrent writers (PostgreSQL): two saves of one draft, two submits, two
identical "open a round" forms. Each must end with exactly one winner and nothing silently lost."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.content import catalogue
from app.extensions import db
from app.models import LedgerEntry, Role, School, User
from app.self_assessment import answers, rounds
from app.self_assessment.answers import AnswerInput
from app.self_assessment.models import RatingLevel, SelfAssessmentResponse, SelfAssessmentRound
from app.self_assessment.rounds import SelfAssessmentProblem, StaleSave

pytestmark = pytest.mark.postgres

WRITERS = 6


@pytest.fixture(autouse=True)
def _needs_postgresql(on_postgresql):
    if not on_postgresql:
        pytest.skip("concurrent writers need PostgreSQL; run with --database=postgresql")


@pytest.fixture
def governance_round(app, make_school, make_person):
    school = make_school()
    lead = make_person(school, Role.SEND_GOVERNOR, Role.GOVERNOR)
    governor = make_person(school, Role.GOVERNOR)
    round_ = rounds.open_round(
        school=school,
        lead=lead,
        lead_roles=frozenset({Role.SEND_GOVERNOR}),
        question_set=catalogue().key_question_sets["governance"],
        closes_on=date.today() + timedelta(days=7),
        invited_roles=[Role.GOVERNOR],
        request_key="concurrency",
    )
    db.session.commit()
    return round_.id, governor.id


def run_together(app, work) -> tuple[list[str], list[BaseException]]:
    """Run `work(number)` in WRITERS threads released at the same moment; collect outcomes and errors."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    outcomes.append(work(number))
                    db.session.commit()
                except StaleSave:
                    db.session.rollback()
                    outcomes.append("stale")
                except SelfAssessmentProblem as problem:
                    db.session.rollback()
                    outcomes.append(type(problem).__name__)
                finally:
                    db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, errors


def _save(round_id: int, user_id: int, *, submit: bool, evidence: str):
    round_ = db.session.get(SelfAssessmentRound, round_id)
    response = db.session.scalars(
        select(SelfAssessmentResponse).where(
            SelfAssessmentResponse.round_id == round_id, SelfAssessmentResponse.user_id == user_id
        )
    ).one()
    typed = {qid: AnswerInput(RatingLevel.DEVELOPING, evidence) for qid in round_.question_ids}
    answers.save_response(round_=round_, response=response, expected_version=0, answers=typed, submit=submit)
    return "saved"


def test_saves_from_the_same_version_have_one_winner(app, governance_round):
    round_id, user_id = governance_round
    outcomes, errors = run_together(app, lambda n: _save(round_id, user_id, submit=False, evidence=f"writer {n}"))
    assert not errors, errors
    assert sorted(outcomes) == ["saved"] + ["stale"] * (WRITERS - 1)
    db.session.expire_all()
    response = db.session.scalars(select(SelfAssessmentResponse).where(SelfAssessmentResponse.user_id == user_id)).one()
    assert response.version == 1
    # Every answer comes from the one winning writer: no mixture of two people's text.
    assert len({answer.evidence for answer in response.answers}) == 1


def test_simultaneous_submits_record_one_ledger_entry(app, governance_round):
    round_id, user_id = governance_round
    outcomes, errors = run_together(app, lambda n: _save(round_id, user_id, submit=True, evidence=f"writer {n}"))
    assert not errors, errors
    assert outcomes.count("saved") == 1
    assert set(outcomes) <= {"saved", "stale", "AlreadySubmitted"}
    entries = db.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.user_id == user_id, LedgerEntry.kind == "self_assessment_submitted")
    )
    assert entries == 1


def test_the_same_open_form_sent_at_once_opens_one_round(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    make_person(school, Role.SENCO)
    school_id, head_id = school.id, head.id

    def open_it(number: int) -> str:
        round_ = rounds.open_round(
            school=db.session.get(School, school_id),
            lead=db.session.get(User, head_id),
            lead_roles=frozenset({Role.HEADTEACHER}),
            question_set=catalogue().key_question_sets["leadership"],
            closes_on=date.today() + timedelta(days=7),
            invited_roles=[Role.SENCO, Role.HEADTEACHER],
            request_key="pressed-twice",
        )
        return f"round {round_.id}"

    outcomes, errors = run_together(app, open_it)
    assert not errors, errors
    assert len(set(outcomes)) == 1, outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentRound)) == 1
    assert db.session.scalar(select(func.count()).select_from(SelfAssessmentResponse)) == 2
