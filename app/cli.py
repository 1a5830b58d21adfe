"""Command-line tasks: `flask demo`, `flask ledger verify`, `flask outbox send|work`, `flask users ...`,
`flask import-staff`, `flask apply-retention`, `flask rebuild-requirements`."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db


def register_commands(app: Flask) -> None:
    ledger_cli = AppGroup("ledger", help="The CPD ledger.")
    outbox_cli = AppGroup("outbox", help="Email waiting in the outbox.")
    users_cli = AppGroup("users", help="People's accounts.")
    xapi_cli = AppGroup("xapi", help="The CPD record as xAPI statements.")
    badges_cli = AppGroup("badges", help="Open Badges.")
    certificates_cli = AppGroup("certificates", help="Leaders' zips of their staff's certificates.")

    @certificates_cli.command("work")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between looks for waiting zips.")
    @click.option("--once", is_flag=True, help="Build what is waiting now, then stop.")
    def certificates_work(interval: float, once: bool):
        """Build the certificate zips leaders asked for. Any number of workers can run at once on PostgreSQL.

        A worker of its own, not the outbox's: a zip of hundreds of PDFs takes minutes, and email
        must not wait behind it."""
        from app.records.certificate_bundles import build_next_bundle

        if not once:
            click.echo("Certificate zip worker started; Ctrl+C stops it.")
        while True:
            bundle = build_next_bundle(app.extensions["catalogue"])
            if bundle is not None:
                click.echo(f"Certificate zip {bundle.id}: {bundle.status}, {bundle.done} of {bundle.total}.")
                continue
            db.session.remove()
            if once:
                return
            time.sleep(interval)

    @badges_cli.command("new-key")
    @click.argument("kid")
    def badges_new_key(kid: str):
        """Print a new Ed25519 signing key (a private JWK) to put first in the badge key set."""
        import json

        from app.platform.credential_keys import new_key

        click.echo(json.dumps(new_key(kid)))

    @xapi_cli.command("push")
    @click.option("--batch", "batch_size", default=50, show_default=True, type=click.IntRange(1, 1000))
    @click.option(
        "--settle-seconds", default=120, show_default=True, type=click.IntRange(0), help="Leave younger entries."
    )
    def xapi_push(batch_size: int, settle_seconds: int):
        """Send statements not yet sent to the learning record store at LRS_URL. Safe to repeat."""
        from datetime import timedelta

        from app.records import xapi

        if not app.config.get("LRS_URL"):
            click.echo("LRS_URL is not set: no learning record store to send to, nothing sent.")
            return
        try:
            with xapi.push_lock() as locked:
                if not locked:
                    click.echo("No lock between machines on SQLite: run one push at a time (see the README).")
                result = xapi.push(
                    lrs_url=app.config["LRS_URL"],
                    username=app.config.get("LRS_USERNAME") or "",
                    password=app.config.get("LRS_PASSWORD") or "",
                    batch_size=batch_size,
                    settle=timedelta(seconds=settle_seconds),
                    report=click.echo,
                )
        except xapi.PushBusy as error:
            db.session.rollback()
            raise SystemExit(f"xAPI push not started: {error}.") from None
        except xapi.PushFailed as error:
            db.session.rollback()
            raise SystemExit(f"xAPI push stopped: {error}. The next run sends that batch again.") from None
        click.echo(f"xAPI push done: {result.statements} statements in {result.batches} batches.")
        if result.voided_for_erasure:
            click.echo(f"{result.voided_for_erasure} of them void what the store held about people since erased.")
        if result.already_held:
            click.echo(f"The store already held {result.already_held} of them: counted as sent.")
        if result.conflicts:
            click.echo(
                f"WARNING: {len(result.conflicts)} statements were skipped because the store holds their ids "
                "with other content: " + ", ".join(result.conflicts),
                err=True,
            )

    def _latest_checkpoint():
        """The latest signed checkpoint, checked; None if there is none yet. Exits on a bad one."""
        from pathlib import Path

        from app.records import checkpoints

        directory = Path(app.config["LEDGER_CHECKPOINT_DIR"])
        path = checkpoints.latest_checkpoint_path(directory)
        if path is None:
            click.echo(
                f"WARNING: no signed checkpoint in {directory}: chains are checked against themselves only, "
                "which cannot show a chain rewritten with its hashes recomputed. Run `flask ledger checkpoint`.",
                err=True,
            )
            return None
        try:
            return checkpoints.read_checkpoint(path, checkpoints.verify_key(app.config))
        except checkpoints.CheckpointError as error:
            raise SystemExit(f"Ledger NOT verified: {error}") from None

    def _verify(*, full: bool, processes: int | None, checkpoint):
        from app.records import ledger_verify

        # End this session's transaction: the workers and the progress write use connections of their own.
        db.session.commit()
        url = db.engine.url.render_as_string(hide_password=False)
        started = time.perf_counter()
        result = ledger_verify.verify_ledger(
            url, checkpointed=checkpoint.tips if checkpoint else None, full=full, processes=processes
        )
        seconds = time.perf_counter() - started
        with db.engine.begin() as connection:
            ledger_verify.record_progress(connection, result.advanced)
        kind = "full" if full else "incremental (from where each chain was last verified; --full for all)"
        against = f"against signed checkpoint {checkpoint.name} (root {checkpoint.root})" if checkpoint else ""
        rate = result.entries / seconds if seconds else 0
        click.echo(
            f"Checked {result.entries} entries in {result.chains} chains {against}: {kind}; "
            f"{seconds:.2f} s, {rate:,.0f} entries a second."
        )
        for link in result.broken:
            click.echo(f"BROKEN {link.describe()}", err=True)
        return result

    @ledger_cli.command("verify")
    @click.option("--full", is_flag=True, help="Check every entry from each chain's first, not only what is new.")
    @click.option("--processes", type=click.IntRange(1, 64), help="Worker processes (default: one a core).")
    @click.option(
        "--root", help="Fail unless the latest checkpoint's Merkle root is this (from a headteacher's email)."
    )
    def ledger_verify(full: bool, processes: int | None, root: str | None):
        """Check every person's hash chain, and that each leads to the latest signed checkpoint's hash."""
        checkpoint = _latest_checkpoint()
        if root is not None and (checkpoint is None or checkpoint.root != root.strip().lower()):
            found = checkpoint.root if checkpoint else "no checkpoint"
            raise SystemExit(f"Ledger NOT verified: the latest checkpoint's root is {found}, not {root}.")
        result = _verify(full=full, processes=processes, checkpoint=checkpoint)
        if result.broken:
            raise SystemExit(f"Ledger NOT verified: {len(result.broken)} of {result.chains} chains broken.")
        anchored = ", every chain leads to its signed checkpoint" if checkpoint else ""
        click.echo(f"Ledger verified: {result.entries} entries in {result.chains} chains, no broken links{anchored}.")

    @ledger_cli.command("checkpoint")
    @click.option("--full", is_flag=True, help="Verify every entry first, not only what is new.")
    @click.option("--processes", type=click.IntRange(1, 64), help="Worker processes (default: one a core).")
    @click.option("--no-email", is_flag=True, help="Write the checkpoint file only; email no headteacher.")
    def ledger_checkpoint(full: bool, processes: int | None, no_email: bool):
        """Verify the ledger, then sign the last hash of every chain into LEDGER_CHECKPOINT_DIR and email
        each school's headteachers their digest. Run nightly; safe to run on demand."""
        from datetime import date
        from pathlib import Path

        from app.models.base import utcnow
        from app.records import checkpoints, ledger_verify

        try:
            key = checkpoints.signing_key(app.config)
        except checkpoints.CheckpointError as error:
            raise SystemExit(f"No checkpoint made: {error}") from None
        previous = _latest_checkpoint()
        # The places to sign are read first, so the verification that follows covers all of them.
        with db.engine.connect() as connection:
            tips = ledger_verify.chain_tips(connection)
        if _verify(full=full, processes=processes, checkpoint=previous).broken:
            raise SystemExit(
                "No checkpoint made: the ledger did not verify, and a checkpoint must never seal a change."
            )
        try:
            checkpoint = checkpoints.make_checkpoint(Path(app.config["LEDGER_CHECKPOINT_DIR"]), tips, key, utcnow())
        except (checkpoints.CheckpointError, OSError) as error:
            raise SystemExit(f"No checkpoint made: {error}") from None
        click.echo(f"Checkpoint {checkpoint.name} of {len(tips)} chains signed: {checkpoint.path}")
        click.echo(f"Merkle root: {checkpoint.root}")
        if not no_email:
            queued = checkpoints.email_headteachers(checkpoint, date.today())
            db.session.commit()
            click.echo(f"Digests queued for {queued} headteachers.")

    @ledger_cli.command("keygen")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def ledger_keygen(path: str):
        """Make a new Ed25519 key for signing checkpoints (PATH), and its public key (PATH.pub)."""
        from pathlib import Path

        from app.records import checkpoints

        try:
            private, public = checkpoints.generate_key_files(Path(path))
        except FileExistsError:
            raise SystemExit(f"{path} already exists: a key is never overwritten.") from None
        click.echo(f"Private key (set LEDGER_SIGNING_KEY_FILE to it; keep it off the database host): {private}")
        click.echo(f"Public key (LEDGER_VERIFY_KEY_FILE, for a machine that only verifies): {public}")

    @ledger_cli.command("school-digest")
    @click.argument("school_id", type=int)
    def ledger_school_digest(school_id: int):
        """Show the latest checkpoint's digest of one school's people's chains, as its headteacher was sent."""
        checkpoint = _latest_checkpoint()
        if checkpoint is None:
            raise SystemExit("No checkpoint yet.")
        from app.records import checkpoints

        count, digest = checkpoints.school_digest(checkpoint, school_id)
        click.echo(f"Checkpoint {checkpoint.name}, root {checkpoint.root}")
        click.echo(f"School {school_id}: {count} people's chains, digest {digest}")

    @outbox_cli.command("send")
    @click.option("--limit", default=500, show_default=True, help="Most messages to send in this run.")
    def outbox_send(limit: int):
        """Send what is due once, then stop."""
        from app.platform.email import deliver_pending

        sent, failed = deliver_pending(limit=limit)
        click.echo(f"Sent {sent}, failed {failed} (failed messages stay in the outbox and are retried).")

    @outbox_cli.command("work")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between looks at the outbox.")
    def outbox_work(interval: float):
        """Keep sending as messages arrive. Any number of workers can run at once."""
        from app.platform.email import deliver_pending

        click.echo("Outbox worker started; Ctrl+C stops it.")
        while True:
            deliver_pending(limit=500)
            db.session.remove()
            time.sleep(interval)

    @users_cli.command("deactivate")
    @click.argument("email")
    def users_deactivate(email: str):
        """Disable an account and end all of its sessions."""
        from app.people import accounts

        user = accounts.find_user_by_email(email)
        if user is None:
            raise SystemExit(f"No account with the email address {email}")
        accounts.deactivate(user)
        db.session.commit()
        click.echo(f"Deactivated {user.email}; their sessions have ended.")

    @users_cli.command("reset-two-step")
    @click.argument("email")
    def users_reset_two_step(email: str):
        """Turn off two-step sign-in for someone who lost their phone and recovery codes."""
        from app.people import accounts, two_step

        user = accounts.find_user_by_email(email)
        if user is None:
            raise SystemExit(f"No account with the email address {email}")
        two_step.reset(user)
        db.session.commit()
        click.echo(f"Two-step sign-in is off for {user.email}; a leader sets it up again at their next sign-in.")

    @app.cli.command("import-staff")
    @click.argument("file", type=click.File("rb"))
    @click.option("--school", "urn", required=True, help="The school's URN (unique reference number).")
    @click.option("--dry-run", is_flag=True, help="Check the file and say what it would change; change nothing.")
    def import_staff_command(file, urn: str, dry_run: bool):
        """Import a school's staff from a CSV file (name, email, role, start_date), inviting new people."""
        from sqlalchemy import select

        from app.models import School
        from app.people import staff_file, staff_import

        school = db.session.scalars(select(School).where(School.urn == urn.strip())).first()
        if school is None:
            raise SystemExit(f"No school with the URN {urn}")
        plan = staff_import.plan_import(school, file.read(), max_rows=None)
        for _anchor, message in plan.problem_messages(limit=None):
            click.echo(f"PROBLEM {message}", err=True)
        if not plan.is_clean:
            raise SystemExit(f"Nothing imported into {school.name}: {plan.problem_count} problem(s) in the file.")
        outcome = staff_file.Outcome
        summary = (
            f"{plan.count(outcome.INVITE)} to invite, {plan.count(outcome.ADD_ROLE)} roles added, "
            f"{plan.count(outcome.CHANGE)} start dates changed, {plan.count(outcome.SKIP)} rows already up to date"
        )
        if dry_run:
            click.echo(f"Dry run for {school.name}: {summary}. Nothing was changed.")
            return
        with click.progressbar(length=len(plan.rows), label=f"Importing into {school.name}") as bar:
            result = staff_import.apply_plan(school, plan, by=None, progress=bar.update)
        db.session.commit()
        click.echo(f"Imported into {school.name}: {result.describe()}.")

    @app.cli.command("apply-retention")
    @click.option("--dry-run", is_flag=True, help="List what would be erased or removed; change nothing.")
    def apply_retention_command(dry_run: bool):
        """Erase leavers' personal details once every school's retention period has passed."""
        from app.people.erasure import apply_retention

        result = apply_retention(dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        for line in result.describe():
            click.echo(line)

    @app.cli.command("send-reminders")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Act as if it were this date.")
    def send_reminders_command(today):
        """Email people whose training is due soon or overdue, and headteachers' weekly digest. Safe to repeat."""
        from app.leadership.reminders import send_reminders

        run = send_reminders(app.extensions["catalogue"], today.date() if today else None)
        click.echo(
            f"Reminders queued: {run.reminders}; weekly digests: {run.digests}; already sent, skipped: {run.skipped}."
        )

    @app.cli.command("search-index")
    def search_index_command():
        """Build the search index from the training content, if the content changed. Run after `flask db upgrade`."""
        from app.learning.search import ensure_index

        built = ensure_index(app.extensions["catalogue"])
        db.session.commit()
        click.echo("The search index was built from the content." if built else "The search index is up to date.")

    @app.cli.command("rebuild-requirements")
    def rebuild_requirements_command():
        """Rewrite everyone's rows of the requirement projection from their roles, assignments and progress.

        Each write keeps its own rows current; run this after deploying changed content (a pathway's
        modules or windows), which changes what is required of everyone at once."""
        from app.leadership.progress_projection import rebuild

        started = time.perf_counter()
        rows = rebuild(db.session, app.extensions["catalogue"], everyone=True)
        db.session.commit()
        click.echo(f"Requirement projection rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s.")

    @app.cli.command("demo")
    @click.option("--reset-passwords", is_flag=True, help="Give every demo account a new password and print it.")
    def demo(reset_passwords: bool):
        """Create a demo local authority, two schools and an account for every role. Safe to run twice."""
        from app.demo.seed import load_demo_data

        result = load_demo_data(reset_passwords=reset_passwords)
        db.session.commit()
        click.echo(result.describe())

    from app.content.cli import content_cli

    app.cli.add_command(content_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(xapi_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(certificates_cli)
