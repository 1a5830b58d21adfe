from flask import Blueprint

bp = Blueprint("school_content", __name__, url_prefix="/school-content")

from app.web.school_content import banks, policies, routes  # noqa: E402, F401
