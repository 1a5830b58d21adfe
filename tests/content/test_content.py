"""The curriculum files: validated at start-up and by `flask content check`, naming every problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app import create_app
from app.content.loader import ContentError, load_catalogue
from tests.conftest import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


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
    assert cited == set(catalogue.sections)


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
    edit(content / "quizzes/send-essentials.yaml", "    answer: a\n", "    answer: z\n")
    assert_problem(content, "quizzes/send-essentials.yaml", "questions.0.answer", "'z' is not one of the options")


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
    assert "Content OK: 15 modules" in good.output
    edit(content / "quizzes/send-essentials.yaml", "    answer: a\n", "    answer: z\n")
    bad = runner.invoke(args=["content", "check", "--root", str(content)])
    assert bad.exit_code != 0
    assert "quizzes/send-essentials.yaml: questions.0.answer" in bad.output


def test_content_coverage_command(app):
    result = app.test_cli_runner().invoke(args=["content", "coverage"])
    assert result.exit_code == 0, result.output
    assert "NOT COVERED" not in result.output and "NOT PAIRED" not in result.output
    assert "31 of 31 sections covered by module pages; 12 key questions present." in result.output
    assert "mainstream#send-governor  [covered]" in result.output


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
