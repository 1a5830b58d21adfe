"""What the content covers: per module, what its quiz tests; per source section, the module pages and
quiz questions built from it (for tracing a change in the law or guidance to what it touches); and which
modules are past the date they must be reviewed by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.content.model import Catalogue
from app.content.readability import module_readability


@dataclass(frozen=True)
class ModuleQuizCoverage:
    module_id: str
    questions: int
    scenarios: int
    recall: int
    # The source sections the module's questions rest on.
    sections_tested: tuple[str, ...]


def module_quiz_coverage(catalogue: Catalogue) -> list[ModuleQuizCoverage]:
    """One row per module, in the catalogue's order; a module without a quiz has zeros."""
    rows = []
    for module in catalogue.modules.values():
        quiz = catalogue.quizzes.get(module.id)
        questions = quiz.questions if quiz else ()
        scenarios = sum(1 for question in questions if question.is_scenario)
        rows.append(
            ModuleQuizCoverage(
                module_id=module.id,
                questions=len(questions),
                scenarios=scenarios,
                recall=len(questions) - scenarios,
                sections_tested=tuple(sorted({question.source for question in questions})),
            )
        )
    return rows


def coverage_map(catalogue: Catalogue) -> dict[str, dict[str, list[str]]]:
    """section ref -> {"pages": ["module/page", ...], "questions": ["question-id", ...]}"""
    result: dict[str, dict[str, list[str]]] = {ref: {"pages": [], "questions": []} for ref in catalogue.sections}
    for module in catalogue.modules.values():
        for page in module.pages:
            for ref in page.sources:
                result[ref]["pages"].append(f"{module.id}/{page.slug}")
    for quiz in catalogue.quizzes.values():
        for question in quiz.questions:
            result[question.source]["questions"].append(question.id)
    return result


def overdue_reviews(catalogue: Catalogue, today: date) -> list[str]:
    """A line for each module whose review date has passed: it may no longer match the law."""
    return [
        f"modules/{module.id}/module.yaml: review_by: {module.review_by} has passed "
        f"(last reviewed {module.reviewed_on}): check the module against the law and guidance"
        for module in catalogue.modules.values()
        if module.review_by < today
    ]


def coverage_report(catalogue: Catalogue) -> str:
    lines: list[str] = [
        "Quizzes by module (questions, scenarios, recall, sections tested), and how the pages read "
        "(mean words a sentence; acronyms not expanded where first used)"
    ]
    width = max((len(module_id) for module_id in catalogue.modules), default=10)
    for row in module_quiz_coverage(catalogue):
        reading = module_readability(catalogue.modules[row.module_id])
        lines.append(
            f"  {row.module_id:<{width}}  questions {row.questions:>3}  scenarios {row.scenarios:>3}  "
            f"recall {row.recall:>3}  sections tested {len(row.sections_tested):>3}  "
            f"mean sentence {reading.mean_sentence_length:4.1f} words"
        )
        lines.append(f"    sections tested: {', '.join(row.sections_tested) or '-'}")
        if reading.unexpanded:
            lines.append(
                "    ACRONYMS NOT EXPANDED: " + ", ".join(f"{acronym} ({slug})" for slug, acronym in reading.unexpanded)
            )
    lines.append("")
    covered = 0
    spine = 0
    mapping = coverage_map(catalogue)
    for document in catalogue.documents.values():
        lines.append(f"{document.title} ({document.id}, {document.kind})")
        for section in document.sections:
            entry = mapping[section.ref]
            if document.is_guidance:
                spine += 1
                covered += bool(entry["pages"])
                mark = "covered" if entry["pages"] else "NOT COVERED"
            else:
                # A reference is cited where a fact needs it; an uncited section is not a gap.
                mark = "cited" if entry["pages"] or entry["questions"] else "not cited"
            lines.append(f"  {section.ref}  [{mark}] {section.heading}")
            lines.append(f"    pages ({len(entry['pages'])}): {', '.join(entry['pages']) or '-'}")
            lines.append(f"    questions ({len(entry['questions'])}): {', '.join(entry['questions']) or '-'}")
        lines.append("")
    lines.append("Key questions")
    for key_set in catalogue.key_question_sets.values():
        lines.append(f"  {key_set.title} ({key_set.source})")
        for question in key_set.questions:
            modules = [m.id for m in catalogue.modules.values() if question.id in m.key_question_ids]
            lines.append(f"    {question.id}: {', '.join(modules) or 'NOT PAIRED'}")
    lines.append("")
    questions = sum(row.questions for row in module_quiz_coverage(catalogue))
    scenarios = sum(row.scenarios for row in module_quiz_coverage(catalogue))
    lines.append(
        f"{covered} of {spine} guidance sections covered by module pages; "
        f"{len(catalogue.key_questions)} key questions present; "
        f"{questions} questions in {len(catalogue.quizzes)} quizzes, {scenarios} of them scenarios."
    )
    return "\n".join(lines)
