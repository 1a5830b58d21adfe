"""A CPD record to take away: CSV for spreadsheets, a PDF statement, and JSON for the API.

All three are drawn from the same `CpdRecord` (reading.build_record), so they always agree with
the page. PDFs are made with WeasyPrint from templates in templates/cpd/, with every outside
resource refused, so nothing a person typed can make the renderer fetch a URL or read a file.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from marshmallow import Schema, fields

from app.platform import render_pdf, spreadsheet_safe
from app.records.cpd import CpdRecord, RecordEntry
from app.records.terms import academic_year_label, format_hours

# ---- PDF ------------------------------------------------------------------------------------------


def statement_pdf(record: CpdRecord, *, school_name: str | None, generated_at: datetime) -> bytes:
    """A CPD statement for an appraisal or a new employer: totals, activities and their status."""
    return render_pdf(
        "cpd/statement_pdf.html",
        record=record,
        school_name=school_name,
        generated_at=generated_at,
        academic_year_label=academic_year_label,
    )


# ---- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "Entry number",
    "Date",
    "Academic year",
    "Kind",
    "Title",
    "Category",
    "Hours",
    "Hours counted",
    "Status",
    "Refers to entry number",
    "Recorded on",
    "Recorded by",
    "Details",
)

# A spreadsheet treats a cell starting with one of these as a formula (OWASP's list: = + - @, tab, CR).


def _csv_row(entry: RecordEntry) -> list[str]:
    return [
        str(entry.sequence),
        entry.activity_date.isoformat(),
        academic_year_label(entry.academic_year),
        entry.kind_label,
        entry.title,
        entry.category_label or "",
        entry.hours or "",
        format_hours(entry.counted_minutes) if entry.counted_minutes else "",
        entry.status.label if entry.status else "",
        str(entry.refers_to.sequence) if entry.refers_to else "",
        entry.recorded_on.isoformat(),
        entry.recorded_by_name or "",
        "; ".join(f"{label}: {value}" for label, value in entry.details),
    ]


def record_csv(record: CpdRecord) -> str:
    """The record's entries (as filtered) as CSV, oldest first, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    # The byte order mark tells spreadsheet programs the file is UTF-8.
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in reversed(record.shown):
        writer.writerow([spreadsheet_safe(cell) for cell in _csv_row(entry)])
    return out.getvalue()


# ---- JSON -----------------------------------------------------------------------------------------


class TotalSchema(Schema):
    label = fields.String()
    minutes = fields.Integer()
    hours = fields.String()


class YearTotalSchema(TotalSchema):
    academic_year = fields.Integer(attribute="key")


class CategoryTotalSchema(TotalSchema):
    category = fields.String(attribute="key")


class DetailSchema(Schema):
    label = fields.String()
    value = fields.String()


# The `metadata` of each Function field gives its type for the API's OpenAPI document (app/web/api).
STRING = {"type": "string"}
STRING_OR_NULL = {"type": ["string", "null"]}
INTEGER_OR_NULL = {"type": ["integer", "null"]}


def _list_of(component: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}}


class QualificationSchema(Schema):
    kind = fields.Function(lambda q: q.kind.value, metadata=STRING)
    kind_label = fields.Function(lambda q: q.kind.label, metadata=STRING)
    status = fields.Function(lambda q: q.status.value, metadata=STRING)
    completed_on = fields.Date(allow_none=True)


class EntrySchema(Schema):
    """One ledger entry of the record, as the page shows it. Minutes are whole numbers; hours are text."""

    id = fields.Integer()
    sequence = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    title = fields.String()
    date = fields.Date(attribute="activity_date")
    academic_year = fields.Integer()
    minutes = fields.Integer(allow_none=True)
    counted_minutes = fields.Integer()
    category = fields.String(allow_none=True)
    category_label = fields.String(allow_none=True)
    status = fields.Function(lambda entry: entry.status.label if entry.status else None, metadata=STRING_OR_NULL)
    refers_to_entry = fields.Function(
        lambda entry: entry.refers_to.id if entry.refers_to else None, metadata=INTEGER_OR_NULL
    )
    current_version = fields.Function(
        lambda entry: entry.current_version.id if entry.current_version is not None else None,
        metadata=INTEGER_OR_NULL,
    )
    qualification = fields.Function(
        lambda entry: (
            QualificationSchema().dump(entry.details_of_external.qualification)
            if entry.details_of_external and entry.details_of_external.qualification
            else None
        ),
        metadata={"anyOf": [{"$ref": "#/components/schemas/Qualification"}, {"type": "null"}]},
    )
    has_evidence = fields.Function(lambda entry: bool(entry.evidence), metadata={"type": "boolean"})
    recorded_at = fields.AwareDateTime(attribute="entry.recorded_at")
    recorded_by = fields.String(attribute="recorded_by_name", allow_none=True)
    details = fields.Function(
        lambda entry: DetailSchema(many=True).dump({"label": label, "value": value} for label, value in entry.details),
        metadata=_list_of("Detail"),
    )


class RecordSchema(Schema):
    """A person's CPD record: whether its chain verifies, its totals, and its entries (filtered)."""

    person = fields.Function(
        lambda record: {"name": record.user.name},
        metadata={"type": "object", "properties": {"name": STRING}, "required": ["name"]},
    )
    record_verified = fields.Boolean(attribute="verified")
    academic_year = fields.Integer(attribute="year", allow_none=True)
    kind = fields.String(allow_none=True)
    total_minutes = fields.Integer()
    total_hours = fields.Function(lambda record: format_hours(record.total_minutes), metadata=STRING)
    totals_by_academic_year = fields.Function(
        lambda record: YearTotalSchema(many=True).dump(record.totals_by_year()), metadata=_list_of("YearTotal")
    )
    totals_by_category = fields.Function(
        lambda record: CategoryTotalSchema(many=True).dump(record.totals_by_category(record.year)),
        metadata=_list_of("CategoryTotal"),
    )
    entries = fields.List(fields.Nested(EntrySchema), attribute="shown")


def record_json(record: CpdRecord) -> dict:
    return RecordSchema().dump(record)
