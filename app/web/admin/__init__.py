from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/school/people")
# A person's own account: two-step sign-in and downloading their own data, wherever they work.
account_bp = Blueprint("account", __name__, url_prefix="/account")
# A person's invitations to join schools: accepting or declining, signed in as themselves.
invitations_bp = Blueprint("invitations", __name__, url_prefix="/invitations")

from app.web.admin import account, calendar, data_protection, importing, invitations, sign_in_settings, staff  # noqa: E402, F401
