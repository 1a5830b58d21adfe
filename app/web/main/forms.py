from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectField
from wtforms.validators import InputRequired


class SwitchContextForm(FlaskForm):
    context = SelectField("Working in", widget=GovSelect(), validators=[InputRequired(message="Choose a school")])
