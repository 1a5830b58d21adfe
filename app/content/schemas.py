"""marshmallow schemas for every content file. They check shape; loader.py checks cross-references."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.content.question_types import QUESTION_TYPES
from app.models.people import Role

SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="use lowercase letters, digits and single hyphens")
REFERENCE = validate.Regexp(
    r"^[a-z0-9-]+#[a-z0-9-]+$", error="cite a section as document#section, for example roles#principles"
)
ROLE = validate.OneOf([role.value for role in Role], error="unknown role {input!r}; roles are: {choices}")
TEXT = validate.Length(min=1)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class SectionSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    heading = fields.String(required=True, validate=TEXT)
    covers = fields.String(required=True, validate=TEXT)
    key_questions = fields.Integer(load_default=None, validate=validate.Range(min=1))


# The guidance documents are the curriculum's spine: every one of their sections is taught. A
# reference (an Act, regulations, statutory guidance, a report) is cited for a fact where needed.
DOCUMENT_KINDS = ("guidance", "reference")


class DocumentSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    kind = fields.String(
        load_default="guidance",
        validate=validate.OneOf(DOCUMENT_KINDS, error="a document is a guidance document or a reference"),
    )
    title = fields.String(required=True, validate=TEXT)
    publisher = fields.String(required=True, validate=TEXT)
    # The date of the edition used, where one day is known; the edition in words where it is not
    # (or where there is more to say, such as "as amended").
    last_updated = fields.Date(required=True, allow_none=True)
    edition = fields.String(load_default=None, validate=TEXT)
    url = fields.Url(load_default=None, schemes={"https"})
    sections = fields.List(fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1))


class SourcesSchema(StrictSchema):
    documents = fields.List(fields.Nested(DocumentSchema), required=True, validate=validate.Length(min=1))


class LevelsSchema(StrictSchema):
    not_yet = fields.String(required=True, validate=TEXT)
    developing = fields.String(required=True, validate=TEXT)
    established = fields.String(required=True, validate=TEXT)
    embedded = fields.String(required=True, validate=TEXT)


class KeyQuestionSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    text = fields.String(required=True, validate=TEXT)
    source = fields.String(required=True, validate=REFERENCE)
    levels = fields.Nested(LevelsSchema, required=True)


class KeyQuestionSetSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=TEXT)
    source = fields.String(required=True, validate=REFERENCE)
    questions = fields.List(fields.Nested(KeyQuestionSchema), required=True, validate=validate.Length(min=1))


class KeyQuestionsSchema(StrictSchema):
    sets = fields.List(fields.Nested(KeyQuestionSetSchema), required=True, validate=validate.Length(min=1))


class PageSchema(StrictSchema):
    slug = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=TEXT)
    file = fields.String(required=True, validate=validate.Regexp(r"^[\w.-]+\.md$", error="a .md file in the folder"))
    sources = fields.List(fields.String(validate=REFERENCE), required=True, validate=validate.Length(min=1))


class ModuleSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=TEXT)
    # The staff dashboard's column heading: short enough that a dozen columns fit beside the names.
    short_title = fields.String(required=True, validate=[TEXT, validate.Length(max=20)])
    summary = fields.String(required=True, validate=TEXT)
    audience = fields.List(fields.String(validate=ROLE), required=True, validate=validate.Length(min=1))
    minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=600))
    outcomes = fields.List(fields.String(validate=TEXT), required=True, validate=validate.Length(min=1))
    key_questions = fields.List(fields.String(validate=SLUG), load_default=list)
    reviewed_on = fields.Date(required=True)
    review_by = fields.Date(required=True)
    pages = fields.List(fields.Nested(PageSchema), required=True, validate=validate.Length(min=1, max=12))


class OptionSchema(StrictSchema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9]+$", error="a short id like a or i1"))
    text = fields.String(required=True, validate=TEXT)
    # Why this option is right or wrong. The question type says whether its options carry it.
    feedback = fields.String(load_default=None, validate=TEXT)


# A scenario puts the learner in a situation in a school and asks for a decision; recall asks what
# a document says.
QUESTION_KINDS = ("scenario", "recall")


class QuestionSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    type = fields.String(
        required=True,
        validate=validate.OneOf(sorted(QUESTION_TYPES), error="unknown question type {input!r}"),
    )
    kind = fields.String(
        required=True, validate=validate.OneOf(QUESTION_KINDS, error="a question's kind is scenario or recall")
    )
    prompt = fields.String(required=True, validate=TEXT)
    options = fields.List(fields.Nested(OptionSchema), load_default=list)
    items = fields.List(fields.Nested(OptionSchema), load_default=list)
    answer = fields.Raw(required=True, allow_none=False)
    feedback = fields.String(required=True, validate=TEXT)
    source = fields.String(required=True, validate=REFERENCE)
    page = fields.String(required=True, validate=SLUG)


class QuizSchema(StrictSchema):
    module = fields.String(required=True, validate=SLUG)
    pass_mark = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    draw = fields.Integer(required=True, validate=validate.Range(min=1))
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1))


class PathwaySchema(StrictSchema):
    role = fields.String(required=True, validate=ROLE)
    title = fields.String(required=True, validate=TEXT)
    required = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(min=1))
    optional = fields.List(fields.String(validate=SLUG), load_default=list)
    new_starter_window_days = fields.Integer(required=True, validate=validate.Range(min=1, max=730))
    renew_every_months = fields.Integer(load_default=None, validate=validate.Range(min=1, max=120))


class PathwaysSchema(StrictSchema):
    pathways = fields.List(fields.Nested(PathwaySchema), required=True, validate=validate.Length(min=1))


class GlossaryTermSchema(StrictSchema):
    term = fields.String(required=True, validate=TEXT)
    meaning = fields.String(required=True, validate=TEXT)
    source = fields.String(load_default=None, validate=REFERENCE)


class GlossarySchema(StrictSchema):
    terms = fields.List(fields.Nested(GlossaryTermSchema), required=True, validate=validate.Length(min=1))


class ChangeSchema(StrictSchema):
    id = fields.String(required=True, validate=SLUG)
    # When the change happened: in force, published or announced.
    date = fields.Date(required=True)
    # When the modules it names were brought up to date for it: who completed them before this day is
    # told what changed.
    recorded_on = fields.Date(required=True)
    title = fields.String(required=True, validate=TEXT)
    summary = fields.String(required=True, validate=TEXT)
    modules = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(min=1))
    sources = fields.List(fields.String(validate=REFERENCE), required=True, validate=validate.Length(min=1))


class ChangesSchema(StrictSchema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
