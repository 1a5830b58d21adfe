from flask import Blueprint

bp = Blueprint("cpd", __name__, url_prefix="/cpd")
# The public page that checks a certificate's code: /verify/<code>, outside /cpd, no sign-in.
certificates_bp = Blueprint("certificates", __name__)

from app.web.cpd import routes  # noqa: E402, F401
