"""Smaller safeguards: ids the database cannot hold, the API signed out, CSV types and certificate
codes as typed. (Rate limits per account: test_client_address.py; the two-step set-up key:
test_two_step_set_up_key.py; copies of email: test_email_copies.py.)"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.models import Role
from app.records import certificates
from app.web.routing import LARGEST_ID
from tests.conftest import csrf_token_from, sign_in
from tests.records.test_certificates import complete

# --- finding 7: ids beyond the database's integer range ------------------------------------------


def example_values(app, rule, number: int) -> dict:
    module_id = next(iter(app.extensions["catalogue"].modules))
    return {
        argument: number
        if isinstance(rule._converters.get(argument), IntegerConverter)
        else (module_id if argument == "module_id" else "example")
        for argument in rule.arguments
    }


def test_finding_7_ids_beyond_the_integer_range_are_not_found_on_every_route(app, make_school, make_person):
    school = make_school()
    leader = make_person(school, Role.HEADTEACHER, Role.SENCO, Role.TEACHER, Role.GOVERNOR, Role.SCHOOL_ADMIN)
    signed_out, signed_in = app.test_client(), app.test_client()
    sign_in(signed_in, leader)
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(rule._converters.get(argument), IntegerConverter) for argument in rule.arguments)
    ]
    assert len(rules) >= 25, "every route with a number in its address"
    answers = {}
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        for number in (2**31, 10**25):
            url = rule.build(example_values(app, rule, number))[1]
            for who, client in (("signed out", signed_out), ("signed in", signed_in)):
                response = client.open(url, method=method)
                answers[f"{method} {url} ({who})"] = response.status_code
    assert {url: code for url, code in answers.items() if code != 404} == {}
    # The largest id the database holds is still an address (its page then says whether it exists).
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/school/people/{LARGEST_ID}")[1] == {"user_id": LARGEST_ID}
    assert signed_in.get(f"/school/people/{LARGEST_ID}").status_code == 404


# --- finding 7: the API signed out ---------------------------------------------------------------


def test_finding_7_the_api_answers_signed_out_requests_with_401_in_json(app, client):
    # Every API route but the OpenAPI document, which is open to all (tests/web/test_api_openapi.py).
    api_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_document"
    ]
    assert len(api_rules) >= 2
    for rule in api_rules:
        response = client.get(rule.rule)
        assert response.status_code == 401, rule.rule
        assert response.mimetype == "application/json", rule.rule
        assert response.get_json() == {"error": {"status": 401, "message": "Unauthorized"}}
        assert "Location" not in response.headers
    # Pages still send a signed-out person to sign in.
    page = client.get("/cpd/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/sign-in")


# --- finding 7: CSV downloads' content type ------------------------------------------------------


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def test_finding_7_csv_downloads_name_their_character_set_once(app, make_school, make_person, make_organisation):
    organisation = make_organisation()
    school = make_school(organisation=organisation)
    leader = make_person(school, Role.HEADTEACHER, Role.SCHOOL_ADMIN, Role.TEACHER)
    officer = make_person(None, Role.LA_OFFICER, organisation=organisation)
    school_client, officer_client = app.test_client(), app.test_client()
    sign_in(school_client, leader)
    sign_in(officer_client, officer)
    downloads = {
        "cpd.export_csv": school_client.get("/cpd/record.csv"),
        "leaders.staff_training_csv": school_client.get("/leaders/staff-training.csv"),
        "people.download_audit_log": post_form(
            school_client, "/school/people/audit/download", {}, page_url="/school/people/audit"
        ),
        "people.download_import_template": post_form(
            school_client, "/school/people/import/template", {}, page_url="/school/people/import"
        ),
        "la.schools_csv": officer_client.get("/organisation/schools.csv"),
    }
    # Every address ending in .csv is among them, so a new download is checked too.
    csv_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")}
    assert csv_endpoints <= set(downloads)
    for endpoint, response in downloads.items():
        assert response.status_code == 200, endpoint
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", endpoint


# --- finding 7: certificate codes typed with spaces ----------------------------------------------


def test_finding_7_a_certificate_code_is_accepted_however_it_is_typed(app, client, make_school, make_person):
    school = make_school()
    person = make_person(school, Role.TEACHING_ASSISTANT)
    code = certificates.code_for(complete(app, person, school))
    entry_id, mac = code.split("-", 1)
    groups = mac.split("-")
    typed = [
        code,
        code.replace("-", " "),  # spaces for every dash
        f"{entry_id} {'-'.join(groups)}",  # a space after the number
        code.replace("-", ""),  # nothing between
        code.lower().replace("-", "  "),
        f" {entry_id} - {' '.join(groups).lower()} ",
        code.replace("-", "\u2013"),  # en dashes, as a word processor prints them
    ]
    for variant in typed:
        response = client.get(f"/verify/{variant}")
        assert response.status_code == 200, variant
        assert "This certificate is valid" in response.get_data(as_text=True)
    # Still only the real code: one character off, or another entry's number, is not valid.
    wrong = groups[-1][:-1] + ("A" if groups[-1][-1] != "A" else "B")
    assert client.get(f"/verify/{entry_id} {' '.join([*groups[:-1], wrong])}").status_code == 404
    assert client.get(f"/verify/{int(entry_id) + 1}-{mac}").status_code == 404
    # A number past what the database holds is simply not valid.
    assert client.get(f"/verify/99999999999-{mac}").status_code == 404
