"""Which module pages and quiz questions each guidance section feeds: for tracing a change in the guidance."""

from __future__ import annotations

from app.content.model import Catalogue


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


def coverage_report(catalogue: Catalogue) -> str:
    lines: list[str] = []
    covered = 0
    mapping = coverage_map(catalogue)
    for document in catalogue.documents.values():
        lines.append(f"{document.title} ({document.id})")
        for section in document.sections:
            entry = mapping[section.ref]
            covered += bool(entry["pages"])
            mark = "covered" if entry["pages"] else "NOT COVERED"
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
    lines.append(
        f"{covered} of {len(mapping)} sections covered by module pages; "
        f"{len(catalogue.key_questions)} key questions present."
    )
    return "\n".join(lines)
