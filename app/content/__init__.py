"""The curriculum as data: loaded from modules/ and quizzes/, validated, and held read-only in memory."""

from flask import current_app

from app.content.model import Catalogue


def catalogue() -> Catalogue:
    """The catalogue loaded when the app started."""
    return current_app.extensions["catalogue"]
