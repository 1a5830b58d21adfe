"""Moodle XML and GIFT: hand-written files of every type and every malformed case, and a round trip of
every national quiz through both formats."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from app.content import question_banks as banks
from app.content.loader import load_catalogue

BANKS = Path(__file__).parent / "banks"
ROOT = Path(__file__).parents[2]


def read(name: str) -> banks.ImportPreview:
    data = (BANKS / name).read_bytes()
    return banks.read_gift(data) if name.endswith(".gift") else banks.read_moodle_xml(data)


@pytest.mark.parametrize("name", ["every_type.xml", "every_type.gift"])
def test_every_supported_type_is_read_with_its_feedback_and_category(name):
    preview = read(name)
    assert preview.problems == []
    by_name = {question["name"]: question for question in preview.questions}

    single = by_name["Who first"]
    assert single["type"] == "single_choice"
    assert single["prompt"] == "Who do you tell first about a concern?"  # the HTML is read as text
    assert single["feedback"] == "Our procedure starts with the class teacher."
    assert [(o["text"], o["feedback"]) for o in single["options"]] == [
        ("The class teacher", "Right: they know the pupil."),
        ("The parent", "Not first: the teacher talks to parents."),
        ("Nobody", banks.WRONG_OPTION),
    ]
    assert single["answer"] == "a"
    assert single["category"] == "Our procedures"
    assert preview.options_without_feedback == 1

    multiple = by_name["What to record"]
    assert multiple["type"] == "multiple_choice"
    assert multiple["answer"] == ["a", "b"]
    assert multiple["options"][2]["feedback"] == "No: we do not diagnose."

    true_false = by_name["Same day"]
    assert (true_false["type"], true_false["answer"], true_false["options"]) == ("true_false", True, [])

    matching = by_name["Who does what"]
    texts = {o["id"]: o["text"] for o in matching["options"]}
    items = {i["id"]: i["text"] for i in matching["items"]}
    assert {items[i]: texts[o] for i, o in matching["answer"].items()}["A concern after two weeks"] == "The SENCO"
    assert len(matching["options"]) == 3

    if name.endswith(".xml"):
        ordering = by_name["Steps"]
        texts = {o["id"]: o["text"] for o in ordering["options"]}
        assert [texts[o] for o in ordering["answer"]] == ["Notice it", "Record it", "Tell the teacher"]
        assert {"The local authority"} <= set(texts.values()) | {o["text"] for o in matching["options"]}
        assert preview.skipped == [("Reflect", "essay"), ("How many days", "numerical"), ("Gaps", "cloze")]
    else:
        assert preview.skipped == [
            ("Reflect", "essay"),
            ("How many days", "numerical"),
            ("Name the log", "short answer"),
        ]


def test_unknown_types_are_listed_by_name_and_nothing_of_them_is_read():
    preview = read("unknown_type.xml")
    assert preview.questions == [] and preview.problems == []
    assert preview.skipped == [("Drag words", "ddwtos"), ("Name it", "shortanswer")]


def test_a_fraction_total_that_is_not_100_is_an_error():
    preview = read("wrong_fraction.xml")
    assert preview.questions == []
    assert preview.problems == [
        "Too little: the right answers' fractions add up to 80%, not 100%",
        "Partial single: a single-answer question needs exactly one answer worth 100%: partial marks are not supported",
    ]


def test_an_empty_answer_is_an_error():
    preview = read("empty_answer.xml")
    assert preview.questions == []
    assert preview.problems == ["Blank: answer 2 is empty"]


@pytest.mark.parametrize("name", ["entity_expansion.xml", "external_entity.xml"])
def test_entity_expansion_and_external_entities_are_refused(name):
    with pytest.raises(banks.BankError) as refused:
        read(name)
    assert "XML features that are not allowed" in refused.value.problems[0]


def test_a_file_that_is_not_xml_is_refused():
    with pytest.raises(banks.BankError) as refused:
        read("bad.xml")
    assert refused.value.problems[0].startswith("The file is not valid XML")
    with pytest.raises(banks.BankError):
        banks.read_moodle_xml(b"<html><body>not a quiz</body></html>")


def test_html_in_text_is_read_as_plain_text():
    preview = read("html_in_text.xml")
    question = preview.questions[0]
    assert question["prompt"] == "Is this safe & sound?"
    assert question["feedback"] == "It is <b>text</b>"  # escaped in the file: text, shown escaped


def test_size_and_question_count_are_capped():
    with pytest.raises(banks.BankError, match="KB or smaller"):
        banks.read_moodle_xml(b"<quiz>" + b" " * banks.MAX_FILE_BYTES + b"</quiz>")
    one = (
        '<question type="truefalse"><name><text>Q</text></name><questiontext><text>Q?</text></questiontext>'
        '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>'
    )
    with pytest.raises(banks.BankError, match="more than 200 questions"):
        banks.read_moodle_xml(("<quiz>" + one * (banks.MAX_QUESTIONS + 1) + "</quiz>").encode())
    gift = "\n\n".join(f"Q{n} is true. {{T}}" for n in range(banks.MAX_QUESTIONS + 1))
    with pytest.raises(banks.BankError, match="more than 200 questions"):
        banks.read_gift(gift.encode())


def _comparable(question: dict) -> tuple:
    """A question as a person sees it, whatever ids its options were given."""
    texts = {option["id"]: option["text"] for option in question["options"]}
    answer = question["answer"]
    if question["type"] == "single_choice":
        answer = texts[answer]
    elif question["type"] == "multiple_choice":
        answer = sorted(texts[a] for a in answer)
    elif question["type"] == "ordering":
        answer = [texts[a] for a in answer]
    elif question["type"] == "matching":
        items = {item["id"]: item["text"] for item in question["items"]}
        answer = sorted((items[item], texts[option]) for item, option in answer.items())
    options = sorted((option["text"], option.get("feedback")) for option in question["options"])
    return (question["type"], question["kind"], question["prompt"], question["feedback"], question["page"],
            question.get("source"), options, answer)  # fmt: skip


@pytest.fixture(scope="module")
def national():
    return load_catalogue(ROOT)


def test_every_national_quiz_goes_through_moodle_xml_unchanged(national):
    assert national.quizzes
    for module_id, quiz in national.quizzes.items():
        exported = banks.to_moodle_xml(quiz.questions, category=national.modules[module_id].title)
        preview = banks.read_moodle_xml(exported.encode())
        assert preview.problems == [] and preview.skipped == [], module_id
        assert [_comparable(banks.question_as_dict(q)) for q in quiz.questions] == [
            _comparable(q) for q in preview.questions
        ], module_id


def test_every_national_quiz_goes_through_gift_unchanged_but_for_ordering(national):
    for module_id, quiz in national.quizzes.items():
        exported = banks.to_gift(quiz.questions, category=module_id)
        preview = banks.read_gift(exported.encode())
        kept = [q for q in quiz.questions if q.type != "ordering"]
        assert preview.problems == [], module_id
        originals = [_comparable(banks.question_as_dict(q)) for q in kept]
        back = [_comparable(q) for q in preview.questions]
        # GIFT's matching holds the pairs only, not an option no item matches.
        for original, read_back in zip(originals, back, strict=True):
            if original[0] == "matching":
                assert original[:6] == read_back[:6] and original[7] == read_back[7], module_id
            else:
                assert original == read_back, module_id
        ordering = [q.id for q in quiz.questions if q.type == "ordering"]
        if ordering:
            assert f"left out: {', '.join(ordering)}" in exported


def test_the_moodle_xml_is_what_moodle_reads(national):
    """Structure as Moodle's format documentation gives it: CDATA text, <single>, <shuffleanswers>,
    fractions that give the right answers 100 between them, feedback inside each answer."""
    quiz = next(q for q in national.quizzes.values() if any(x.type == "multiple_choice" for x in q.questions))
    exported = banks.to_moodle_xml(quiz.questions, category="National")
    assert "<![CDATA[<p>" in exported
    root = ElementTree.fromstring(exported)  # noqa: S314 (our own output)
    assert root.tag == "quiz"
    assert root[0].get("type") == "category"
    assert root[0].findtext("category/text") == "$course$/top/National"
    for element in root.findall("question")[1:]:
        kind = element.get("type")
        assert kind in {"multichoice", "truefalse", "matching", "ordering"}
        assert element.find("questiontext").get("format") == "html"
        assert element.find("generalfeedback/text").text
        if kind == "multichoice":
            assert element.findtext("single") in ("true", "false")
            assert element.findtext("shuffleanswers") == "true"
            fractions = [float(a.get("fraction")) for a in element.findall("answer")]
            assert sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.001)
            assert all(a.find("feedback/text").text for a in element.findall("answer"))
            if element.findtext("single") == "false":
                assert sum(f for f in fractions if f < 0) == pytest.approx(-100, abs=0.001)


def test_a_cdata_end_inside_text_is_kept():
    question = {
        "id": "q1", "type": "true_false", "kind": "recall", "prompt": "Is ]]> kept?", "options": [], "items": [],
        "answer": True, "feedback": "Yes ]]> it is.", "page": "page-1", "source": "school",
    }  # fmt: skip
    back = banks.read_moodle_xml(banks.to_moodle_xml([question], category="C").encode()).questions[0]
    assert (back["prompt"], back["feedback"]) == ("Is ]]> kept?", "Yes ]]> it is.")


def test_flask_content_export_questions_writes_moodle_xml_and_gift(app, tmp_path, national):
    runner = app.test_cli_runner()
    target = tmp_path / "bank.xml"
    result = runner.invoke(args=["content", "export-questions", "send-essentials", "--output", str(target)])
    assert result.exit_code == 0, result.output
    preview = banks.read_moodle_xml(target.read_bytes())
    assert len(preview.questions) == len(national.quizzes["send-essentials"].questions)
    assert {q["category"] for q in preview.questions} == {national.modules["send-essentials"].title}
    gift = runner.invoke(args=["content", "export-questions", "send-essentials", "--format", "gift"])
    assert gift.exit_code == 0 and "::send-essentials-01::" in gift.output
    unknown = runner.invoke(args=["content", "export-questions", "no-such-module"])
    assert unknown.exit_code != 0 and "No quiz for: no-such-module" in unknown.output
