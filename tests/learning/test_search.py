"""Search over the module pages, the glossary and the key questions, on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text

from app.content import catalogue
from app.extensions import db
from app.learning import search as content_search
from app.models import Role
from tests.conftest import sign_in


@pytest.fixture
def learner(app, make_school, make_person):
    school = make_school()
    person = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, person)
    return client


def test_the_index_is_built_once_from_the_catalogue_and_again_only_when_it_changes(app):
    content = catalogue()
    content_search.ensure_index(content)  # whatever state an earlier test left
    db.session.execute(text("UPDATE content_search_state SET fingerprint = 'older content'"))
    db.session.commit()
    assert content_search.ensure_index(content) is True
    rows = db.session.execute(text("SELECT count(*) FROM content_search")).scalar()
    expected = content_search.index_rows(content)
    assert rows == len(expected)
    pages = sum(len(module.pages) for module in content.modules.values())
    questions = sum(len(s.questions) for s in content.key_question_sets.values())
    assert len(expected) == pages + len(content.glossary) + questions
    assert content_search.ensure_index(content) is False


def test_a_page_is_found_by_a_word_in_its_text_in_another_form(app):
    # "adjustment" finds pages that say "adjustments": both databases stem English words.
    results = content_search.search(catalogue(), "reasonable adjustment")
    assert results
    assert any(result.kind == content_search.Kind.PAGE for result in results)
    # The best match has the words in its title (the glossary's "Reasonable adjustments"); pages show
    # an extract with the words found marked.
    assert "adjustments" in results[0].title.lower()
    page = next(result for result in results if result.kind == content_search.Kind.PAGE)
    assert "<mark>" in page.extract and page.place and page.citation


def test_results_cite_the_module_page_and_the_guidance_section(app):
    content = catalogue()
    module = content.modules["send-essentials"]
    page = module.pages[0]
    results = content_search.search(content, page.title)
    match = next(r for r in results if r.target == f"{module.id}/{page.slug}")
    assert match.place == f"{module.title}, page 1 of {len(module.pages)}"
    assert match.citation.startswith(content.section_label(page.sources[0]))


def test_the_glossary_and_key_questions_are_searched_too(app):
    content = catalogue()
    term = content.glossary[0]
    found = content_search.search(content, term.term)
    assert any(r.kind == content_search.Kind.GLOSSARY and r.title == term.term for r in found)
    question = next(iter(content.key_question_sets.values())).questions[0]
    words = " ".join(re.findall(r"\w+", question.text)[:6])
    found = content_search.search(content, words)
    assert any(r.kind == content_search.Kind.KEY_QUESTION and r.title == question.text for r in found)


@pytest.mark.parametrize("typed", ['"', "NEAR(", "* OR -", "title:x", "'; DROP TABLE content_search; --", ")(", "AND"])
def test_nothing_typed_is_read_as_query_syntax(app, typed):
    content_search.search(catalogue(), typed)  # neither an error nor a changed index
    assert db.session.execute(text("SELECT count(*) FROM content_search")).scalar() > 0


def test_a_query_without_words_finds_nothing(app):
    assert content_search.search(catalogue(), "  ?!  ") == []


def test_the_search_page_lists_results_with_links_and_citations(learner):
    page = learner.get("/training/search?q=annual+review").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Search: annual review</h1>' in page
    links = re.findall(
        r'<h3 class="govuk-heading-s govuk-!-margin-bottom-1"><a class="govuk-link" href="([^"]+)"', page
    )
    assert links and all(link.startswith("/training/") for link in links)
    for link in links[:5]:
        assert learner.get(html.unescape(link).split("#")[0]).status_code == 200
    assert "Rests on: " in page and "<mark>" in page


def test_a_glossary_result_leads_to_its_term(learner):
    term = catalogue().glossary[0]
    page = learner.get("/training/search", query_string={"q": term.term}).get_data(as_text=True)
    anchor = content_search.glossary_anchor(term.term)
    assert f'href="/training/glossary#{anchor}"' in page
    assert f'id="{anchor}"' in learner.get("/training/glossary").get_data(as_text=True)


def test_no_results_says_so(learner):
    page = learner.get("/training/search?q=xylophonist").get_data(as_text=True)
    assert "No results" in page and "Try fewer words" in page


def test_the_search_is_in_the_menu_and_marked_as_the_current_page(learner):
    page = learner.get("/training/search").get_data(as_text=True)
    assert page.count('aria-current="page"') == 1
    assert 'href="/training/search" aria-current="page">Search</a>' in page


def test_the_command_builds_the_index_when_the_content_changed(app):
    db.session.execute(text("UPDATE content_search_state SET fingerprint = 'older content'"))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "was built" in runner.invoke(args=["search-index"]).output
    assert "up to date" in runner.invoke(args=["search-index"]).output
    db.session.remove()
    assert db.session.execute(text("SELECT count(*) FROM content_search")).scalar() == len(
        content_search.index_rows(catalogue())
    )
