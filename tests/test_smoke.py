from app.models import Role
from tests.conftest import sign_in


def test_start_page(client):
    assert client.get("/").status_code == 200


def test_head_sees_people(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    client = app.test_client()
    sign_in(client, head)
    assert client.get("/school/people/").status_code == 200
