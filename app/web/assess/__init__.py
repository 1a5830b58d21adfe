from flask import Blueprint

bp = Blueprint("assess", __name__, url_prefix="/self-assessment")

from app.assess import routes  # noqa: E402, F401
