"""The catalogue a page shows: the national curriculum, with the school's own published modules beside it
when the person is working in a school."""

from flask import has_request_context
from flask_login import current_user

from app import content
from app.content.model import Catalogue
from app.permissions import current_context
from app.school_content import catalogue_for_school


def catalogue() -> Catalogue:
    national = content.catalogue()
    if not has_request_context() or not current_user.is_authenticated:
        return national
    context = current_context()
    if context is None or context.school is None:
        return national
    return catalogue_for_school(national, context.school)
