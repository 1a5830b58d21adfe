"""`flask demo`: a local authority, two schools, every role, safe to run twice."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Membership, Role, School, User
from tests.conftest import sign_in


def test_demo_creates_every_role_prints_the_password_once_and_is_safe_twice(app, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo walnut lantern")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Password: demo walnut lantern" in first.output
    assert "head@oakfield.example.org" in first.output

    counts = (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Membership)),
    )
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "demo walnut lantern" not in second.output
    assert "already in place" in second.output
    db.session.expire_all()
    assert counts == (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Membership)),
    )

    assert db.session.scalar(select(func.count()).select_from(School)) == 2
    roles = set(db.session.scalars(select(Membership.role)))
    assert roles == set(Role)

    head = db.session.scalars(select(User).where(User.email == "head@oakfield.example.org")).one()
    client = app.test_client()
    sign_in(client, head, "demo walnut lantern")
    assert "Oakfield Primary School" in client.get("/home").get_data(as_text=True)


def test_demo_can_reset_the_passwords(app, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "first pass phrase")
    app.test_cli_runner().invoke(args=["demo"])
    monkeypatch.setenv("DEMO_PASSWORD", "second pass phrase")
    result = app.test_cli_runner().invoke(args=["demo", "--reset-passwords"])
    assert "Password: second pass phrase" in result.output
    db.session.expire_all()
    ta = db.session.scalars(select(User).where(User.email == "ta@riverside.example.org")).one()
    sign_in(app.test_client(), ta, "second pass phrase")
