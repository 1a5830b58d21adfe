"""An organisation of many schools: the officer's view a page at a time, in the order asked for, with
every school in the CSV; a trust's schools may be in several local authorities."""

from __future__ import annotations

import csv
import io
import re

from app.extensions import db
from app.models import OrganisationKind, Role
from tests.conftest import sign_in
from tests.leadership.test_leaders import complete


def _rows(page: str) -> list[str]:
    body = page.split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0]
    return re.findall(r'class="govuk-label govuk-checkboxes__label" for="school-\d+">([^<]+)</label>', body)


def test_the_officer_pages_sorts_and_downloads_sixty_schools(app, make_organisation, make_school, make_person):
    borough = make_organisation("Sixty Borough")
    schools = [make_school(f"School {n:02d}", organisation=borough) for n in range(60)]
    # School 07 has the most people and the only completed training.
    for _ in range(3):
        complete(make_person(schools[7], Role.TEACHER), "send-essentials")
    make_person(schools[3], Role.TEACHING_ASSISTANT)
    officer = make_person(None, Role.LA_OFFICER, organisation=borough)
    client = app.test_client()
    sign_in(client, officer)

    first = client.get("/organisation/schools").get_data(as_text=True)
    assert _rows(first) == [f"School {n:02d}" for n in range(25)]
    assert "Schools 1 to 25 of 60" in first
    assert 'aria-current="page"' in first and 'rel="next"' in first
    last = client.get("/organisation/schools?page=3").get_data(as_text=True)
    assert _rows(last) == [f"School {n:02d}" for n in range(50, 60)]
    # A page past the end shows the last page.
    assert _rows(client.get("/organisation/schools?page=99").get_data(as_text=True)) == _rows(last)

    by_people = _rows(client.get("/organisation/schools?sort=-people").get_data(as_text=True))
    assert by_people[:2] == ["School 07", "School 03"]
    by_name_descending = _rows(client.get("/organisation/schools?sort=-name").get_data(as_text=True))
    assert by_name_descending[0] == "School 59"
    by_completion = _rows(client.get("/organisation/schools?sort=-completion").get_data(as_text=True))
    assert by_completion[0] == "School 07"
    # An unknown order is the default one, not an error.
    assert _rows(client.get("/organisation/schools?sort=drop").get_data(as_text=True))[0] == "School 00"

    exported = client.get("/organisation/schools.csv")
    assert exported.status_code == 200
    header = next(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert header == ["Measure", *(f"School {n:02d}" for n in range(60))]


def test_a_trust_shows_each_schools_local_authority(app, make_organisation, make_school, make_person):
    trust = make_organisation("Crossing Academies Trust")
    trust.kind = OrganisationKind.TRUST
    north = make_school("North Academy", organisation=trust)
    south = make_school("South Academy", organisation=trust)
    north.local_authority, south.local_authority = "Leeds", "Bradford"
    db.session.commit()
    officer = make_person(None, Role.LA_OFFICER, organisation=trust)
    client = app.test_client()
    sign_in(client, officer)
    page = client.get("/organisation/schools?sort=authority").get_data(as_text=True)
    assert "Local authority" in page
    assert _rows(page) == ["South Academy", "North Academy"]  # Bradford before Leeds
    exported = client.get("/organisation/schools.csv").get_data(as_text=True)
    assert exported.splitlines()[1] == "Local authority,Leeds,Bradford"
