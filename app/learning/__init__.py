"""Learning: the modules people read and complete, what each role and person is required to do and by
when, and training a leader assigns. Other areas use it only through the names below."""

from app.learning.badges import (
    OB_CONTEXT,
    STATUS_LIST_SIZE,
    VC_CONTEXT,
    BadgeCheck,
    BadgeStatus,
    achievement,
    badge_for_module,
    badge_standing,
    check_badge,
    credential_of,
    issue_badge,
    issue_on_completion,
    issuer_profile,
    signed_status_list,
    status_place,
)
from app.learning.certificate_status import CertificateCheck, CertificateStatus, check_certificate
from app.learning.module_progress import complete_if_ready
from app.learning.requirements import PersonalRequirement, personal_requirements, requirements_for_schools

__all__ = [
    "OB_CONTEXT",
    "STATUS_LIST_SIZE",
    "VC_CONTEXT",
    "BadgeCheck",
    "BadgeStatus",
    "CertificateCheck",
    "CertificateStatus",
    "PersonalRequirement",
    "achievement",
    "badge_for_module",
    "badge_standing",
    "check_badge",
    "check_certificate",
    "complete_if_ready",
    "credential_of",
    "issue_badge",
    "issue_on_completion",
    "issuer_profile",
    "personal_requirements",
    "requirements_for_schools",
    "signed_status_list",
    "status_place",
]
