"""SEND Ready: training, self-assessment and a CPD ledger for school staff and governors' SEND roles."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from app.config import load_config
from app.content.loader import load_catalogue_kept
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.platform.database import register_database_teardown, register_reading_without_transaction
from app.proxies import trust_proxies
from app.web.routing import DatabaseIntegerConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), template_folder=str(ROOT / "templates"))
    app.config.from_mapping(load_config(overrides))
    # Before any route is added: every `<int:...>` in an address is bounded by what the database holds.
    app.url_map.converters["int"] = DatabaseIntegerConverter
    trust_proxies(app)
    Path(app.instance_path).mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # WeasyPrint logs each step of every PDF at INFO ("Step 2 - Fetching and parsing CSS"): noise.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    # The content is checked before anything else: a broken file stops start-up, naming the problem.
    # Once checked, it is kept in the instance folder until a content file (or the loader) changes.
    app.extensions["catalogue"] = load_catalogue_kept(
        Path(app.config["CONTENT_ROOT"]), Path(app.instance_path), app.config["SECRET_KEY"].encode()
    )

    db.init_app(app)
    register_database_teardown(app)
    register_reading_without_transaction(app)
    # Batch mode lets later migrations alter tables on SQLite, which has little ALTER TABLE.
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    # The API has no sign-in page to send anyone to: signed out, it answers 401 (in JSON, app/api).
    login_manager.blueprint_login_views["api"] = None
    # A guessed or stolen cookie from before a sign-out is refused, not refreshed.
    login_manager.session_protection = "basic"

    from app import schema  # noqa: F401  (every model registered before anything queries)
    from app.leadership import revisions  # noqa: F401  (its listeners keep schools' revisions current)
    from app.platform.email import send_committed_email_after_response
    from app.web import sessions
    from app.web.admin import account_bp, invitations_bp
    from app.web.admin import bp as people_bp
    from app.web.api import bp as api_bp
    from app.web.assess import bp as assess_bp
    from app.web.auth import bp as auth_bp
    from app.web.badges import bp as badges_bp
    from app.web.cpd import bp as cpd_bp
    from app.web.cpd import certificates_bp
    from app.web.errors import register_error_handlers
    from app.web.la import bp as la_bp
    from app.web.leaders import bp as leaders_bp
    from app.web.learn import bp as learn_bp
    from app.web.main import bp as main_bp
    from app.web.quiz import bp as quiz_bp
    from app.web.school_content import bp as school_content_bp
    from app.web.security import add_security_headers
    from app.web.templating import register_template_helpers

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(assess_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(leaders_bp)
    app.register_blueprint(la_bp)
    app.register_blueprint(cpd_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(school_content_bp)
    register_error_handlers(app)
    register_template_helpers(app)

    app.before_request(sessions.enforce_session_timeouts)
    app.after_request(add_security_headers)
    app.after_request(send_committed_email_after_response)

    from app.cli import register_commands

    register_commands(app)
    return app
