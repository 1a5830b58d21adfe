"""Writing, publishing and reading a school's own modules.

A school module is edited as a draft and published as a whole. What staff read is the published copy,
built into the same `Module` and `Quiz` objects as the national curriculum (`as_catalogue_entries`),
so reading, quizzes, requirements, the dashboard and the ledger treat it like any other module. Its
version is a hash of the published copy: publishing a change is a new version, and everyone who
completed an older one is told it was updated.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.content.model import SCHOOL_SOURCE, Module, Page, Question, Quiz, smallest_bank_for
from app.content.question_types import QUESTION_TYPES
from app.extensions import db
from app.models.base import utcnow
from app.platform import record_event
from app.school_content.markdown import render_school_markdown
from app.school_content.models import SCHOOL_MODULE_PREFIX, SchoolModule, _publishable

# The share of questions right to pass a school module's quiz, as for the national quizzes.
PASS_MARK = 80
MAX_PAGES = 12
MAX_QUESTIONS = 200
MAX_PAGE_CHARACTERS = 20_000


class PublishRefused(ValueError):
    """The draft cannot be published yet; `problems` says why, in words for its author."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ModuleDetails:
    title: str
    summary: str
    audience: list[str]
    minutes: int
    outcomes: list[str]


def _empty_draft(details: ModuleDetails) -> dict[str, Any]:
    return {**_details_dict(details), "pages": [], "questions": [], "next_question": 1}


def _details_dict(details: ModuleDetails) -> dict[str, Any]:
    return {
        "title": details.title.strip(),
        "summary": details.summary.strip(),
        "audience": list(details.audience),
        "minutes": int(details.minutes),
        "outcomes": [line.strip() for line in details.outcomes if line.strip()],
    }


def modules_of(school_id: int) -> list[SchoolModule]:
    return list(
        db.session.scalars(select(SchoolModule).where(SchoolModule.school_id == school_id).order_by(SchoolModule.id))
    )


def module_at(school_id: int, module_id: int) -> SchoolModule | None:
    """The school's module, or None for another school's (which the pages answer as 'not found')."""
    module = db.session.get(SchoolModule, module_id)
    if module is None or module.school_id != school_id:
        return None
    return module


def create(*, school_id: int, created_by_id: int, details: ModuleDetails) -> SchoolModule:
    module = SchoolModule(school_id=school_id, created_by_id=created_by_id, draft=_empty_draft(details))
    db.session.add(module)
    db.session.flush()
    record_event("school_module_created", school_id=school_id, actor_id=created_by_id, details={"module_id": module.id})
    return module


def _change(module: SchoolModule, change) -> None:
    # A JSON column notices only a new value, so the draft is copied, changed and put back.
    draft = copy.deepcopy(module.draft)
    change(draft)
    module.draft = draft
    module.updated_at = utcnow()
    db.session.flush()


def update_details(module: SchoolModule, details: ModuleDetails) -> None:
    _change(module, lambda draft: draft.update(_details_dict(details)))


def save_page(module: SchoolModule, number: int | None, title: str, body: str) -> int:
    """Add a page (number None) or replace page `number` (1-based); the page's number is returned."""
    page = {"title": title.strip(), "body": body}
    result = {}

    def change(draft):
        if number is None:
            draft["pages"].append(page)
            result["number"] = len(draft["pages"])
        else:
            draft["pages"][number - 1] = page
            result["number"] = number

    _change(module, change)
    return result["number"]


def remove_page(module: SchoolModule, number: int) -> None:
    def change(draft):
        del draft["pages"][number - 1]
        # A question taught on a removed page is kept, and points at the first page.
        for question in draft["questions"]:
            if question.get("page") == page_slug(number):
                question["page"] = page_slug(1)

    _change(module, change)


def page_slug(number: int) -> str:
    return f"page-{number}"


def save_question(module: SchoolModule, number: int | None, question: dict[str, Any]) -> int:
    """Add a question (number None) or replace question `number` (1-based). Ids are given here, once."""
    result = {}

    def change(draft):
        if number is None:
            question_id = f"{module.catalogue_id}-q{draft.get('next_question', 1)}"
            draft["next_question"] = draft.get("next_question", 1) + 1
            draft["questions"].append({**question, "id": question_id})
            result["number"] = len(draft["questions"])
        else:
            draft["questions"][number - 1] = {**question, "id": draft["questions"][number - 1]["id"]}
            result["number"] = number

    _change(module, change)
    return result["number"]


def add_questions(module: SchoolModule, questions: list[dict[str, Any]]) -> int:
    """Add many questions at once (an import): all of them, or none if one would not publish."""
    if len(module.draft["questions"]) + len(questions) > MAX_QUESTIONS:
        raise PublishRefused([f"A module has at most {MAX_QUESTIONS} questions"])
    for question in questions:
        problems = question_problems(question)
        if problems:
            raise PublishRefused(problems)

    def change(draft):
        for question in questions:
            question_id = f"{module.catalogue_id}-q{draft.get('next_question', 1)}"
            draft["next_question"] = draft.get("next_question", 1) + 1
            draft["questions"].append({**question, "id": question_id})

    _change(module, change)
    return len(questions)


def remove_question(module: SchoolModule, number: int) -> None:
    _change(module, lambda draft: draft["questions"].pop(number - 1))


def question_problems(question: dict[str, Any]) -> list[str]:
    kind = QUESTION_TYPES.get(question.get("type", ""))
    if kind is None:
        return [f"unknown question type {question.get('type')!r}"]
    full = {"options": [], "items": [], **question}
    return [message for _field, message in kind.validate(full)]


def draw_for(bank_size: int) -> int:
    """The most questions an attempt can draw from a bank this size and keep retakes fresh (0: too few)."""
    draw = 0
    while smallest_bank_for(draw + 1) <= bank_size:
        draw += 1
    return draw


def publication_problems(draft: dict[str, Any]) -> list[str]:
    problems = []
    if not draft.get("title"):
        problems.append("Enter a title")
    if not draft.get("pages"):
        problems.append("Add at least one page")
    questions = draft.get("questions") or []
    if len(questions) == 1:
        problems.append("Add a second question, or remove the only one: a quiz needs at least 2 so a retake differs")
    for number, question in enumerate(questions, start=1):
        for message in question_problems(question):
            problems.append(f"Question {number}: {message}")
    return problems


def version_of(published: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(published, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def publish(module: SchoolModule, published_by_id: int) -> str:
    """Publish the draft as staff's copy; unchanged, it keeps its version. Returns the version."""
    problems = publication_problems(module.draft)
    if problems:
        raise PublishRefused(problems)
    published = _publishable(copy.deepcopy(module.draft))
    version = version_of(published)
    if version != module.published_version:
        module.published = published
        module.published_version = version
        module.published_at = utcnow()
        db.session.flush()
        record_event(
            "school_module_published",
            school_id=module.school_id,
            actor_id=published_by_id,
            details={"module_id": module.id, "version": version},
        )
    return version


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def build(
    school_id: int, school_module_id: int, content: dict[str, Any], version: str, reviewed_on: date
) -> tuple[Module, Quiz | None]:
    """A published copy as the catalogue's objects."""
    module_id = f"{SCHOOL_MODULE_PREFIX}{school_module_id}"
    pages = tuple(
        Page(page_slug(number), page["title"], render_school_markdown(page["body"]), (), number)
        for number, page in enumerate(content["pages"], start=1)
    )
    module = Module(
        id=module_id,
        title=content["title"],
        short_title=_short_title(content["title"]),
        summary=content["summary"],
        audience=tuple(content["audience"]),
        minutes=content["minutes"],
        outcomes=tuple(content["outcomes"]),
        key_question_ids=(),
        pages=pages,
        version=version,
        reviewed_on=reviewed_on,
        # A school answers for its own text: SEND Ready's twelve-month review rule is shown for it too.
        review_by=_a_year_after(reviewed_on),
        school_id=school_id,
    )
    questions = content.get("questions") or []
    if not questions:
        return module, None
    quiz = Quiz(
        module_id=module_id,
        pass_mark=PASS_MARK,
        draw=draw_for(len(questions)),
        questions=tuple(
            Question(
                id=raw["id"],
                module_id=module_id,
                type=raw["type"],
                prompt=raw["prompt"],
                options=tuple(raw.get("options") or ()),
                items=tuple(raw.get("items") or ()),
                answer=raw["answer"],
                feedback=raw.get("feedback") or "",
                source=SCHOOL_SOURCE,
                page=raw.get("page") or page_slug(1),
                kind=raw.get("kind") or "recall",
            )
            for raw in questions
        ),
        version=version,
    )
    return module, quiz


def published_entries(school_id: int) -> tuple[dict[str, Module], dict[str, Quiz]]:
    """Every published module of the school, and its quiz, as the catalogue holds them. One query."""
    modules: dict[str, Module] = {}
    quizzes: dict[str, Quiz] = {}
    rows = db.session.execute(
        select(SchoolModule.id, SchoolModule.published, SchoolModule.published_version, SchoolModule.published_at)
        .where(SchoolModule.school_id == school_id, SchoolModule.published.is_not(None))
        .order_by(SchoolModule.id)
    )
    for module_id, published, version, published_at in rows:
        module, quiz = build(school_id, module_id, published, version, published_at.date())
        modules[module.id] = module
        if quiz is not None:
            quizzes[module.id] = quiz
    return modules, quizzes


def published_module_ids(school_ids: list[int], session=None) -> dict[int, set[str]]:
    """Each school's published modules, by their catalogue ids: for a caller that holds only the national
    catalogue (the requirement projection) and must still count what a school requires of its own."""
    found: dict[int, set[str]] = {school_id: set() for school_id in school_ids}
    if school_ids:
        rows = (session or db.session).execute(
            select(SchoolModule.school_id, SchoolModule.id).where(
                SchoolModule.school_id.in_(school_ids), SchoolModule.published.is_not(None)
            )
        )
        for school_id, module_id in rows:
            found[school_id].add(f"{SCHOOL_MODULE_PREFIX}{module_id}")
    return found


def _short_title(title: str, limit: int = 20) -> str:
    """The dashboard's column heading for a school's module: its title's first words, within the limit
    the national modules' `short_title` keeps (the full title is shown beside it, as for theirs)."""
    if len(title) <= limit:
        return title
    words: list[str] = []
    for word in title.split():
        if len(" ".join([*words, word])) > limit - 1:
            break
        words.append(word)
    return (" ".join(words) or title[: limit - 1]) + "…"
