from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/training")

from app.web.learn import routes  # noqa: E402, F401
