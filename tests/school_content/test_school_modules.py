"""A school's own modules: written and published by its leaders, read, passed and recorded like any
other, versioned, and never seen by another school."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.leadership import reminders, snapshots
from app.models import LedgerEntry, ModuleProgress, OutboxMessage, RequirementProgress, Role, School
from app.models.quizzes import QuizAttempt
from app.records import certificates
from tests.conftest import csrf_token_from, sign_in
from tests.school_content.helpers import (
    add_page,
    add_question,
    post_form,
    publish,
    school_catalogue,
    school_module_row,
    start_module,
    write_and_publish,
)
from tests.support.quiz_helpers import answer, form_data, start, submit


@pytest.fixture
def school_people(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    senco = make_person(school, Role.SENCO)
    ta = make_person(school, Role.TEACHING_ASSISTANT)
    clients = {}
    for name, person in (("head", head), ("senco", senco), ("ta", ta)):
        clients[name] = app.test_client()
        sign_in(clients[name], person)
    return school, {"head": head, "senco": senco, "ta": ta}, clients


def read_every_page(client, module):
    for page in module.pages:
        url = f"/training/modules/{module.id}/pages/{page.slug}"
        response = client.post(url, data={"csrf_token": csrf_token_from(client.get(url))})
        assert response.status_code == 302


def pass_quiz(app, client, school_id, module_id):
    attempt_id = start(client, module_id)
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    bank = {q.id: q for q in school_catalogue(app, school_id).quizzes[module_id].questions}
    for number, question_id in enumerate(attempt.question_ids, start=1):
        response = answer(client, module_id, attempt_id, number, form_data(bank[question_id], correct=True))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert submit(client, module_id, attempt_id).status_code == 302


def require_for(client, role, module_id):
    return post_form(
        client,
        "/leaders/requirements",
        {"role": role, "module": module_id, "required": "yes", "save": "Save"},
    )


def test_a_senco_writes_and_publishes_a_module_that_a_ta_completes_and_the_head_sees(app, school_people):
    school, people, clients = school_people
    module_id = write_and_publish(clients["senco"])

    catalogue = school_catalogue(app, school.id)
    module = catalogue.modules[module_id]
    assert [page.title for page in module.pages] == ["Who to tell", "Keeping notes"]
    assert "<strong>SENCO</strong>" in module.pages[0].html
    assert len(catalogue.quizzes[module_id].questions) == 3
    assert catalogue.quizzes[module_id].draw == 2

    # The head asks every teaching assistant to complete it.
    response = require_for(clients["head"], "teaching_assistant", module_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    ta = clients["ta"]
    assert "Our SEND procedures" in ta.get("/training/").get_data(as_text=True)
    assert "Our SEND procedures" in ta.get("/training/modules").get_data(as_text=True)
    read_every_page(ta, module)
    pass_quiz(app, ta, school.id, module_id)

    completed = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == people["ta"].id, LedgerEntry.kind == "module_completed")
    ).all()
    assert [(entry.subject_id, entry.school_id, entry.subject_version) for entry in completed] == [
        (module_id, school.id, module.version)
    ]
    assert completed[0].payload == {"minutes": 20, "title": "Our SEND procedures"}
    # Her record shows it, and its certificate's public check answers, with no Open Badge offered:
    # badges are for the national modules, whose achievements verifiers can look up.
    record = ta.get("/cpd/")
    assert record.status_code == 200 and "Our SEND procedures" in record.get_data(as_text=True)
    assert ta.get(f"/cpd/badges/{module_id}").status_code == 404
    code = certificates.code_for(completed[0])
    check = ta.get(f"/verify/{code}")
    assert check.status_code == 200 and "Our SEND procedures" in check.get_data(as_text=True)

    dashboard = clients["head"].get("/leaders/staff-training").get_data(as_text=True)
    assert "Our SEND procedures" in dashboard
    person = clients["head"].get(f"/leaders/staff-training/{people['ta'].id}").get_data(as_text=True)
    assert "Our SEND procedures" in person
    assert "Completed" in person


def test_a_change_published_is_a_new_version_and_those_who_completed_are_told(app, school_people):
    school, _people, clients = school_people
    module_id = write_and_publish(clients["senco"], audience=("teaching_assistant",))
    first = school_catalogue(app, school.id).modules[module_id]
    read_every_page(clients["ta"], first)
    pass_quiz(app, clients["ta"], school.id, module_id)

    number = int(module_id.removeprefix("school-"))
    add_page(clients["senco"], number, "Keeping notes", "- Write it down\n- Before you go home", number=2)
    # Saved, not yet published: staff still read the first version.
    assert school_catalogue(app, school.id).modules[module_id].version == first.version
    assert "Changes not published" in clients["senco"].get("/school-content/modules").get_data(as_text=True)
    assert publish(clients["senco"], number).status_code == 302
    second = school_catalogue(app, school.id).modules[module_id]
    assert second.version != first.version
    assert "Before you go home" in second.pages[1].html
    body = clients["ta"].get(f"/training/modules/{module_id}").get_data(as_text=True)
    assert "Updated since you completed it" in body

    # Publishing again with nothing changed keeps the version.
    assert publish(clients["senco"], number).status_code == 302
    assert school_catalogue(app, school.id).modules[module_id].version == second.version


def test_another_school_never_sees_it(app, school_people, make_school, make_person):
    _school, _, clients = school_people
    module_id = write_and_publish(clients["senco"])
    number = module_id.removeprefix("school-")
    other = make_school()
    outsider_ta = make_person(other, Role.TEACHING_ASSISTANT)
    outsider_head = make_person(other, Role.HEADTEACHER)
    ta, head = app.test_client(), app.test_client()
    sign_in(ta, outsider_ta)
    sign_in(head, outsider_head)
    assert "Our SEND procedures" not in ta.get("/training/modules").get_data(as_text=True)
    assert ta.get(f"/training/modules/{module_id}").status_code == 404
    assert ta.get(f"/training/modules/{module_id}/pages/page-1").status_code == 404
    assert ta.get(f"/quiz/{module_id}").status_code == 404
    assert head.get(f"/school-content/modules/{number}").status_code == 404
    assert head.get(f"/school-content/modules/{number}/page", query_string={"page": 1}).status_code == 404
    assert "Our SEND procedures" not in head.get("/leaders/requirements").get_data(as_text=True)
    refused = require_for(head, "teaching_assistant", module_id)
    assert refused.status_code == 200 and "Our SEND procedures" not in refused.get_data(as_text=True)
    assert "Error:" in refused.get_data(as_text=True)


def test_a_teaching_assistant_cannot_write_modules(school_people):
    _, _, clients = school_people
    assert clients["ta"].get("/school-content/modules").status_code == 403
    assert clients["ta"].get("/school-content/modules/new").status_code == 403


def test_preview_shows_the_page_without_saving_and_keeps_what_was_typed(app, school_people):
    _school, _, clients = school_people
    number = start_module(clients["senco"])
    url = f"/school-content/modules/{number}/page"
    body = "## Our steps\n\n| Step | Who |\n| --- | --- |\n| Notice | Anyone |\n\n<script>alert(1)</script>"
    response = post_form(clients["senco"], url, {"title": "Steps", "body": body, "preview": "Preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="preview-heading"' in html
    assert '<th class="govuk-table__header" scope="col">Step</th>' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, in the preview and the box
    assert school_module_row(f"school-{number}").draft["pages"] == []


def test_form_errors_keep_what_was_typed(school_people):
    _, _, clients = school_people
    response = post_form(
        clients["senco"], "/school-content/modules/new", {"title": "Kept title", "summary": "", "minutes": "3"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter a summary" in html and "Select at least one role" in html
    assert "The minutes must be between 5 and 600" in html
    assert 'value="Kept title"' in html

    number = start_module(clients["senco"])
    question = add_question(
        clients["senco"],
        number,
        {"type": "single_choice", "prompt": "Kept prompt", "option_a": "One", "why_a": "", "feedback": "Why"},
    )
    html = question.get_data(as_text=True)
    assert question.status_code == 200
    assert "Enter at least 2 options" in html and "Say why this option is right or wrong" in html
    assert "Select the one option that is right" in html
    assert "Kept prompt" in html and 'value="One"' in html


def test_publishing_needs_a_page_and_a_quiz_of_two_or_none(school_people):
    _, _, clients = school_people
    number = start_module(clients["senco"])
    refused = publish(clients["senco"], number)
    assert refused.status_code == 400
    assert "Add at least one page" in refused.get_data(as_text=True)
    add_page(clients["senco"], number, "Only page", "Text.")
    add_question(
        clients["senco"],
        number,
        {"type": "true_false", "prompt": "True?", "true_false_answer": "true", "feedback": "Yes.", "page": "page-1"},
    )
    refused = publish(clients["senco"], number)
    assert refused.status_code == 400
    assert "Add a second question" in refused.get_data(as_text=True)
    assert school_module_row(f"school-{number}").published is None


def test_a_module_without_questions_completes_when_read(app, school_people):
    school, people, clients = school_people
    number = start_module(clients["head"])
    add_page(clients["head"], number, "Only page", "Read me.")
    assert publish(clients["head"], number).status_code == 302
    module = school_catalogue(app, school.id).modules[f"school-{number}"]
    read_every_page(clients["ta"], module)
    progress = db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == people["ta"].id)).one()
    assert progress.completed_version == module.version


def test_a_module_the_school_requires_is_counted_by_the_database_and_reminded_of(app, school_people):
    """The requirement projection holds what a school requires of its own modules: the dashboard's counts,
    the board's compliance and the reminders all see it (the test settings compare the counts with the
    Python rules on every visit)."""
    school, people, clients = school_people
    module_id = write_and_publish(clients["senco"])

    def teaching_assistants_required() -> int:
        with app.test_request_context():
            training = snapshots.for_school(school_catalogue(app, school.id), db.session.get(School, school.id))
            [summary] = [row for row in training.staff_role_summary if row["role"] is Role.TEACHING_ASSISTANT]
            return summary["required"]

    before = teaching_assistants_required()
    assert require_for(clients["head"], "teaching_assistant", module_id).status_code == 302
    assert teaching_assistants_required() == before + 1

    rows = db.session.execute(
        select(RequirementProgress.user_id).where(
            RequirementProgress.school_id == school.id, RequirementProgress.module_id == module_id
        )
    ).all()
    assert [user_id for (user_id,) in rows] == [people["ta"].id]
    board = clients["head"].get("/leaders/board-report")
    assert board.status_code == 200
    assert clients["head"].get("/leaders/staff-training").status_code == 200

    # Nine weeks on, the teaching assistant's own module is overdue, and she is reminded of it by name.
    with app.test_request_context():
        reminders.send_reminders(app.extensions["catalogue"], date.today() + timedelta(days=63))
        db.session.commit()
    [reminder] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "training_reminder", OutboxMessage.user_id == people["ta"].id)
    )
    assert "Our SEND procedures" in reminder.body_text


def test_a_page_or_a_question_is_removed_from_the_draft_only(school_people):
    _, _, clients = school_people
    senco = clients["senco"]
    module_id = write_and_publish(senco)
    number = int(module_id.removeprefix("school-"))
    show = f"/school-content/modules/{number}"

    removed = post_form(senco, f"{show}/page/remove", {"number": "2"})
    assert removed.status_code == 302 and removed.headers["Location"].endswith(show)
    assert "Page 2 removed from the draft." in senco.get(show).get_data(as_text=True)
    removed = post_form(senco, f"{show}/question/remove", {"number": "3"})
    assert removed.status_code == 302
    assert "Question 3 removed from the draft." in senco.get(show).get_data(as_text=True)

    row = school_module_row(module_id)
    assert [page["title"] for page in row.draft["pages"]] == ["Who to tell"]
    assert len(row.draft["questions"]) == 2
    # The published copy staff read is untouched until the draft is published again.
    assert len(row.published["pages"]) == 2 and len(row.published["questions"]) == 3
    # A number the draft does not have is refused.
    assert post_form(senco, f"{show}/page/remove", {"number": "2"}).status_code == 400
    assert post_form(senco, f"{show}/question/remove", {"number": "9"}).status_code == 400
