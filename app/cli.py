"""Command-line tasks: `flask demo`, `flask ledger verify`, `flask outbox send|work`, `flask users ...`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db


def register_commands(app: Flask) -> None:
    ledger_cli = AppGroup("ledger", help="The CPD ledger.")
    outbox_cli = AppGroup("outbox", help="Email waiting in the outbox.")
    users_cli = AppGroup("users", help="People's accounts.")
    content_cli = AppGroup("content", help="The training content in modules/ and quizzes/.")

    @content_cli.command("check")
    @click.option("--root", type=click.Path(file_okay=False, exists=True), help="Check content in another folder.")
    def content_check(root: str | None):
        """Validate every content file; list every problem with its file and field."""
        from app.content.loader import ContentError, load_catalogue

        try:
            loaded = load_catalogue(Path(root or app.config["CONTENT_ROOT"]))
        except ContentError as error:
            for problem in error.problems:
                click.echo(f"PROBLEM {problem}", err=True)
            raise SystemExit(f"Content check failed: {len(error.problems)} problem(s).") from None
        questions = sum(len(quiz.questions) for quiz in loaded.quizzes.values())
        pages = sum(len(module.pages) for module in loaded.modules.values())
        click.echo(
            f"Content OK: {len(loaded.modules)} modules, {pages} pages, {len(loaded.quizzes)} quizzes with "
            f"{questions} questions, {len(loaded.key_questions)} key questions, {len(loaded.pathways)} pathways."
        )

    @content_cli.command("coverage")
    def content_coverage():
        """Print each guidance section with the module pages and quiz questions built from it."""
        from app.content.coverage import coverage_report

        click.echo(coverage_report(app.extensions["catalogue"]))

    @ledger_cli.command("verify")
    def ledger_verify():
        """Check every person's hash chain; name the first broken link of each broken chain."""
        from app.services.ledger import verify_all

        people, entries, broken = verify_all()
        if not broken:
            click.echo(f"Ledger verified: {entries} entries in {people} chains, no broken links.")
            return
        for link in broken:
            click.echo(f"BROKEN {link.describe()}", err=True)
        raise SystemExit(f"Ledger NOT verified: {len(broken)} of {people} chains broken.")

    @outbox_cli.command("send")
    @click.option("--limit", default=500, show_default=True, help="Most messages to send in this run.")
    def outbox_send(limit: int):
        """Send what is due once, then stop."""
        from app.services.email import deliver_pending

        sent, failed = deliver_pending(limit=limit)
        click.echo(f"Sent {sent}, failed {failed} (failed messages stay in the outbox and are retried).")

    @outbox_cli.command("work")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between looks at the outbox.")
    def outbox_work(interval: float):
        """Keep sending as messages arrive. Any number of workers can run at once."""
        from app.services.email import deliver_pending

        click.echo("Outbox worker started; Ctrl+C stops it.")
        while True:
            deliver_pending(limit=500)
            db.session.remove()
            time.sleep(interval)

    @users_cli.command("deactivate")
    @click.argument("email")
    def users_deactivate(email: str):
        """Disable an account and end all of its sessions."""
        from app.services import accounts

        user = accounts.find_user_by_email(email)
        if user is None:
            raise SystemExit(f"No account with the email address {email}")
        accounts.deactivate(user)
        db.session.commit()
        click.echo(f"Deactivated {user.email}; their sessions have ended.")

    @app.cli.command("demo")
    @click.option("--reset-passwords", is_flag=True, help="Give every demo account a new password and print it.")
    def demo(reset_passwords: bool):
        """Create a demo local authority, two schools and an account for every role. Safe to run twice."""
        from app.services.demo import load_demo_data

        result = load_demo_data(reset_passwords=reset_passwords)
        db.session.commit()
        click.echo(result.describe())

    app.cli.add_command(content_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(users_cli)
