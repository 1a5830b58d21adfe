"""Filling in quiz questions through the real pages, rightly or wrongly."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models.quizzes import QuizAttempt
from tests.conftest import csrf_token_from


def form_data(question, *, correct: bool) -> MultiDict:
    """What a browser posts for this question, with the right answer or a wrong one."""
    option_ids = [option["id"] for option in question.options]
    data = MultiDict()
    if question.type == "single_choice":
        data["answer"] = question.answer if correct else next(o for o in option_ids if o != question.answer)
    elif question.type == "multiple_choice":
        chosen = question.answer if correct else [o for o in option_ids if o not in question.answer][:1]
        for option_id in chosen:
            data.add("answer", option_id)
    elif question.type == "true_false":
        data["answer"] = "true" if question.answer == correct else "false"
    elif question.type == "ordering":
        order = question.answer if correct else list(reversed(question.answer))
        for position, option_id in enumerate(order, start=1):
            data[f"position_{option_id}"] = str(position)
    elif question.type == "matching":
        for item_id, option_id in question.answer.items():
            wrong = next(o for o in option_ids if o != option_id)
            data[f"match_{item_id}"] = option_id if correct else wrong
    return data


def start(client, module_id: str) -> int:
    overview = client.get(f"/quiz/{module_id}")
    response = client.post(f"/quiz/{module_id}/start", data={"csrf_token": csrf_token_from(overview)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    match = re.search(r"/attempts/(\d+)/questions/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def attempt_questions(app, attempt_id: int):
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    bank = {q.id: q for q in app.extensions["catalogue"].quizzes[attempt.module_id].questions}
    return [bank[qid] for qid in attempt.question_ids]


def answer(client, module_id: str, attempt_id: int, number: int, data: MultiDict, **query):
    url = f"/quiz/{module_id}/attempts/{attempt_id}/questions/{number}"
    page = client.get(url, query_string=query)
    data = MultiDict(data)
    data["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=data, query_string=query)


def answer_all(app, client, module_id: str, attempt_id: int, *, right: int | None = None) -> None:
    """Answer every question; the first `right` correctly (all of them if None)."""
    questions = attempt_questions(app, attempt_id)
    for number, question in enumerate(questions, start=1):
        correct = right is None or number <= right
        response = answer(client, module_id, attempt_id, number, form_data(question, correct=correct))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def submit(client, module_id: str, attempt_id: int):
    url = f"/quiz/{module_id}/attempts/{attempt_id}/check"
    return client.post(url, data={"csrf_token": csrf_token_from(client.get(url))})


def take_quiz(app, client, module_id: str, *, right: int | None = None) -> int:
    attempt_id = start(client, module_id)
    answer_all(app, client, module_id, attempt_id, right=right)
    response = submit(client, module_id, attempt_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    return attempt_id
