"""The curriculum files: validated at start-up and by `flask content check`, naming every problem."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from app import create_app
from app.config import content_root
from app.content.coverage import overdue_reviews
from app.content.loader import ContentError, load_catalogue
from app.content.readability import module_readability, sentences, unexpanded_acronyms, word_count
from tests.conftest import TEST_SETTINGS

# The content under test: the project's own, unless CONTENT_ROOT names another copy.
ROOT = Path(content_root())


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the real content to break."""
    shutil.copytree(ROOT / "modules", tmp_path / "modules")
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalogue(root)
    return caught.value.problems


def assert_problem(root: Path, file: str, field: str, words: str) -> None:
    found = problems(root)
    matching = [p for p in found if p.startswith(f"{file}: {field}: ") and words in p]
    assert matching, f"no problem for {file} {field} mentioning {words!r}; got:\n" + "\n".join(found)


def rewrite(path: Path, change) -> None:
    """Load a YAML file, let `change` edit the data, and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def first_question(data: dict, *types: str) -> tuple[int, dict]:
    return next((n, q) for n, q in enumerate(data["questions"]) if q["type"] in types)


def test_the_real_content_is_valid_and_complete():
    catalogue = load_catalogue(ROOT)
    assert len(catalogue.modules) >= 12
    for module in catalogue.modules.values():
        assert 3 <= len(module.pages) <= 8, module.id
        assert module.id in catalogue.quizzes, f"{module.id} has no quiz"
        assert len(catalogue.quizzes[module.id].questions) >= 10, module.id
        types = {q.type for q in catalogue.quizzes[module.id].questions}
        assert {"single_choice", "multiple_choice", "true_false"} <= types, module.id
        assert types & {"ordering", "matching"}, module.id
    assert len(catalogue.key_questions) == 12
    cited = {ref for m in catalogue.modules.values() for p in m.pages for ref in p.sources}
    guidance = {ref for ref, s in catalogue.sections.items() if catalogue.documents[s.document_id].is_guidance}
    assert guidance <= cited
    assert {"roles", "mainstream"} == {d.id for d in catalogue.documents.values() if d.is_guidance}


def test_every_module_has_a_bank_that_tests_judgement_and_cites_its_sources():
    """20 or more questions a module, 12 or more of them scenarios; every choice says why it is right or
    wrong; every page and question cites a section that exists."""
    catalogue = load_catalogue(ROOT)
    short = []
    for module in catalogue.modules.values():
        quiz = catalogue.quizzes.get(module.id)
        questions = quiz.questions if quiz else ()
        scenarios = [q for q in questions if q.kind == "scenario"]
        if len(questions) < 20 or len(scenarios) < 12:
            short.append(f"{module.id}: {len(questions)} questions, {len(scenarios)} scenarios")
        for page in module.pages:
            assert page.sources and set(page.sources) <= set(catalogue.sections), (module.id, page.slug)
        for question in questions:
            assert question.kind in {"scenario", "recall"}, question.id
            assert question.source in catalogue.sections, question.id
            assert module.page(question.page), question.id
            if question.type in {"single_choice", "multiple_choice"}:
                assert all(option.get("feedback") for option in question.options), question.id
    assert not short, "banks too small: " + "; ".join(short)


def test_module_pages_read_plainly():
    """Mean sentence length under 15 words in every module, and every acronym expanded where it is first
    used on each page (the rules are in app/content/readability.py)."""
    catalogue = load_catalogue(ROOT)
    long_winded, unexpanded = [], []
    words = sentences = 0
    for module in catalogue.modules.values():
        reading = module_readability(module)
        words += reading.words
        sentences += reading.sentences
        if reading.mean_sentence_length >= 15:
            long_winded.append(f"{module.id}: {reading.mean_sentence_length:.1f} words")
        unexpanded.extend(f"{module.id}/{slug}: {acronym}" for slug, acronym in reading.unexpanded)
    assert words / sentences < 15
    assert not long_winded, "mean sentence length 15 words or more: " + "; ".join(long_winded)
    assert not unexpanded, "acronyms not expanded where first used: " + "; ".join(unexpanded)


@pytest.mark.parametrize(
    ("text", "unexpanded"),
    [
        ("<p>A special educational needs co-ordinator (SENCO) leads. The SENCO's time matters.</p>", []),
        ("<p>The SENCO leads. A special educational needs co-ordinator (SENCO) helps.</p>", ["SENCO"]),
        ("<p>Most pupils with SEN get support.</p>", ["SEN"]),
        ("<p>An education, health and care (EHC) plan. EHCPs and EHC plans.</p>", ["EHCPs"]),
        ("<p>An education, health and care plan (EHCP). Two EHCPs.</p>", []),
        ("<p>Ask the SEND Information, Advice and Support Service (SENDIASS).</p>", ["SEND"]),
        (
            "<p>Special educational needs and disabilities (SEND). "
            "The SEND Information, Advice and Support Service (SENDIASS).</p>",
            [],
        ),
        ("<p>The Department for Education (DfE) says so; the DfE agrees.</p>", []),
        ("<p>The National Award for SEN Co-ordination (NASENCO).</p>", ["SEN"]),
        ("<p>Teaching assistants (TAs) help. A TA helps.</p>", []),
        ("<p>The First-tier Tribunal (SEND) hears appeals.</p>", ["SEND"]),
        ("<p>English as an additional language (EAL) is not SEN.</p>", ["SEN"]),
        ("<h2>The SENCO</h2><p>The special educational needs co-ordinator (SENCO) leads.</p>", []),
        ("<h2>The SENCO</h2><p>It leads.</p>", ["SENCO"]),
        ("<p>PE and GCSEs in the UK, and a GP from the NHS.</p>", []),
        ("<p>Key stage 2 (KS2) ends in Year 6.</p>", []),
    ],
)
def test_an_acronym_counts_as_expanded_only_after_the_words_it_stands_for(text, unexpanded):
    assert unexpanded_acronyms(text) == unexpanded


def test_sentences_are_counted_in_paragraphs_lists_and_tables_not_headings():
    html = (
        "<h2>A heading of several words is not counted</h2>"
        "<p>One two three. Four five six seven! Is this eight? yes, e.g. it is.</p>"
        "<ul><li>a list item without a stop</li><li>another one</li></ul>"
        "<table><tr><td>cell text here</td></tr></table>"
    )
    assert sentences(html) == [
        "One two three.",
        "Four five six seven!",
        "Is this eight? yes, e.g. it is.",
        "a list item without a stop",
        "another one",
        "cell text here",
    ]
    assert word_count("The SENCO's £6,000 budget, 6.44 to 6.56.") == 7


def test_a_change_note_names_every_module_that_rests_on_it():
    """A change in the law is recorded once; every module whose pages or questions cite its sources is
    named, so that everyone who completed one before the change is told."""
    catalogue = load_catalogue(ROOT)
    assert catalogue.changes, "modules/changes.yaml records no change"
    missing = []
    for change in catalogue.changes:
        sources = set(change.sources)
        for module in catalogue.modules.values():
            quiz = catalogue.quizzes.get(module.id)
            cited = {ref for page in module.pages for ref in page.sources}
            cited |= {question.source for question in quiz.questions} if quiz else set()
            if cited & sources and module.id not in change.module_ids:
                missing.append(f"{change.id}: {module.id}")
    assert not missing, "modules that cite a change's sources but are not named by it: " + "; ".join(missing)


def test_a_change_note_makes_the_modules_it_names_a_new_version(content):
    before = load_catalogue(content)
    named = set(before.changes[0].module_ids)
    rewrite(content / "modules/changes.yaml", lambda data: data["changes"][0].update(summary="Said another way."))
    after = load_catalogue(content)
    for module_id, module in after.modules.items():
        changed = module.version != before.modules[module_id].version
        assert changed == (module_id in named), module_id


def test_a_change_naming_a_missing_module_or_section_is_named(content):
    def break_it(data):
        data["changes"][0]["modules"].append("no-such-module")
        data["changes"][0]["sources"].append("send-code#no-such-section")

    rewrite(content / "modules/changes.yaml", break_it)
    found = problems(content)
    assert any(p.startswith("modules/changes.yaml: changes.0.modules.") and "no-such-module" in p for p in found)
    assert any(p.startswith("modules/changes.yaml: changes.0.sources.") and "no-such-section" in p for p in found)


def test_every_pathway_module_is_meant_for_the_role_and_the_new_topics_are_required():
    catalogue = load_catalogue(ROOT)
    for pathway in catalogue.pathways.values():
        for module_id in pathway.required + pathway.optional:
            assert pathway.role in catalogue.modules[module_id].audience, (pathway.role, module_id)
    required = {role: set(pathway.required) for role, pathway in catalogue.pathways.items()}
    for role in ("teaching_assistant", "teacher", "senco", "headteacher"):
        assert {"graduated-approach", "what-is-changing"} <= required[role], role
    for role in ("teacher", "senco", "headteacher", "governor", "send_governor"):
        assert {"equality-act-duties", "what-is-changing"} <= required[role], role
    assert {"ehc-plans", "disagreement-and-redress", "medical-conditions-and-looked-after-children"} <= required[
        "senco"
    ]
    assert "ehc-plans" in required["headteacher"]


def test_the_key_question_sets_pair_with_their_modules():
    catalogue = load_catalogue(ROOT)
    pairs = {
        "governance": {"governing-board-duties", "send-governor"},
        "leadership": {"headteachers-and-leaders"},
        "ta-deployment": {"teachers-and-tas"},
        "parents-carers": {"parents-and-carers"},
    }
    for set_id, modules in pairs.items():
        for question in catalogue.key_question_sets[set_id].questions:
            paired = {m.id for m in catalogue.modules.values() if question.id in m.key_question_ids}
            assert paired & modules, f"{question.id} is not paired with {modules}"


def test_bad_yaml_names_the_file_and_line(content):
    edit(content / "modules/send-essentials/module.yaml", "title: ", "title: [unclosed ")
    found = problems(content)
    assert any(
        p.startswith("modules/send-essentials/module.yaml: line 3, column ") and "not valid YAML" in p for p in found
    )


def test_a_missing_field_is_named(content):
    edit(content / "modules/senco/module.yaml", "minutes: ", "not_minutes: ")
    found = problems(content)
    assert any(p.startswith("modules/senco/module.yaml: minutes: Missing data") for p in found), found
    assert any(p.startswith("modules/senco/module.yaml: not_minutes: Unknown field") for p in found), found


def test_an_unknown_role_is_named(content):
    edit(content / "modules/senco/module.yaml", "audience: [", "audience: [caretaker, ")
    assert_problem(content, "modules/senco/module.yaml", "audience.0", "unknown role 'caretaker'")


def test_a_duplicate_module_id_is_named(content):
    shutil.copytree(content / "modules/senco", content / "modules/senco-copy")
    assert_problem(content, "modules/senco-copy/module.yaml", "id", "must match the folder name")


def test_a_duplicate_question_id_is_named(content):
    edit(content / "quizzes/senco.yaml", "id: senco-02", "id: senco-01")
    assert_problem(content, "quizzes/senco.yaml", "questions.1.id", "duplicate question id 'senco-01'")


def test_a_question_citing_a_missing_section_is_named(content):
    edit(content / "quizzes/senco.yaml", "source: roles#senco", "source: roles#no-such-section")
    assert_problem(
        content, "quizzes/senco.yaml", "questions.2.source", "'roles#no-such-section', which is not a section"
    )


def test_a_page_citing_a_missing_section_is_named(content):
    edit(content / "modules/senco/module.yaml", "sources: [roles#senco", "sources: [roles#nowhere")
    assert_problem(content, "modules/senco/module.yaml", "pages.0.sources.0", "'roles#nowhere'")


def test_a_correct_answer_not_among_the_options_is_named(content):
    path = content / "quizzes/send-essentials.yaml"
    number = first_question(yaml.safe_load(path.read_text()), "single_choice")[0]
    rewrite(path, lambda data: data["questions"][number].update(answer="z"))
    assert_problem(
        content, "quizzes/send-essentials.yaml", f"questions.{number}.answer", "'z' is not one of the options"
    )


def test_an_unknown_question_type_is_named(content):
    edit(content / "quizzes/send-essentials.yaml", "type: single_choice", "type: essay")
    assert_problem(content, "quizzes/send-essentials.yaml", "questions.0.type", "unknown question type 'essay'")


def test_a_question_pointing_at_a_missing_page_is_named(content):
    edit(content / "quizzes/send-essentials.yaml", "page: principles", "page: nowhere")
    assert_problem(content, "quizzes/send-essentials.yaml", "questions.0.page", "'nowhere' is not a page")


def test_a_missing_page_file_is_named(content):
    (content / "modules/senco/01-the-role.md").unlink()
    assert_problem(content, "modules/senco/module.yaml", "pages.0.file", "01-the-role.md is not in senco/")


def test_an_uncited_section_is_named(content):
    for module_file in (content / "modules").glob("*/module.yaml"):
        module_file.write_text(module_file.read_text().replace("roles#funding", "roles#principles"))
    assert_problem(content, "modules/sources.yaml", "roles#funding", "no module page cites this section")


def test_a_missing_key_question_is_named(content):
    path = content / "modules/key-questions.yaml"
    text = path.read_text()
    start = text.index("      - id: parents-welcoming-culture")
    path.write_text(text[:start])
    found = problems(content)
    assert any("roles#parents-key-questions: the guidance asks 2 key questions here; 1 are present" in p for p in found)


def test_a_broken_file_stops_start_up_and_says_why(content):
    edit(content / "modules/senco/module.yaml", "minutes: ", "not_minutes: ")
    with pytest.raises(ContentError, match=re.escape("modules/senco/module.yaml: minutes: Missing data")):
        create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite://", "CONTENT_ROOT": str(content)})


def test_content_check_command(app, content):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["content", "check"])
    assert good.exit_code == 0, good.output
    folders = [path for path in (ROOT / "modules").iterdir() if path.is_dir()]
    assert f"Content OK: {len(folders)} modules" in good.output
    path = content / "quizzes/send-essentials.yaml"
    number = first_question(yaml.safe_load(path.read_text()), "single_choice")[0]
    rewrite(path, lambda data: data["questions"][number].update(answer="z"))
    bad = runner.invoke(args=["content", "check", "--root", str(content)])
    assert bad.exit_code != 0
    assert f"quizzes/send-essentials.yaml: questions.{number}.answer" in bad.output


def test_content_coverage_command(app):
    result = app.test_cli_runner().invoke(args=["content", "coverage"])
    assert result.exit_code == 0, result.output
    assert "NOT COVERED" not in result.output and "NOT PAIRED" not in result.output
    assert "29 of 29 guidance sections covered by module pages; 12 key questions present;" in result.output
    assert "mainstream#send-governor  [covered]" in result.output
    catalogue = app.extensions["catalogue"]
    quiz = catalogue.quizzes["senco"]
    scenarios = sum(1 for question in quiz.questions if question.kind == "scenario")
    sections = len({question.source for question in quiz.questions})
    row = re.search(
        r"^  senco +questions +(\d+) +scenarios +(\d+) +recall +(\d+) +sections tested +(\d+)  mean sentence",
        result.output,
        re.M,
    )
    assert row, result.output
    assert [int(n) for n in row.groups()] == [len(quiz.questions), scenarios, len(quiz.questions) - scenarios, sections]


def test_a_module_version_changes_when_its_text_does(content):
    before = load_catalogue(content).modules["senco"].version
    page = content / "modules/senco/01-the-role.md"
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    assert load_catalogue(content).modules["senco"].version != before


def test_pages_render_without_raw_html(content):
    page = content / "modules/senco/01-the-role.md"
    page.write_text(page.read_text() + "\n<script>alert(1)</script>\n")
    html = load_catalogue(content).modules["senco"].pages[0].html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_question_without_a_kind_is_named(content):
    rewrite(content / "quizzes/senco.yaml", lambda data: data["questions"][3].pop("kind"))
    assert_problem(content, "quizzes/senco.yaml", "questions.3.kind", "Missing data")


def test_an_unknown_question_kind_is_named(content):
    rewrite(content / "quizzes/senco.yaml", lambda data: data["questions"][0].update(kind="trivia"))
    assert_problem(content, "quizzes/senco.yaml", "questions.0.kind", "kind is scenario or recall")


@pytest.mark.parametrize("question_type", ["single_choice", "multiple_choice"])
def test_a_choice_option_without_feedback_is_named(content, question_type):
    number = first_question(yaml.safe_load((content / "quizzes/senco.yaml").read_text()), question_type)[0]
    rewrite(content / "quizzes/senco.yaml", lambda data: data["questions"][number]["options"][1].pop("feedback"))
    assert_problem(
        content, "quizzes/senco.yaml", f"questions.{number}.options.1.feedback", "every option needs feedback"
    )


def test_feedback_on_an_ordering_step_or_a_matching_item_is_named(content):
    for path in sorted((content / "quizzes").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        ordering = [n for n, q in enumerate(data["questions"]) if q["type"] == "ordering"]
        matching = [n for n, q in enumerate(data["questions"]) if q["type"] == "matching"]
        if ordering and matching:
            break
    else:
        pytest.fail("no quiz has both an ordering and a matching question")

    def add_feedback(data):
        data["questions"][ordering[0]]["options"][0]["feedback"] = "First, because it comes first."
        data["questions"][matching[0]]["items"][0]["feedback"] = "This one matches that."

    rewrite(path, add_feedback)
    file = f"quizzes/{path.name}"
    assert_problem(content, file, f"questions.{ordering[0]}.options.0.feedback", "options carry no feedback")
    assert_problem(content, file, f"questions.{matching[0]}.items.0.feedback", "items carry no feedback")


def test_a_module_without_review_dates_is_named(content):
    rewrite(content / "modules/senco/module.yaml", lambda data: data.pop("reviewed_on"))
    assert_problem(content, "modules/senco/module.yaml", "reviewed_on", "Missing data")


def test_a_review_more_than_twelve_months_on_is_named(content):
    path = content / "modules/senco/module.yaml"
    rewrite(path, lambda data: data.update(reviewed_on=date(2026, 12, 5), review_by=date(2027, 12, 6)))
    assert_problem(content, "modules/senco/module.yaml", "review_by", "review by 2027-12-05 at the latest")
    rewrite(path, lambda data: data.update(review_by=date(2027, 12, 5)))
    load_catalogue(content)
    rewrite(path, lambda data: data.update(review_by=date(2026, 12, 1)))
    assert_problem(content, "modules/senco/module.yaml", "review_by", "must be after reviewed_on")


def test_a_module_past_its_review_date_is_a_warning_not_a_failure(app, content):
    rewrite(
        content / "modules/senco/module.yaml",
        lambda data: data.update(reviewed_on=date(2020, 1, 10), review_by=date(2020, 9, 1)),
    )
    catalogue = load_catalogue(content)
    assert overdue_reviews(catalogue, date(2020, 9, 1)) == []
    warnings = overdue_reviews(catalogue, date(2020, 9, 2))
    assert len(warnings) == 1 and warnings[0].startswith("modules/senco/module.yaml: review_by: 2020-09-01 has passed")
    result = app.test_cli_runner().invoke(args=["content", "check", "--root", str(content)])
    assert result.exit_code == 0, result.output
    assert "WARNING modules/senco/module.yaml: review_by: 2020-09-01 has passed" in result.output
    assert "Content OK" in result.output


def test_a_reference_section_need_not_be_taught_but_a_guidance_section_must(content):
    sources = content / "modules/sources.yaml"
    sources.write_text(
        sources.read_text()
        + """
  - id: a-reference
    kind: reference
    title: "A reference"
    publisher: "A publisher"
    last_updated: 2026-01-01
    url: "https://www.example.org/reference"
    sections:
      - {id: nobody-cites-this, heading: "A section", covers: "Something."}
"""
    )
    assert "a-reference#nobody-cites-this" in load_catalogue(content).sections
    sources.write_text(sources.read_text().replace('kind: reference\n    title: "A reference"', 'title: "A reference"'))
    assert_problem(content, "modules/sources.yaml", "a-reference#nobody-cites-this", "no module page cites this")


def test_a_reference_with_key_questions_is_named(content):
    sources = content / "modules/sources.yaml"
    sources.write_text(
        sources.read_text()
        + """
  - id: a-reference
    kind: reference
    title: "A reference"
    publisher: "A publisher"
    last_updated: null
    sections:
      - {id: questions, heading: "A section", covers: "Something.", key_questions: 2}
"""
    )
    found = problems(content)
    assert any("key questions come from the guidance documents, not from a reference" in p for p in found), found


def test_a_document_of_an_unknown_kind_is_named(content):
    rewrite(content / "modules/sources.yaml", lambda data: data["documents"][0].update(kind="leaflet"))
    assert_problem(content, "modules/sources.yaml", "documents.0.kind", "a guidance document or a reference")


def test_a_broken_module_is_named_once_not_again_by_what_refers_to_it(content):
    edit(content / "modules/senco/module.yaml", "minutes: ", "not_minutes: ")
    found = problems(content)
    assert [p for p in found if "senco" in p] == [
        "modules/senco/module.yaml: minutes: Missing data for required field.",
        "modules/senco/module.yaml: not_minutes: Unknown field.",
    ], found


def test_the_content_command_reports_on_content_that_stops_start_up(content):
    """The command runs without starting the app, so broken content gets a list, not a traceback."""
    edit(content / "modules/senco/module.yaml", "minutes: ", "not_minutes: ")
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(  # noqa: S603 (our own virtualenv's flask, fixed arguments)
        [str(flask), "content", "check"],
        env={**os.environ, "CONTENT_ROOT": str(content), "FLASK_APP": "app:create_app"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "PROBLEM modules/senco/module.yaml: minutes: Missing data for required field." in result.stderr
    assert "Traceback" not in result.stderr


SECRET = b"a test secret"


def test_the_checked_catalogue_is_kept_until_a_content_file_changes(tmp_path):
    from app.content.loader import load_catalogue_kept

    root = tmp_path / "content"
    for folder in ("modules", "quizzes"):
        shutil.copytree(ROOT / folder, root / folder)
    keep = tmp_path / "instance"
    first = load_catalogue_kept(root, keep, SECRET)
    [kept] = list(keep.glob("catalogue-*.pickle"))
    assert load_catalogue_kept(root, keep, SECRET) == first
    # A changed file is a new catalogue, and the old kept copy goes.
    module_file = next((root / "modules").rglob("*.md"))
    module_file.write_text(module_file.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    changed = load_catalogue_kept(root, keep, SECRET)
    assert changed != first
    assert [path.name for path in keep.glob("catalogue-*.pickle")] != [kept.name]
    # A broken file still stops start-up, and nothing is kept for it.
    (root / "modules" / "pathways.yaml").write_text("pathways: [", encoding="utf-8")
    with pytest.raises(ContentError):
        load_catalogue_kept(root, keep, SECRET)


def test_a_kept_catalogue_not_sealed_with_the_apps_secret_is_never_unpickled(tmp_path):
    """Unpickling runs code: a file planted in the instance folder (or kept under another secret key)
    is parsed afresh instead of loaded."""
    import pickle

    from app.content.loader import load_catalogue_kept

    root = tmp_path / "content"
    for folder in ("modules", "quizzes"):
        shutil.copytree(ROOT / folder, root / folder)
    keep = tmp_path / "instance"
    first = load_catalogue_kept(root, keep, SECRET)
    [kept] = list(keep.glob("catalogue-*.pickle"))

    class Planted:
        def __reduce__(self):
            return (Path(tmp_path / "planted-code-ran").touch, ())

    body = pickle.dumps(Planted())
    kept.write_bytes(b"\0" * 32 + body)
    assert load_catalogue_kept(root, keep, SECRET) == first
    assert not (tmp_path / "planted-code-ran").exists()
    # The same file sealed with another secret is refused too.
    assert load_catalogue_kept(root, keep, b"another secret") == first
