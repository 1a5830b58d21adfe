from flask import Blueprint

bp = Blueprint("la", __name__, url_prefix="/organisation")

from app.web.la import routes  # noqa: E402, F401
