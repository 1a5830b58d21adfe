"""Every model in one import: the shared data model and each area's own, so that Alembic, the app and
the tests see the whole schema whichever parts they have loaded."""

from app import models  # noqa: F401
from app.people import models as people_models  # noqa: F401
from app.school_content import models as school_content_models  # noqa: F401
from app.self_assessment import models as self_assessment_models  # noqa: F401
