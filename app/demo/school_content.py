"""Oakfield's own content in the demo: a module its SENCO wrote and its SEND policy, made through the
school content area's services. Skipped if Oakfield has any module of its own already."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import School, User
from app.school_content import SchoolModule
from app.school_content import modules as school_modules
from app.school_content import policies as school_policies

OAKFIELD_URN = "100001"
SENCO_EMAIL = "senco@oakfield.example.org"

PAGES = [
    (
        "Noticing and recording a concern",
        "## When you notice something\n\nWrite down what you saw, the same day. Keep to facts: what happened, "
        "when, and what helped.\n\n- Use the shared concerns log.\n- Do not diagnose.\n- Tell the class teacher.",
    ),
    (
        "Who to tell, and when",
        "## Who to tell\n\n| Concern | Tell | When |\n| --- | --- | --- |\n| Learning | The class teacher | "
        "The same day |\n| Still there after two weeks | The SENCO | At the next meeting |\n\nThe SENCO is "
        "Chloe Oakley. You can also email her.",
    ),
]
QUESTIONS = [
    {
        "type": "single_choice",
        "kind": "scenario",
        "prompt": "A pupil in your group cannot start a writing task again today. What do you do first?",
        "options": [
            {"id": "a", "text": "Write down what you saw in the concerns log", "feedback": "Right: facts first."},
            {"id": "b", "text": "Tell the parent at the gate", "feedback": "Not this: the teacher talks to parents."},
            {"id": "c", "text": "Wait and see", "feedback": "Not this: a note today helps spot a pattern."},
        ],
        "answer": "a",
        "feedback": "Our procedure starts with a factual note in the concerns log, the same day.",
        "page": "page-1",
    },
    {
        "type": "true_false",
        "kind": "recall",
        "prompt": "You tell the SENCO straight away about every concern.",
        "options": [],
        "answer": False,
        "feedback": "The class teacher hears first; the SENCO if it lasts two weeks.",
        "page": "page-2",
    },
    {
        "type": "ordering",
        "kind": "recall",
        "prompt": "Put our steps in order.",
        "options": [
            {"id": "a", "text": "Notice what happens"},
            {"id": "b", "text": "Record it the same day"},
            {"id": "c", "text": "Tell the class teacher"},
        ],
        "answer": ["a", "b", "c"],
        "feedback": "Notice, record, then tell.",
        "page": "page-2",
    },
]
POLICY_TEXT = (
    "## Our SEND policy\n\nEvery teacher is a teacher of every pupil, including pupils with special "
    "educational needs and disabilities (SEND).\n\n## What we do\n\n- We notice and record concerns the same day.\n"
    "- We follow the graduated approach: assess, plan, do, review.\n- We work with parents and carers."
)


def load_demo_school_content(today: date) -> None:
    school = db.session.scalars(select(School).where(School.urn == OAKFIELD_URN)).first()
    senco = db.session.scalars(select(User).where(User.email == SENCO_EMAIL)).first()
    if school is None or senco is None:
        return
    if db.session.scalars(select(SchoolModule.id).where(SchoolModule.school_id == school.id)).first() is not None:
        return
    module = school_modules.create(
        school_id=school.id,
        created_by_id=senco.id,
        details=school_modules.ModuleDetails(
            title="Oakfield's SEND procedures",
            summary="How we notice, record and share a concern about a pupil at Oakfield.",
            audience=["teaching_assistant", "teacher"],
            minutes=20,
            outcomes=["Record a concern the way we do at Oakfield", "Say who to tell, and when"],
        ),
    )
    for title, body in PAGES:
        school_modules.save_page(module, None, title, body)
    for question in QUESTIONS:
        school_modules.save_question(module, None, question)
    school_modules.publish(module, senco.id)
    policy = school_policies.create(
        school_id=school.id,
        created_by_id=senco.id,
        title="Oakfield SEND policy",
        roles=["teaching_assistant", "teacher", "senco", "headteacher"],
        read_by=today + timedelta(days=30),
    )
    school_policies.publish_version(policy, school_policies.markdown_content(POLICY_TEXT), senco.id)
    db.session.flush()
