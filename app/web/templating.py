"""What every template can see: the signed-in person's context and the header's school switcher."""

from flask import has_request_context, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.models import Role
from app.permissions import Permission, available_contexts, current_context
from app.platform import people_count, percent_of_people, share_of_people
from app.platform.email import without_sign_in_links
from app.web.form_fields import example_date
from app.web.main.forms import SwitchContextForm


def register_template_helpers(app) -> None:
    @app.template_filter("role_label")
    def role_label(role: str) -> str:
        return Role(role).label

    # Counting people without naming them: 1 or 2 reads "fewer than 3" (app/platform/small_numbers.py).
    app.template_filter("people_count")(people_count)
    app.add_template_global(share_of_people, "share_of_people")
    app.add_template_global(percent_of_people, "percent_of_people")
    # A date hint's example, worked out from today (app/web/form_fields.py).
    app.add_template_global(example_date, "example_date")

    # A copy of an email on screen never carries a working sign-in link (see data_protection).
    app.template_filter("without_sign_in_links")(without_sign_in_links)

    @app.context_processor
    def signed_in_context():
        # Email is rendered by the scheduled jobs and the command line too, where nobody is signed in.
        if not has_request_context() or not current_user.is_authenticated:
            return {"current_context": None}
        context = current_context()
        contexts = available_contexts()
        switch_form = None
        if len(contexts) > 1:
            switch_form = SwitchContextForm(formdata=None, context=context.key if context else None)
            switch_form.context.choices = [SelectChoice(c.key, c.name) for c in contexts]
        return {
            "current_context": context,
            "switch_form": switch_form,
            "current_path": request.full_path.rstrip("?"),
            "Permission": Permission,
        }
