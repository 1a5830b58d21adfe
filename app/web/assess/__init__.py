from flask import Blueprint

bp = Blueprint("assess", __name__, url_prefix="/self-assessment")

from app.web.assess import board, lead, reflections, routes  # noqa: E402, F401
