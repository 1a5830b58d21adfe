"""Learning: the modules people read and complete, what each role and person is required to do and by
when, and training a leader assigns. Other areas use it only through the names below."""

from app.learning.certificate_status import CertificateCheck, CertificateStatus, check_certificate
from app.learning.module_progress import complete_if_ready
from app.learning.requirements import PersonalRequirement, personal_requirements, requirements_for_schools

__all__ = [
    "CertificateCheck",
    "CertificateStatus",
    "PersonalRequirement",
    "check_certificate",
    "complete_if_ready",
    "personal_requirements",
    "requirements_for_schools",
]
