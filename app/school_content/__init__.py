"""A school's own content beside the national curriculum: modules its leaders write (with quiz
questions, imported from and exported to Moodle XML and GIFT) and policies its staff must read and
acknowledge. Other areas use it only through the names below."""

from app.school_content.catalogue import catalogue_for_school
from app.school_content.models import SchoolModule, SchoolPolicy, SchoolPolicyVersion
from app.school_content.modules import published_module_ids

__all__ = ["SchoolModule", "SchoolPolicy", "SchoolPolicyVersion", "catalogue_for_school", "published_module_ids"]
