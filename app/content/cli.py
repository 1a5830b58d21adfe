"""`flask content check` and `flask content coverage`.

These read the content files themselves instead of the catalogue the app loaded at start-up, so
that they still run, and list every problem, when the content is broken and the app cannot start.
Flask finds them through the `flask.commands` entry point in pyproject.toml; the app also registers
them, for its test runner.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app, has_app_context

from app.content.loader import ContentError, load_catalogue
from app.content.model import Catalogue


def _root(root: str | None) -> Path:
    if root:
        return Path(root)
    if has_app_context():
        return Path(current_app.config["CONTENT_ROOT"])
    from app.config import content_root

    return Path(content_root())


def _load_or_exit(root: Path) -> Catalogue:
    try:
        return load_catalogue(root)
    except ContentError as error:
        for problem in error.problems:
            click.echo(f"PROBLEM {problem}", err=True)
        raise SystemExit(f"Content check failed: {len(error.problems)} problem(s).") from None


@click.group("content", help="The training content in modules/ and quizzes/.")
def content_cli() -> None:
    pass


@content_cli.command("check")
@click.option("--root", type=click.Path(file_okay=False, exists=True), help="Check content in another folder.")
def content_check(root: str | None) -> None:
    """Validate every content file; list every problem with its file and field, and warn of overdue reviews."""
    from app.content.coverage import overdue_reviews

    loaded = _load_or_exit(_root(root))
    for warning in overdue_reviews(loaded, date.today()):
        click.echo(f"WARNING {warning}", err=True)
    questions = sum(len(quiz.questions) for quiz in loaded.quizzes.values())
    pages = sum(len(module.pages) for module in loaded.modules.values())
    click.echo(
        f"Content OK: {len(loaded.modules)} modules, {pages} pages, {len(loaded.quizzes)} quizzes with "
        f"{questions} questions, {len(loaded.key_questions)} key questions, {len(loaded.pathways)} pathways."
    )


@content_cli.command("coverage")
@click.option("--root", type=click.Path(file_okay=False, exists=True), help="Report on content in another folder.")
def content_coverage(root: str | None) -> None:
    """Per module: questions, scenarios, recall and sections tested; per section: the pages and questions
    built from it."""
    from app.content.coverage import coverage_report

    click.echo(coverage_report(_load_or_exit(_root(root))))


@content_cli.command("export-questions")
@click.argument("module_ids", nargs=-1)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["moodle", "gift"]),
    default="moodle",
    show_default=True,
    help="Moodle XML, or GIFT (which has no ordering questions: they are left out and named).",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to this file, not the screen.")
@click.option("--root", type=click.Path(file_okay=False, exists=True), help="Export content from another folder.")
def content_export_questions(module_ids: tuple[str, ...], file_format: str, output: str | None, root: str | None):
    """Write the question banks of the named modules (every module with a quiz if none is named) as
    Moodle XML or GIFT, each module's questions in a category named after it."""
    from app.content.question_banks import to_gift, to_moodle_xml

    loaded = _load_or_exit(_root(root))
    unknown = [module_id for module_id in module_ids if module_id not in loaded.quizzes]
    if unknown:
        raise click.UsageError(f"No quiz for: {', '.join(unknown)}. Modules with one: {', '.join(loaded.quizzes)}")
    questions = []
    for module_id in module_ids or tuple(loaded.quizzes):
        title = loaded.modules[module_id].title
        questions += [{**_as_exported(question), "category": title} for question in loaded.quizzes[module_id].questions]
    writer = to_moodle_xml if file_format == "moodle" else to_gift
    text = writer(questions, category="SEND Ready")
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(questions)} questions to {output}.", err=True)
    else:
        click.echo(text, nl=False)


def _as_exported(question) -> dict:
    from app.content.question_banks import question_as_dict

    return question_as_dict(question)
