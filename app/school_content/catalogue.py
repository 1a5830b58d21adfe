"""The catalogue as one school sees it: the national curriculum and the school's published modules.

Built once per school and training revision and kept in memory: publishing a module changes the
school's training revision (app/leadership/revisions.py), so a kept catalogue is never stale, and
while the revision stands the same object is handed out, which is what lets the dashboard's kept
figures (app/leadership/snapshots.py) be reused.
"""

from __future__ import annotations

import dataclasses
import threading

from cachetools import LRUCache
from flask import current_app

from app.content.model import Catalogue
from app.models import School
from app.school_content.modules import published_entries

_lock = threading.Lock()
_CACHE_SIZE = 256


def catalogue_for_school(national: Catalogue, school: School) -> Catalogue:
    """The national catalogue with the school's published modules and quizzes beside it."""
    cache = current_app.extensions.setdefault("school_catalogues", LRUCache(maxsize=_CACHE_SIZE))
    key = (school.id, school.training_revision)
    with _lock:
        kept = cache.get(key)
    if kept is not None and kept[0] is national:
        return kept[1]
    modules, quizzes = published_entries(school.id)
    if not modules:
        result = national
    else:
        result = dataclasses.replace(
            national, modules={**national.modules, **modules}, quizzes={**national.quizzes, **quizzes}
        )
    with _lock:
        cache[key] = (national, result)
    return result
