from flask import Blueprint

# Open Badges' public addresses: the keys, the status list, issuers, achievements and shared badges.
bp = Blueprint("badges", __name__, url_prefix="/badges")

from app.web.badges import routes  # noqa: E402, F401
