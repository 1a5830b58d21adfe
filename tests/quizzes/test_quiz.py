"""Quizzes: question types, attempts, resuming, marking, integrity, the ledger, and leaders' views."""

from __future__ import annotations

import dataclasses
import random
import re
import threading

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.content.question_types import QUESTION_TYPES, AnswerError
from app.extensions import db
from app.models import LedgerEntry, Role
from app.models.quizzes import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt
from app.quizzes import drawing
from app.records.ledger import verify_person
from tests.conftest import csrf_token_from, sign_in
from tests.support.quiz_helpers import answer, answer_all, attempt_questions, form_data, start, submit, take_quiz

MODULE = "send-essentials"


@pytest.fixture
def learner(app, make_school, make_person):
    school = make_school()
    person = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, person)
    return client, person, school


def catalogue(app):
    return app.extensions["catalogue"]


def ledger_entries(user_id, kind):
    db.session.expire_all()
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == kind).order_by(LedgerEntry.id)
    ).all()


def read_whole_module(client, app, module_id=MODULE):
    for page in catalogue(app).modules[module_id].pages:
        url = f"/training/modules/{module_id}/pages/{page.slug}"
        client.post(url, data={"csrf_token": csrf_token_from(client.get(url))})


# --- Question types --------------------------------------------------------------------------------


@pytest.fixture
def no_csrf(app, monkeypatch):
    """For checking answer forms directly, outside a request from a page."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def questions_of_type(app, kind):
    return [q for quiz in catalogue(app).quizzes.values() for q in quiz.questions if q.type == kind]


@pytest.mark.parametrize("kind", sorted(QUESTION_TYPES))
def test_each_question_type_marks_right_and_wrong_answers(app, no_csrf, kind):
    questions = questions_of_type(app, kind)
    assert questions, f"the curriculum has no {kind} question"
    question_type = QUESTION_TYPES[kind]
    rng = random.Random(7)
    with app.test_request_context(method="POST"):
        for question in questions:
            order = question_type.shown_order(question, rng)
            for correct in (True, False):
                form = question_type.build_form(question, order, formdata=form_data(question, correct=correct))
                assert form.validate(), form.errors
                response = question_type.read_answer(form, question)
                assert question_type.is_correct(question, response) is correct, (question.id, response)
                assert question_type.describe(question, response)


def test_multiple_choice_needs_exactly_the_right_set(app):
    question = questions_of_type(app, "multiple_choice")[0]
    kind = QUESTION_TYPES["multiple_choice"]
    assert kind.is_correct(question, sorted(question.answer))
    assert not kind.is_correct(question, sorted(question.answer)[:-1])
    extra = next(o["id"] for o in question.options if o["id"] not in question.answer)
    assert not kind.is_correct(question, sorted([*question.answer, extra]))


@pytest.mark.parametrize("kind", sorted(QUESTION_TYPES))
def test_answers_that_are_not_among_the_options_are_refused(app, no_csrf, kind):
    question = questions_of_type(app, kind)[0]
    question_type = QUESTION_TYPES[kind]
    order = question_type.shown_order(question, random.Random(1))
    tampered = MultiDict({key: "zzz" for key in form_data(question, correct=True)})
    with app.test_request_context(method="POST"):
        form = question_type.build_form(question, order, formdata=tampered)
        form.validate()
        with pytest.raises(AnswerError):
            question_type.read_answer(form, question)


def test_ordering_refuses_a_position_used_twice(app, no_csrf):
    question = questions_of_type(app, "ordering")[0]
    kind = QUESTION_TYPES["ordering"]
    data = MultiDict({f"position_{option['id']}": "1" for option in question.options})
    with app.test_request_context(method="POST"):
        form = kind.build_form(question, kind.shown_order(question, random.Random(1)), formdata=data)
        form.validate()
        with pytest.raises(AnswerError, match="Use each position once"):
            kind.read_answer(form, question)


# --- Taking a quiz -------------------------------------------------------------------------------


def test_take_fail_retake_and_pass(app, learner):
    client, person, _ = learner
    read_whole_module(client, app)
    quiz = catalogue(app).quizzes[MODULE]

    failed_id = take_quiz(app, client, MODULE, right=2)
    result = client.get(f"/quiz/{MODULE}/attempts/{failed_id}").get_data(as_text=True)
    assert "You did not pass this time" in result
    assert f"You scored 2 out of {quiz.draw}" in result
    assert "Not right" in result and "Why" in result
    assert "The right answer<" not in result
    assert "This rests on: " in result
    assert "/training/modules/send-essentials/pages/" in result
    assert ledger_entries(person.id, "module_completed") == []

    passed_id = take_quiz(app, client, MODULE)
    result = client.get(f"/quiz/{MODULE}/attempts/{passed_id}").get_data(as_text=True)
    assert "You passed the quiz" in result and f"You scored {quiz.draw} out of {quiz.draw}" in result
    assert "You have completed" in result

    attempts = ledger_entries(person.id, "quiz_attempted")
    assert [(e.payload["score"], e.payload["passed"]) for e in attempts] == [(2, False), (quiz.draw, True)]
    [completion] = ledger_entries(person.id, "module_completed")
    assert completion.subject_id == MODULE
    assert verify_person(person.id) is None

    overview = client.get(f"/quiz/{MODULE}").get_data(as_text=True)
    assert "You have passed this quiz" in overview and "Your attempts" in overview
    assert overview.count("Not passed yet") == 1 and overview.count(">Passed<") == 1


def test_passing_before_reading_completes_the_module_when_the_last_page_is_read(app, learner):
    client, person, _ = learner
    take_quiz(app, client, MODULE)
    assert ledger_entries(person.id, "module_completed") == []
    read_whole_module(client, app)
    assert len(ledger_entries(person.id, "module_completed")) == 1


def test_answers_are_saved_as_they_are_given_and_the_attempt_resumes(app, learner):
    client, person, _ = learner
    attempt_id = start(client, MODULE)
    questions = attempt_questions(app, attempt_id)
    for number in (1, 2, 3):
        response = answer(client, MODULE, attempt_id, number, form_data(questions[number - 1], correct=True))
        assert response.headers["Location"].endswith(f"/questions/{number + 1}")

    # The browser is closed; later, on another device, the person signs in again.
    other_device = app.test_client()
    sign_in(other_device, person)
    assert start(other_device, MODULE) == attempt_id
    overview = other_device.get(f"/quiz/{MODULE}")
    assert "Continue your attempt" in overview.get_data(as_text=True)
    response = other_device.post(f"/quiz/{MODULE}/start", data={"csrf_token": csrf_token_from(overview)})
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/questions/4")
    # The saved answer is shown when they go back to it.
    page = other_device.get(f"/quiz/{MODULE}/attempts/{attempt_id}/questions/1").get_data(as_text=True)
    first = questions[0]
    if first.type in {"single_choice", "multiple_choice", "true_false"}:
        assert "checked" in page
    else:
        chosen = re.findall(r'<option value="[^"]+" selected', page)
        assert len(chosen) == len(first.items or first.options)


def test_question_pages_never_show_the_answer_or_feedback(app, learner):
    client, _, _ = learner
    attempt_id = start(client, MODULE)
    for number, question in enumerate(attempt_questions(app, attempt_id), start=1):
        body = client.get(f"/quiz/{MODULE}/attempts/{attempt_id}/questions/{number}").get_data(as_text=True)
        assert f"question {number} of" in body
        assert question.feedback not in body
        assert "correct" not in body.lower()


def test_options_are_shuffled_per_attempt(app, learner):
    client, person, _ = learner
    orders = set()
    for _ in range(3):
        attempt_id = start(client, MODULE)
        attempt = db.session.get(QuizAttempt, attempt_id)
        orders.add(tuple(tuple(v["options"]) for v in attempt.option_order.values()))
        abandon = client.post(
            f"/quiz/{MODULE}/attempts/{attempt_id}/abandon",
            data={"csrf_token": csrf_token_from(client.get(f"/quiz/{MODULE}"))},
        )
        assert abandon.status_code == 302
    assert len(orders) > 1
    assert person.id


def escaped(text: str) -> str:
    """Text as the page shows it."""
    return str(escape(text))


def synthetic_quiz(bank_size: int, draw: int = 10):
    from app.content.model import Question, Quiz

    bank = tuple(Question(f"q{n}", "m", "true_false", "?", (), (), True, "f", "roles#x", "p") for n in range(bank_size))
    return Quiz("m", 80, draw, bank, "v1")


def test_the_draw_prefers_questions_not_seen_before_then_the_least_recently_seen():
    quiz = synthetic_quiz(25)
    rng = random.Random(1)
    first = drawing.draw_questions(quiz, [], rng)
    history = [drawing.PastAttempt(tuple(q.id for q in first), failed=True)]
    second = drawing.draw_questions(quiz, history, rng)
    assert len(first) == len(second) == 10
    assert not {q.id for q in first} & {q.id for q in second}, "unseen questions come first"
    history.append(drawing.PastAttempt(tuple(q.id for q in second), failed=True))
    third = {q.id for q in drawing.draw_questions(quiz, history, rng)}
    never_asked = {q.id for q in quiz.questions} - {q.id for q in first} - {q.id for q in second}
    assert never_asked <= third and len(never_asked) == 5
    # The other five come from the first attempt, asked longer ago than the second.
    assert third - never_asked <= {q.id for q in first}


@pytest.mark.parametrize("bank_size", [15, 16, 18, 20, 24, 40])
def test_a_retake_after_a_failure_shares_at_most_half_its_questions_over_many_draws(bank_size):
    """The bound, checked over thousands of random histories: any bank the loader accepts (15 or more
    for a draw of 10), any mix of passes, failures and abandoned attempts before."""
    from app.content.model import smallest_bank_for

    assert smallest_bank_for(10) == 15
    quiz = synthetic_quiz(bank_size)
    rng = random.Random(bank_size)
    retakes = 0
    for _ in range(400):
        history: list[drawing.PastAttempt] = []
        for _ in range(rng.randint(1, 6)):
            drawn = drawing.draw_questions(quiz, history, rng)
            ids = [q.id for q in drawn]
            assert len(ids) == len(set(ids)) == quiz.draw
            submitted = [past for past in history if past.submitted]
            if submitted and submitted[-1].failed:
                retakes += 1
                assert len(set(ids) & set(submitted[-1].question_ids)) <= quiz.draw // 2
            outcome = rng.choice(["failed", "failed", "passed", "abandoned"])
            history.append(
                drawing.PastAttempt(tuple(ids), failed=outcome == "failed", submitted=outcome != "abandoned")
            )
    assert retakes > 500


def test_a_bank_too_small_to_keep_the_bound_still_draws_a_full_attempt():
    quiz = synthetic_quiz(12)
    first = drawing.draw_questions(quiz, [], random.Random(3))
    history = [drawing.PastAttempt(tuple(q.id for q in first), failed=True)]
    assert len(drawing.draw_questions(quiz, history, random.Random(4))) == 10


def test_finding_7_failed_review_is_not_an_answer_key_for_the_retake(app, learner):
    """A failed attempt's review says which answers were wrong and why, naming the section in words,
    but never which option was keyed; the retake shares at most half its questions with it."""
    client, _, _ = learner
    quiz = catalogue(app).quizzes[MODULE]
    failed_id = take_quiz(app, client, MODULE, right=2)
    failed_questions = attempt_questions(app, failed_id)
    review = client.get(f"/quiz/{MODULE}/attempts/{failed_id}").get_data(as_text=True)
    assert "The right answer<" not in review and "Why each answer is right or wrong" not in review

    def chosen_options(number, question):
        if question.type not in ("single_choice", "multiple_choice"):
            return []
        chosen = set(form_data(question, correct=number <= 2).getlist("answer"))
        return [option for option in question.options if option["id"] in chosen]

    # What the page rightly shows: prompts, explanations, and the options chosen with their feedback
    # (the first two answers were right). A keyed option's words found only there give nothing away.
    shown = " ".join(
        [question.prompt + " " + question.feedback for question in failed_questions]
        + [
            option["text"] + " " + option["feedback"]
            for number, question in enumerate(failed_questions, start=1)
            for option in chosen_options(number, question)
        ]
    )
    for number, question in enumerate(failed_questions, start=1):
        assert escaped(question.feedback) in review
        label = catalogue(app).section_label(question.source)
        assert escaped(f"This rests on: {label}.") in review
        if number <= 2 or question.type not in ("single_choice", "multiple_choice"):
            continue
        keyed = {question.answer} if question.type == "single_choice" else set(question.answer)
        chosen = {option["id"] for option in chosen_options(number, question)}
        for option in question.options:
            if option["id"] in keyed:
                for words in (option["feedback"], option["text"]):
                    if words not in shown:
                        assert escaped(words) not in review, f"{question.id}: the keyed option shows: {words}"
            elif option["id"] in chosen:
                assert escaped(option["feedback"]) in review, f"{question.id}: why the chosen option is wrong"

    retake_id = take_quiz(app, client, MODULE)
    retake_questions = {q.id for q in attempt_questions(app, retake_id)}
    assert len(retake_questions & {q.id for q in failed_questions}) <= quiz.draw // 2

    passed = client.get(f"/quiz/{MODULE}/attempts/{retake_id}").get_data(as_text=True)
    assert "You passed the quiz" in passed
    assert "Why each answer is right or wrong" in passed
    for question in attempt_questions(app, retake_id):
        if question.type in ("single_choice", "multiple_choice"):
            for option in question.options:
                assert escaped(option["feedback"]) in passed


def test_check_answers_lists_unanswered_questions(app, learner):
    client, _, _ = learner
    attempt_id = start(client, MODULE)
    questions = attempt_questions(app, attempt_id)
    answer(client, MODULE, attempt_id, 1, form_data(questions[0], correct=True))
    response = submit(client, MODULE, attempt_id)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Check your answers" in body
    assert "Answer question 2 before you submit" in body
    assert db.session.get(QuizAttempt, attempt_id).status is AttemptStatus.IN_PROGRESS
    # The answer already given is kept.
    assert "Change" in body and "Not answered" in body


def test_missing_and_tampered_answers_re_render_with_an_error_and_keep_other_answers(app, learner):
    client, _, _ = learner
    attempt_id = start(client, MODULE)
    questions = attempt_questions(app, attempt_id)
    answer(client, MODULE, attempt_id, 1, form_data(questions[0], correct=True))
    missing = answer(client, MODULE, attempt_id, 2, MultiDict())
    assert missing.status_code == 200
    assert "<title>Error: " in missing.get_data(as_text=True)
    assert "govuk-error-summary" in missing.get_data(as_text=True)
    tampered = MultiDict({key: "not-an-option" for key in form_data(questions[1], correct=True)})
    response = answer(client, MODULE, attempt_id, 2, tampered)
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.scalars(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id)).all()
    assert [a.question_id for a in saved] == [questions[0].id]


def test_question_numbers_outside_the_attempt_are_not_found(app, learner):
    client, _, _ = learner
    attempt_id = start(client, MODULE)
    assert client.get(f"/quiz/{MODULE}/attempts/{attempt_id}/questions/0").status_code == 404
    assert client.get(f"/quiz/{MODULE}/attempts/{attempt_id}/questions/99").status_code == 404
    assert client.get(f"/quiz/no-such-module/attempts/{attempt_id}/questions/1").status_code == 404
    assert client.get(f"/quiz/class-teacher/attempts/{attempt_id}/questions/1").status_code == 404


def test_someone_elses_attempt_is_not_found_and_unchanged(app, learner, make_person):
    client, _, school = learner
    other = make_person(school, Role.TEACHER)
    other_client = app.test_client()
    sign_in(other_client, other)
    attempt_id = start(other_client, MODULE)
    question = attempt_questions(app, attempt_id)[0]
    token = csrf_token_from(client.get(f"/quiz/{MODULE}"))
    base = f"/quiz/{MODULE}/attempts/{attempt_id}"
    assert client.get(f"{base}/questions/1").status_code == 404
    data = form_data(question, correct=True)
    data["csrf_token"] = token
    assert client.post(f"{base}/questions/1", data=data).status_code == 404
    assert client.post(f"{base}/check", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{base}/abandon", data={"csrf_token": token}).status_code == 404
    assert client.get(base).status_code == 404
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status is AttemptStatus.IN_PROGRESS and attempt.answers == []


def test_answering_a_submitted_attempt_changes_nothing(app, learner):
    client, person, _ = learner
    attempt_id = take_quiz(app, client, MODULE, right=1)
    question = attempt_questions(app, attempt_id)[0]
    before = db.session.scalars(select(QuizAnswer).where(QuizAnswer.question_id == question.id)).one().response
    url = f"/quiz/{MODULE}/attempts/{attempt_id}/questions/1"
    data = form_data(question, correct=False)
    data["csrf_token"] = csrf_token_from(client.get(f"/quiz/{MODULE}"))
    response = client.post(url, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    db.session.expire_all()
    after = db.session.scalars(select(QuizAnswer).where(QuizAnswer.question_id == question.id)).one().response
    assert after == before
    assert len(ledger_entries(person.id, "quiz_attempted")) == 1


def test_submitting_twice_records_one_result(app, learner, on_postgresql):
    client, person, _ = learner
    read_whole_module(client, app)
    attempt_id = start(client, MODULE)
    answer_all(app, client, MODULE, attempt_id)
    url = f"/quiz/{MODULE}/attempts/{attempt_id}/check"
    token = csrf_token_from(client.get(url))
    if on_postgresql:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(client.post(url, data={"csrf_token": token})))
            for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(r.status_code for r in results) == [302] * 5
    else:
        for _ in range(3):
            assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert len(ledger_entries(person.id, "quiz_attempted")) == 1
    assert len(ledger_entries(person.id, "module_completed")) == 1
    assert verify_person(person.id) is None


def test_a_double_click_on_start_makes_one_attempt(app, learner, on_postgresql):
    client, person, _ = learner
    token = csrf_token_from(client.get(f"/quiz/{MODULE}"))
    if on_postgresql:
        results = []
        threads = [
            threading.Thread(
                target=lambda: results.append(client.post(f"/quiz/{MODULE}/start", data={"csrf_token": token}))
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert [r.status_code for r in results] == [302] * 4
    else:
        for _ in range(2):
            client.post(f"/quiz/{MODULE}/start", data={"csrf_token": token})
    open_attempts = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == person.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
    ).all()
    assert len(open_attempts) == 1


def test_a_changed_quiz_abandons_the_attempt_in_progress(app, learner, monkeypatch):
    client, person, _ = learner
    attempt_id = start(client, MODULE)
    changed = dataclasses.replace(catalogue(app).quizzes[MODULE], version="new-version")
    monkeypatch.setitem(catalogue(app).quizzes, MODULE, changed)
    new_id = start(client, MODULE)
    assert new_id != attempt_id
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).status is AttemptStatus.ABANDONED
    assert person.id


# --- Attempts allowed, and leaders' views --------------------------------------------------------


def test_attempts_run_out_and_a_leader_can_give_more(app, learner, make_person):
    client, person, school = learner
    for _ in range(app.config["QUIZ_ATTEMPTS_ALLOWED"]):
        take_quiz(app, client, MODULE, right=0)
    overview = client.get(f"/quiz/{MODULE}")
    assert "You have used all 3 attempts" in overview.get_data(as_text=True)
    refused = client.post(f"/quiz/{MODULE}/start", data={"csrf_token": csrf_token_from(overview)})
    assert refused.headers["Location"] == f"/quiz/{MODULE}"

    head = make_person(school, Role.HEADTEACHER)
    leader = app.test_client()
    sign_in(leader, head)
    form_page = leader.get("/quiz/extra-attempts")
    body = form_page.get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', body).group(1)
    data = {
        "csrf_token": csrf_token_from(form_page),
        "once": once,
        "person": str(person.id),
        "module": MODULE,
        "extra": "2",
        "reason": "Access arrangement",
    }
    assert leader.post("/quiz/extra-attempts", data=data).status_code == 302
    # The same form sent again (a double click, or the back button) gives nothing more.
    assert leader.post("/quiz/extra-attempts", data=data).status_code == 302
    assert len(db.session.scalars(select(ExtraQuizAttempts)).all()) == 1
    assert "You have 2 attempts left" in client.get(f"/quiz/{MODULE}").get_data(as_text=True)
    take_quiz(app, client, MODULE)


def test_extra_attempts_form_errors_keep_input(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    outsider = make_person(make_school(), Role.TEACHER)
    leader = app.test_client()
    sign_in(leader, head)
    page = leader.get("/quiz/extra-attempts")
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = leader.post(
        "/quiz/extra-attempts",
        data={
            "csrf_token": csrf_token_from(page),
            "once": once,
            "person": str(outsider.id),
            "module": MODULE,
            "extra": "99",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: " in body
    assert "Extra attempts must be between 1 and 10" in body
    assert 'value="99"' in body
    assert db.session.scalars(select(ExtraQuizAttempts)).all() == []


def test_learners_cannot_see_results_or_give_attempts(learner):
    client, _, _ = learner
    assert client.get("/quiz/results").status_code == 403
    assert client.get("/quiz/extra-attempts").status_code == 403


def test_leaders_see_who_attempted_and_passed_and_the_most_missed_questions_without_names(
    app, make_school, make_person
):
    school = make_school()
    people = [make_person(school, Role.TEACHER, name=f"Named Person {n}") for n in range(3)]
    for number, person in enumerate(people):
        client = app.test_client()
        sign_in(client, person)
        take_quiz(app, client, MODULE, right=10 if number == 0 else 3)
    other_school = make_school()
    outsider = make_person(other_school, Role.TEACHER)
    outsider_client = app.test_client()
    sign_in(outsider_client, outsider)
    take_quiz(app, outsider_client, MODULE, right=0)

    head = make_person(school, Role.HEADTEACHER)
    leader = app.test_client()
    sign_in(leader, head)
    results = leader.get("/quiz/results").get_data(as_text=True)
    assert "SEND essentials for everyone" in results
    row = re.search(r"SEND essentials for everyone</a></td>(.*?)</tr>", results, re.S).group(1)
    # One person passed: a count of one or two people reads "fewer than 3" (small-number suppression).
    assert re.findall(r">([^<>]+)</td>", row) == ["3", "fewer than 3", "3"]
    detail = leader.get(f"/quiz/results/{MODULE}").get_data(as_text=True)
    assert "Fewer than 3 of the 3 people who took it have passed" in detail
    assert "Answered wrongly" in detail
    for person in people:
        assert person.name not in results and person.name not in detail
    assert outsider.name not in detail


def test_the_review_puts_wrong_answers_first_and_folds_the_right_ones(app, learner):
    client, _, _ = learner
    quiz = catalogue(app).quizzes[MODULE]
    attempt_id = take_quiz(app, client, MODULE, right=2)
    page = client.get(f"/quiz/{MODULE}/attempts/{attempt_id}").get_data(as_text=True)
    wrong_heading = page.index(f"Answers to look at again ({quiz.draw - 2})")
    right_heading = page.index("Answers you got right (2)")
    assert wrong_heading < right_heading
    wrong_numbers = [int(n) for n in re.findall(r"Question (\d+): <strong class=\"govuk-tag govuk-tag--red\">", page)]
    right_numbers = [
        int(n)
        for n in re.findall(
            r'<details class="govuk-details app-review-right">\s*<summary[^>]*><span[^>]*>Question (\d+)', page
        )
    ]
    assert len(wrong_numbers) == quiz.draw - 2 and len(right_numbers) == 2
    assert sorted(wrong_numbers + right_numbers) == list(range(1, quiz.draw + 1))
    # Every right answer is behind its own details; none sits before the wrong ones.
    assert page.index('class="govuk-details app-review-right"') > page.index(f"Question {wrong_numbers[-1]}: ")
