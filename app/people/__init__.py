from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/school/people")
# A person's own account: two-step sign-in and downloading their own data, wherever they work.
account_bp = Blueprint("account", __name__, url_prefix="/account")

from app.people import account, routes  # noqa: E402, F401
