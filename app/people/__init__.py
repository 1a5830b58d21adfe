"""People: accounts, passwords and two-step sign-in, joining a school by invitation, the staff list and
governors, the staff import, and data protection (subject access, erasure, retention). Other areas use
it only through the names below."""

from app.people.staff_rows import StaffMember, school_people, staff_by_school

__all__ = ["StaffMember", "school_people", "staff_by_school"]
