"""The staff training dashboard as a leader reads it: labelled dates, columns under their pathways, short
headings with the full titles kept, "needs action", and every count leading to the people it counts."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app.content import catalogue
from app.leadership.staff_training import (
    OTHER_GROUP,
    SHARED_GROUP,
    Cell,
    TrainingStatus,
    build_dashboard,
    column_groups,
)
from app.learning import requirements_for_schools
from app.models import Role
from tests.leadership.test_leaders import complete, school_with_staff  # noqa: F401 (a fixture)

PERSON_ROW = re.compile(r'<th scope="row" class="govuk-table__header app-training-matrix__name"><a [^>]+>([^<]+)</a>')


def test_each_date_says_what_it_is():
    completed = date(2026, 7, 18)
    renew = Cell(TrainingStatus.COMPLETED, date(2029, 7, 18), assigned=False, completed_on=completed)
    assert renew.date_label == "completed 18 Jul 2026, renew by 18 Jul 2029"
    expired = Cell(TrainingStatus.EXPIRED, date(2026, 1, 2), assigned=False, completed_on=date(2023, 1, 2))
    assert expired.date_label == "completed 2 Jan 2023, expired 2 Jan 2026"
    once = Cell(TrainingStatus.COMPLETED, completed, assigned=False, completed_on=completed)
    assert once.date_label == "completed 18 Jul 2026"
    assert Cell(TrainingStatus.OVERDUE, date(2026, 6, 30), False).date_label == "was due 30 Jun 2026"
    assert Cell(TrainingStatus.NOT_STARTED, date(2026, 12, 12), False).date_label == "due 12 Dec 2026"


def test_the_dashboard_labels_the_renewal_date(app, school_with_staff):  # noqa: F811
    _, leader, people = school_with_staff
    done = datetime(2025, 3, 4, 10, tzinfo=UTC)
    complete(people["old_ta"], "send-essentials", done)
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    # SEND essentials is renewed every 36 months: the date after "Completed" was the renewal date.
    assert "Completed 4 Mar 2025, renew by 4 Mar 2028" in page


def test_columns_are_grouped_by_pathway(app, make_school):
    school = make_school()
    content = catalogue()
    requirements = requirements_for_schools(content, [school.id])[school.id]
    columns = {"send-essentials", "ta-group-work", "senco", "preparing-for-adulthood", "what-is-changing"}
    groups = {group.title: group.module_ids for group in column_groups(content, requirements, columns)}
    assert list(groups) == [
        SHARED_GROUP,
        content.pathways["teaching_assistant"].title,
        content.pathways["senco"].title,
        OTHER_GROUP,
    ]
    assert groups[SHARED_GROUP] == ("send-essentials", "what-is-changing")
    assert groups[content.pathways["teaching_assistant"].title] == ("ta-group-work",)
    assert groups[OTHER_GROUP] == ("preparing-for-adulthood",)


def test_short_labels_are_short_and_tell_modules_apart(app):
    modules = catalogue().modules.values()
    assert all(0 < len(module.short_title) <= 20 for module in modules)
    assert len({module.short_title for module in modules}) == len(modules)


def test_headings_show_short_labels_and_keep_full_titles(app, school_with_staff):  # noqa: F811
    _, leader, _ = school_with_staff
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    assert (
        '<span aria-hidden="true">SEND essentials</span>'
        '<span class="govuk-visually-hidden">SEND essentials for everyone</span>' in page
    )
    assert 'scope="colgroup"' in page and html.escape(SHARED_GROUP) in page
    assert "What the column headings stand for" in page


def test_needs_action_shows_only_those_who_must_act(app, school_with_staff):  # noqa: F811
    school, leader, _ = school_with_staff
    page = leader.get("/leaders/staff-training?status=needs_action").get_data(as_text=True)
    shown = PERSON_ROW.findall(page)
    dashboard = build_dashboard(catalogue(), school.id)
    expected = sorted(r.user.name for r in dashboard.rows if any(c.status.needs_action for c in r.cells.values()))
    assert sorted(html.unescape(name) for name in shown) == expected
    assert "Tom Oldhand" in expected and "Tia Newstart" not in expected
    assert '<option value="needs_action" selected>Needs action</option>' in page


@pytest.mark.parametrize("section", ["Who needs to act", "Summary by role"])
def test_every_count_of_people_leads_to_those_people(app, school_with_staff, section):  # noqa: F811
    _, leader, people = school_with_staff
    complete(people["teacher"], "send-essentials")
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    part = page.split(f">{section}</h2>")[1].split("</h2>")[0]
    links = re.findall(r'<a class="govuk-link" href="(/leaders/staff-training[^"]*)">(\d+)( (?:person|people))?', part)
    assert links, part
    for href, count, people_word in links:
        shown = PERSON_ROW.findall(leader.get(html.unescape(href)).get_data(as_text=True))
        assert shown, href
        # A count of people leads to exactly that many; a count of modules, to the people who hold them.
        if people_word:
            assert len(shown) == int(count), (href, count, shown)


def test_role_summary_people_counts_match(app, school_with_staff):  # noqa: F811
    _, leader, _ = school_with_staff
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    part = page.split(">Summary by role</h2>")[1].split("</table>")[0]
    for role in (Role.TEACHING_ASSISTANT, Role.TEACHER):
        href, count = re.search(
            rf'<a class="govuk-link" href="([^"]*role={role.value}[^"]*)">(\d+)<span class="govuk-visually-hidden"> '
            rf"{role.label}: everyone",
            part,
        ).groups()
        shown = PERSON_ROW.findall(leader.get(html.unescape(href)).get_data(as_text=True))
        assert len(shown) == int(count) == (2 if role is Role.TEACHING_ASSISTANT else 1)


def test_a_phone_gets_a_list_person_by_person(app, school_with_staff):  # noqa: F811
    _, leader, people = school_with_staff
    complete(people["old_ta"], "send-essentials", datetime.now(UTC) - timedelta(days=3))
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    listing = page.split('<div class="app-training-list">')[1]
    tom = listing.split("Tom Oldhand</a></h3>")[1].split("</li>\n")[0]
    items = re.findall(r'<span class="app-training-list__module">([^<]+)</span>', tom)
    # Full titles; what needs action first.
    assert "SEND essentials for everyone" in items
    assert items[-1] == "SEND essentials for everyone"
