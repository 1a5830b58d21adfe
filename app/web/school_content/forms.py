from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.models import SCHOOL_ROLES
from app.school_content.modules import MAX_PAGE_CHARACTERS
from app.web.form_fields import DayMonthYearField

# The options a question written here can have (a to f); an import may bring more.
OPTION_LETTERS = ("a", "b", "c", "d", "e", "f")
WRITABLE_TYPES = (
    SelectChoice("single_choice", "Single choice: one right answer"),
    SelectChoice("multiple_choice", "Multiple choice: select all that apply"),
    SelectChoice("true_false", "True or false"),
    SelectChoice("ordering", "Put in order"),
)


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.label) for role in SCHOOL_ROLES]


class ModuleDetailsForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title"),
            Length(max=150, message="The title must be 150 characters or fewer"),
        ],
    )
    summary = TextAreaField(
        "Summary",
        widget=GovTextArea(),
        description="One or two plain sentences: what the module is and who it is for.",
        validators=[
            InputRequired(message="Enter a summary"),
            Length(max=600, message="The summary must be 600 characters or fewer"),
        ],
    )
    audience = SelectMultipleField(
        "Who is it for?",
        widget=GovCheckboxesInput(),
        choices=_role_choices,
        validators=[InputRequired(message="Select at least one role")],
    )
    minutes = IntegerField(
        "Minutes it takes",
        widget=GovTextInput(),
        description="The CPD time it is worth, from 5 to 600 minutes.",
        validators=[
            InputRequired(message="Enter the minutes it takes, as a number"),
            NumberRange(min=5, max=600, message="The minutes must be between 5 and 600"),
        ],
    )
    outcomes = TextAreaField(
        "Learning outcomes",
        widget=GovTextArea(),
        description='One a line, finishing "By the end you will be able to ...".',
        validators=[
            InputRequired(message="Enter at least one learning outcome"),
            Length(max=3000, message="The outcomes must be 3,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class PageForm(FlaskForm):
    title = StringField(
        "Page title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the page title"),
            Length(max=150, message="The page title must be 150 characters or fewer"),
        ],
    )
    body = TextAreaField(
        "Page text",
        widget=GovTextArea(),
        description="In Markdown: ## for a heading, - for a list item, [words](https://...) for a link, "
        "| for a table. Images and HTML are not shown.",
        validators=[
            InputRequired(message="Enter the page text"),
            Length(
                max=MAX_PAGE_CHARACTERS, message=f"The page text must be {MAX_PAGE_CHARACTERS:,} characters or fewer"
            ),
        ],
    )
    preview = SubmitField("Preview", widget=GovSubmitInput())
    save = SubmitField("Save page", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    type = RadioField(
        "Type of question",
        widget=GovRadioInput(),
        choices=WRITABLE_TYPES,
        validators=[InputRequired(message="Choose the type of question")],
    )
    prompt = TextAreaField(
        "Question",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter the question"),
            Length(max=2000, message="The question must be 2,000 characters or fewer"),
        ],
    )
    page = SelectField("The page it is taught on", widget=GovSelect(), validate_choice=False)
    true_false_answer = RadioField(
        "For true or false: the right answer",
        widget=GovRadioInput(),
        choices=[SelectChoice("true", "True"), SelectChoice("false", "False")],
        validators=[Optional()],
    )
    correct = SelectMultipleField(
        "For single and multiple choice: which options are right?",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice(letter, f"Option {number}") for number, letter in enumerate(OPTION_LETTERS, start=1)],
        validators=[Optional()],
    )
    feedback = TextAreaField(
        "Explanation",
        widget=GovTextArea(),
        description="Shown after an attempt: why the right answer is right.",
        validators=[
            InputRequired(message="Enter the explanation"),
            Length(max=2000, message="The explanation must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Save question", widget=GovSubmitInput())


for _number, _letter in enumerate(OPTION_LETTERS, start=1):
    setattr(
        QuestionForm,
        f"option_{_letter}",
        StringField(
            f"Option {_number}",
            widget=GovTextInput(),
            validators=[Optional(), Length(max=500, message=f"Option {_number} must be 500 characters or fewer")],
        ),
    )
    setattr(
        QuestionForm,
        f"why_{_letter}",
        StringField(
            f"Why option {_number} is right or wrong",
            widget=GovTextInput(),
            validators=[
                Optional(),
                Length(max=1000, message=f"The reason for option {_number} must be 1,000 characters or fewer"),
            ],
        ),
    )


class ConfirmForm(FlaskForm):
    submit = SubmitField("Publish", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    submit = SubmitField("Remove", widget=GovSubmitInput(), render_kw={"class": "govuk-button--warning"})


class PolicyForm(FlaskForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="For example: SEND policy, SEN information report, accessibility plan.",
        validators=[
            InputRequired(message="Enter the policy's title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
    )
    roles = SelectMultipleField(
        "Who must read it?",
        widget=GovCheckboxesInput(),
        choices=_role_choices,
        validators=[InputRequired(message="Select at least one role")],
    )
    read_by = DayMonthYearField(
        "Read by", validators=[InputRequired(message="Enter the date it must be read by, for example 30 6 2027")]
    )
    file = FileField("The policy as a PDF", widget=GovFileInput(), description="5 MB or smaller.")
    text = TextAreaField(
        "Or write it here",
        widget=GovTextArea(),
        description="In Markdown, as for a module's page. Leave it empty if you chose a PDF.",
        validators=[Optional()],
    )
    submit = SubmitField("Publish", widget=GovSubmitInput())


class PolicyVersionForm(FlaskForm):
    file = FileField("The new version as a PDF", widget=GovFileInput(), description="5 MB or smaller.")
    text = TextAreaField(
        "Or write it here",
        widget=GovTextArea(),
        description="In Markdown. Leave it empty if you chose a PDF.",
        validators=[Optional()],
    )
    submit = SubmitField("Publish a new version", widget=GovSubmitInput())


class AcknowledgeForm(FlaskForm):
    confirm = SelectMultipleField(
        "Confirm",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice("read", "I have read and understood it")],
        validators=[InputRequired(message="Confirm that you have read and understood it")],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ImportQuestionsForm(FlaskForm):
    file = FileField(
        "Question file",
        widget=GovFileInput(),
        description="Moodle XML (.xml) or GIFT (.txt or .gift), 1 MB or smaller, at most 200 questions.",
    )
    # The file's text, carried from the preview to the confirmation so that nothing is kept on the server.
    bank_text = TextAreaField("The file's text", validators=[Optional()])
    bank_format = StringField("Format", validators=[Optional()])
    preview = SubmitField("Preview the questions", widget=GovSubmitInput())
    confirm = SubmitField("Add these questions", widget=GovSubmitInput())
