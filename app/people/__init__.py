from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/school/people")

from app.people import routes  # noqa: E402, F401
