"""The local authority or trust view: every school's aggregates, compared side by side."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for

from app.content import catalogue
from app.leadership import organisation_summary
from app.permissions import Permission, current_context, requires
from app.web.la import bp


def _organisation():
    context = current_context()
    if context is None or context.organisation is None:
        abort(403)
    return context.organisation


@bp.route("/schools")
@requires(Permission.VIEW_ORGANISATION_SUMMARY)
def list_schools():
    organisation = _organisation()
    summaries = organisation_summary.organisation_summary(catalogue(), organisation)
    chosen_ids = request.args.getlist("school")
    page = organisation_summary.schools_page(
        summaries, sort=request.args.get("sort", "name"), page=request.args.get("page", 1, type=int) or 1
    )
    # Side by side: the schools picked, or else the page's.
    picked = [s for s in summaries if str(s.school.id) in set(chosen_ids)]
    shown = picked or page.rows
    module_ids = [m for m in catalogue().modules if any(m in s.completion for s in shown)]
    return render_template(
        "la/list_schools.html",
        organisation=organisation,
        summaries=summaries,
        page=page,
        shown=shown,
        shows_authority=any(s.school.local_authority for s in summaries),
        chosen_ids=chosen_ids,
        module_ids=module_ids,
        modules=catalogue().modules,
    )


@bp.route("/schools.csv")
@requires(Permission.VIEW_ORGANISATION_SUMMARY)
def schools_csv():
    organisation = _organisation()
    summaries = organisation_summary.organisation_summary(catalogue(), organisation)
    shown = organisation_summary.chosen_schools(summaries, request.args.getlist("school"))
    if not shown:
        flash(f"{organisation.name} has no schools in SEND Ready yet, so there is nothing to download.")
        return redirect(url_for("la.list_schools"))
    filename = f"schools-summary-{date.today().isoformat()}.csv"
    return Response(
        organisation_summary.summary_csv(catalogue(), shown),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
