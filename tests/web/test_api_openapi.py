"""The API's OpenAPI document: served, covering every API route, and true. Schemathesis fuzzes each
operation with a bounded number of generated requests, signed in as a teacher with a varied record and
signed out; every answer must be a non-5xx that matches the document (status, content type, headers,
body schema), and every request without the session cookie must be refused.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from werkzeug.serving import make_server

from app.models import Role
from tests.conftest import sign_in
from tests.faults.live import free_port
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


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test app served over HTTP on 127.0.0.1, so that requests carry cookies as a browser's do."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def run_schemathesis(base_url: str, cookies: dict[str, str], statuses: dict[int, int]) -> int:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    schema.config.update(base_url=base_url)
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
            response = case.call_and_validate(base_url=base_url, cookies=cookies)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        fuzz()
    return calls


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(app, served, school, make_person, capsys):
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
    signed_in = {"send_ready_session": client.get_cookie("send_ready_session").value}
    as_teacher: dict[int, int] = {}
    signed_out: dict[int, int] = {}
    calls = run_schemathesis(served, signed_in, as_teacher) + run_schemathesis(served, {}, signed_out)
    with capsys.disabled():
        print(
            f"\n[api fuzz] Schemathesis sent {calls} generated requests, all answered as documented with no 5xx; "
            f"answers signed in as a teacher {as_teacher}, signed out {signed_out}"
        )
    # Signed in, the record itself was fuzzed (not only refusals); signed out, everything is refused.
    assert as_teacher.get(200, 0) > EXAMPLES_PER_OPERATION
    assert set(signed_out) == {401}


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")
