"""The catalogue's read-only objects, built once from the content files when the app starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

# What a question in a school's own module cites: it rests on the school's pages, not on a national source.
SCHOOL_SOURCE = "school"


@dataclass(frozen=True)
class Section:
    document_id: str
    id: str
    heading: str
    covers: str
    key_question_count: int | None

    @property
    def ref(self) -> str:
        return f"{self.document_id}#{self.id}"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    publisher: str
    last_updated: date | None
    sections: tuple[Section, ...]
    # "guidance" (the spine: every section taught) or "reference" (cited for a fact where needed).
    kind: str = "guidance"
    edition: str | None = None
    url: str | None = None

    @property
    def is_guidance(self) -> bool:
        return self.kind == "guidance"


@dataclass(frozen=True)
class KeyQuestion:
    id: str
    set_id: str
    text: str
    source: str
    levels: dict[str, str]


@dataclass(frozen=True)
class KeyQuestionSet:
    id: str
    title: str
    source: str
    questions: tuple[KeyQuestion, ...]


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    html: Markup
    sources: tuple[str, ...]
    number: int


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    # A column heading where many modules sit side by side (the staff dashboard); the title says it in full.
    short_title: str
    summary: str
    audience: tuple[str, ...]
    minutes: int
    outcomes: tuple[str, ...]
    key_question_ids: tuple[str, ...]
    pages: tuple[Page, ...]
    # A hash of the module's files: a changed word is a new version.
    version: str
    # When the module was last checked against the law and guidance, and when it must be again.
    reviewed_on: date
    review_by: date
    # The school that wrote it (app/school_content); None for the national curriculum.
    school_id: int | None = None

    def page(self, slug: str) -> Page | None:
        for page in self.pages:
            if page.slug == slug:
                return page
        return None

    @property
    def page_slugs(self) -> tuple[str, ...]:
        return tuple(page.slug for page in self.pages)


@dataclass(frozen=True)
class Question:
    id: str
    module_id: str
    type: str
    prompt: str
    options: tuple[dict[str, str], ...]
    items: tuple[dict[str, str], ...]
    answer: Any
    feedback: str
    source: str
    page: str
    # "scenario" (a decision in a situation) or "recall" (what a document says).
    kind: str = "recall"

    @property
    def is_scenario(self) -> bool:
        return self.kind == "scenario"

    def option_feedback(self, option_id: str) -> str | None:
        for option in self.options:
            if option["id"] == option_id:
                return option.get("feedback")
        return None


def retake_overlap_limit(draw: int) -> int:
    """How many questions a retake may share with the failed attempt before it: at most half."""
    return draw // 2


def smallest_bank_for(draw: int) -> int:
    """The fewest questions a bank can hold and still keep every retake within the overlap limit."""
    return draw + (draw - retake_overlap_limit(draw))


@dataclass(frozen=True)
class Quiz:
    module_id: str
    pass_mark: int
    draw: int
    questions: tuple[Question, ...]
    version: str


@dataclass(frozen=True)
class Pathway:
    role: str
    title: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    new_starter_window_days: int
    renew_every_months: int | None


@dataclass(frozen=True)
class ChangeNote:
    """A change in the law or guidance, recorded once, naming the modules it touches."""

    id: str
    date: date
    recorded_on: date
    title: str
    summary: str
    module_ids: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    meaning: str
    source: str | None


@dataclass
class Catalogue:
    documents: dict[str, Document]
    key_question_sets: dict[str, KeyQuestionSet]
    modules: dict[str, Module]
    quizzes: dict[str, Quiz]
    pathways: dict[str, Pathway]
    glossary: tuple[GlossaryTerm, ...]
    # Newest first.
    changes: tuple[ChangeNote, ...] = ()
    sections: dict[str, Section] = field(default_factory=dict)
    key_questions: dict[str, KeyQuestion] = field(default_factory=dict)

    def __post_init__(self):
        self.sections = {s.ref: s for d in self.documents.values() for s in d.sections}
        self.key_questions = {q.id: q for s in self.key_question_sets.values() for q in s.questions}

    def section_label(self, ref: str) -> str:
        """How a citation reads to a person: the document's title and the section's heading."""
        if ref == SCHOOL_SOURCE:
            return "Written by your school"
        section = self.sections[ref]
        return f"{self.documents[section.document_id].title}: {section.heading}"

    def changes_for(self, module_id: str, recorded_from: date | None = None) -> list[ChangeNote]:
        """The change notes naming the module, newest first; only those recorded on or after a day if given."""
        return [
            change
            for change in self.changes
            if module_id in change.module_ids and (recorded_from is None or change.recorded_on >= recorded_from)
        ]

    def modules_for_role(self, role: str) -> list[Module]:
        return [module for module in self.modules.values() if role in module.audience]
