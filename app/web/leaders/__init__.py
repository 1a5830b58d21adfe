from flask import Blueprint

bp = Blueprint("leaders", __name__, url_prefix="/leaders")

from app.web.leaders import routes, training_cells  # noqa: E402, F401
