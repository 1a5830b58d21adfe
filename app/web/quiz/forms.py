from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.web.form_fields import OnceOnlyField


class ExtraAttemptsForm(FlaskForm):
    once = OnceOnlyField()
    person = SelectField(
        "Person", widget=GovSelect(), validators=[InputRequired(message="Choose the person")], validate_choice=False
    )
    module = SelectField(
        "Quiz", widget=GovSelect(), validators=[InputRequired(message="Choose the quiz")], validate_choice=False
    )
    extra = IntegerField(
        "How many extra attempts",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter how many extra attempts, for example 2"),
            NumberRange(min=1, max=10, message="Extra attempts must be between 1 and 10"),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    reason = StringField(
        "Reason (optional)",
        widget=GovTextInput(),
        description="For example, an access arrangement. Only leaders see this.",
        validators=[Optional(), Length(max=500, message="Reason must be 500 characters or fewer")],
    )
    submit = SubmitField("Give extra attempts", widget=GovSubmitInput())
