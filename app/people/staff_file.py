"""A staff file (CSV: name, email, role, start date) read and checked on its own, row by row, before
anything is compared with the school: the header, the text encoding, each email, role and date,
duplicates within the file, and cells a spreadsheet would run as formulas. `staff_import` plans and
applies what a clean file says."""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from app.models import (
    SCHOOL_ROLES,
    Role,
)
from app.people import accounts
from app.platform import FORMULA_STARTS

COLUMNS = ("name", "email", "role", "start_date")
# The web page checks files of up to this many people; a local authority's bigger loads use the command.
MAX_ROWS_ON_THE_WEB = 5_000
MAX_BYTES = 2_000_000
# The preview lists this many problems in its summary; the counts are always complete.
PROBLEMS_SHOWN = 100

TEMPLATE_CSV = (
    "name,email,role,start_date\r\n"
    "Amara Example,amara.example@school.example.org,teaching_assistant,2026-09-01\r\n"
    "Ben Example,ben.example@school.example.org,Teacher,01/09/2026\r\n"
)

_ROLE_NAMES: dict[str, Role] = {}
for _role in SCHOOL_ROLES:
    _ROLE_NAMES[_role.value] = _role
    _ROLE_NAMES[_role.label.lower()] = _role
    _ROLE_NAMES[_role.value.replace("_", " ")] = _role
ROLE_HELP = ", ".join(role.value for role in SCHOOL_ROLES)


class Outcome(enum.StrEnum):
    INVITE = "invite"
    ADD_ROLE = "add_role"
    CHANGE = "change"
    SKIP = "skip"
    PROBLEM = "problem"

    @property
    def label(self) -> str:
        return {
            Outcome.INVITE: "Invited",
            Outcome.ADD_ROLE: "Role added",
            Outcome.CHANGE: "Start date changed",
            Outcome.SKIP: "No change",
            Outcome.PROBLEM: "Problem",
        }[self]

    @property
    def tag_class(self) -> str:
        return {
            Outcome.INVITE: "govuk-tag--green",
            Outcome.ADD_ROLE: "govuk-tag--turquoise",
            Outcome.CHANGE: "govuk-tag--blue",
            Outcome.SKIP: "govuk-tag--grey",
            Outcome.PROBLEM: "govuk-tag--red",
        }[self]


@dataclass
class PlannedRow:
    number: int  # the line in the spreadsheet: the header is row 1
    name: str
    email: str
    role_text: str
    start_text: str
    role: Role | None = None
    started_on: date | None = None
    outcome: Outcome = Outcome.PROBLEM
    note: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"row-{self.number}"


@dataclass
class ImportPlan:
    file_problems: list[str] = field(default_factory=list)
    rows: list[PlannedRow] = field(default_factory=list)

    @property
    def problem_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.problems]

    @property
    def is_clean(self) -> bool:
        return not self.file_problems and not self.problem_rows and bool(self.rows)

    def count(self, outcome: Outcome) -> int:
        return sum(row.outcome is outcome for row in self.rows)

    @property
    def changes(self) -> int:
        return sum(row.outcome in (Outcome.INVITE, Outcome.ADD_ROLE, Outcome.CHANGE) for row in self.rows)

    def problem_messages(self, limit: int | None = PROBLEMS_SHOWN) -> list[tuple[str, str]]:
        """(anchor, sentence) for each problem, in row order: for the error summary and the command line."""
        messages = [("staff_file", problem) for problem in self.file_problems]
        for row in self.problem_rows:
            messages.extend((row.anchor, f"Row {row.number}: {problem}") for problem in row.problems)
        return messages if limit is None else messages[:limit]

    @property
    def problem_count(self) -> int:
        return len(self.file_problems) + sum(len(row.problems) for row in self.problem_rows)


# ---- reading and checking -----------------------------------------------------------------------


def decode_file(data: bytes) -> str | None:
    try:
        # Excel's "CSV UTF-8" starts with a byte order mark, which utf-8-sig removes.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _check_row(row: PlannedRow, today: date) -> None:
    cells = {"name": row.name, "email": row.email, "role": row.role_text, "start_date": row.start_text}
    for column, value in cells.items():
        if value.startswith(FORMULA_STARTS):
            label = column.replace("_", " ")
            row.problems.append(
                f"the {label} starts with “{value[:1].strip() or 'a space'}”, which a spreadsheet would run "
                "as a formula. Remove it"
            )
    if row.problems:
        return
    if not row.name:
        row.problems.append("enter the person's full name")
    elif len(row.name) > 200:
        row.problems.append("the name must be 200 characters or fewer")
    if not row.email:
        row.problems.append("enter the person's email address")
    else:
        try:
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.problems.append(
                f"“{row.email[:80]}” is not an email address in the correct format, like name@example.com"
            )
        else:
            row.email = accounts.normalise_email(row.email)
    role = _ROLE_NAMES.get(row.role_text.strip().lower())
    if not row.role_text:
        row.problems.append(f"enter a role: one of {ROLE_HELP}")
    elif role is None:
        row.problems.append(f"“{row.role_text[:40]}” is not a role here: use one of {ROLE_HELP}")
    row.role = role
    started_on = _parse_date(row.start_text) if row.start_text else None
    if not row.start_text:
        row.problems.append("enter a start date, for example 2026-09-01")
    elif started_on is None:
        row.problems.append(f"“{row.start_text[:20]}” is not a real date: use 2026-09-01 or 01/09/2026")
    elif started_on.year < 1950:
        row.problems.append("the start date must be after 1950")
    elif (started_on - today).days > 366:
        row.problems.append("the start date must be within the next year")
    row.started_on = started_on


def read_file(data: bytes, *, max_rows: int | None = MAX_ROWS_ON_THE_WEB, today: date | None = None) -> ImportPlan:
    """Read and check a staff file on its own (no database): the file's problems and each row's."""
    today = today or date.today()
    plan = ImportPlan()
    if len(data) > MAX_BYTES and max_rows is not None:
        plan.file_problems.append("The file is larger than 2 MB. Split it into smaller files")
        return plan
    if data.startswith(b"PK\x03\x04"):
        plan.file_problems.append(
            "The file is a spreadsheet workbook, not a CSV file. In your spreadsheet, choose Save as and CSV UTF-8"
        )
        return plan
    text = decode_file(data)
    if text is None or "\x00" in text:
        plan.file_problems.append(
            "The file is not saved as UTF-8 text. In your spreadsheet, choose Save as and CSV UTF-8, "
            "then upload it again"
        )
        return plan
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            plan.file_problems.append("The file is empty. The first row must be: name, email, role, start_date")
            return plan
        names = [_header_name(cell) for cell in header]
        missing = [column for column in COLUMNS if column not in names]
        unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS]
        repeated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
        if missing or unknown or repeated:
            details = []
            if missing:
                details.append(f"missing {', '.join(missing)}")
            if unknown:
                details.append(f"unknown {', '.join(unknown[:5])}")
            if repeated:
                details.append(f"repeated {', '.join(repeated)}")
            plan.file_problems.append(
                "The first row must name the columns name, email, role and start_date (" + "; ".join(details) + ")"
            )
            return plan
        position = {name: names.index(name) for name in COLUMNS}
        seen: dict[tuple[str, Role], int] = {}
        names_by_email: dict[str, tuple[str, int]] = {}
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if max_rows is not None and len(plan.rows) >= max_rows:
                plan.file_problems.append(
                    f"The file has more than {max_rows:,} people. Split it into smaller files, "
                    "or ask your local authority to load it with the import command"
                )
                plan.rows = []
                return plan
            values = [cell.strip() for cell in cells]
            row = PlannedRow(
                number,
                *(values[position[c]] if position[c] < len(values) else "" for c in COLUMNS),
            )
            if len(cells) != len(header):
                row.problems.append(f"it has {len(cells)} cells but the first row has {len(header)}")
            else:
                _check_row(row, today)
            if not row.problems and row.role is not None:
                key = (row.email, row.role)
                if key in seen:
                    row.problems.append(f"it repeats row {seen[key]} (the same email address and role)")
                else:
                    seen[key] = number
                earlier = names_by_email.get(row.email)
                if earlier and earlier[0] != row.name:
                    row.problems.append(f"it gives a different name for {row.email} than row {earlier[1]}")
                names_by_email.setdefault(row.email, (row.name, number))
            plan.rows.append(row)
    except csv.Error as error:
        plan.file_problems.append(f"The file could not be read as CSV ({error}). Save it again as CSV UTF-8")
        plan.rows = []
        return plan
    if not plan.rows and not plan.file_problems:
        plan.file_problems.append("The file has column names but no people")
    return plan
