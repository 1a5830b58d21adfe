"""One search over the training content: module pages, the glossary and the key questions.

The index lives in the database, so that every server process shares it: SQLite's FTS5 (with the
porter stemmer) or PostgreSQL's full-text search (English configuration, a GIN index), behind the
two functions here. Both rank title words above body words and give a short extract with the words
found marked.

The index is built from the content catalogue, which changes only with a release. It is rebuilt
whenever the catalogue's fingerprint differs from the one it was built from: by `flask content
search-index` after a deployment's `flask db upgrade`, and, should that be forgotten, by the first
search after the change. A server's start-up does not build it, so commands and workers start quickly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import text

from app.content.model import Catalogue
from app.extensions import db

MAX_RESULTS = 20
MAX_QUERY_LENGTH = 200
# Private-use characters mark the words found in an extract, so that no text in the content can be
# mistaken for a mark; they become <mark> once the extract is escaped.
_START, _END = "\ue000", "\ue001"
_WORD = re.compile(r"\w+", re.UNICODE)


class Kind:
    PAGE = "page"
    GLOSSARY = "glossary"
    KEY_QUESTION = "key_question"


@dataclass(frozen=True)
class IndexRow:
    kind: str
    # What a result links to: "module_id/page_slug", a glossary term's anchor, or a module id.
    target: str
    title: str
    body: str
    # Where the text sits in the training: "SEND essentials for everyone, page 3 of 7".
    place: str
    # The guidance section it rests on, as a reader sees it: "document title: section heading".
    citation: str


@dataclass(frozen=True)
class SearchResult:
    kind: str
    target: str
    title: str
    place: str
    citation: str
    extract: Markup


def glossary_anchor(term: str) -> str:
    """The id of a term on the glossary page."""
    return "term-" + "-".join(word.lower() for word in _WORD.findall(term))


def index_rows(catalogue: Catalogue) -> list[IndexRow]:
    """What the index holds: one row per module page, glossary term and key question."""
    rows = []
    for module in catalogue.modules.values():
        for page in module.pages:
            rows.append(
                IndexRow(
                    Kind.PAGE,
                    f"{module.id}/{page.slug}",
                    page.title,
                    page.html.striptags(),
                    f"{module.title}, page {page.number} of {len(module.pages)}",
                    "; ".join(catalogue.section_label(ref) for ref in page.sources if ref in catalogue.sections),
                )
            )
    for term in catalogue.glossary:
        citation = catalogue.section_label(term.source) if term.source in catalogue.sections else ""
        rows.append(IndexRow(Kind.GLOSSARY, glossary_anchor(term.term), term.term, term.meaning, "Glossary", citation))
    covering = {}
    for module in catalogue.modules.values():
        for question_id in module.key_question_ids:
            covering.setdefault(question_id, module)
    for question_set in catalogue.key_question_sets.values():
        for question in question_set.questions:
            module = covering.get(question.id)
            rows.append(
                IndexRow(
                    Kind.KEY_QUESTION,
                    module.id if module else "",
                    question.text,
                    " ".join(question.levels.values()),
                    f"Key questions: {question_set.title}" + (f", covered by {module.title}" if module else ""),
                    catalogue.section_label(question.source) if question.source in catalogue.sections else "",
                )
            )
    return rows


def fingerprint(rows: list[IndexRow]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        for value in (row.kind, row.target, row.title, row.body, row.place, row.citation):
            digest.update(value.encode() + b"\0")
    return digest.hexdigest()


# The rows and fingerprint of the catalogue last asked about: working them out takes ~60 ms, and the
# catalogue is loaded once per process, so each process does it once. (A benign race at worst does it twice.)
_worked_out: tuple[Catalogue, list[IndexRow], str] | None = None


def _rows_and_fingerprint(catalogue: Catalogue) -> tuple[list[IndexRow], str]:
    global _worked_out
    if _worked_out is None or _worked_out[0] is not catalogue:
        rows = index_rows(catalogue)
        _worked_out = (catalogue, rows, fingerprint(rows))
    return _worked_out[1], _worked_out[2]


def ensure_index(catalogue: Catalogue) -> bool:
    """Build the index if it was built from other content (or never). True if it was built now; the
    caller commits (a search page in its request, `flask search-index` when it is done).

    Claiming the rebuild is one UPDATE of the state row (made by the migration): on PostgreSQL, a second
    process doing the same waits on that row until the first commits, then finds the fingerprint
    current, changes nothing, and reads the index the first built.
    """
    rows, wanted = _rows_and_fingerprint(catalogue)
    current = db.session.execute(text("SELECT fingerprint FROM content_search_state WHERE id = 1")).scalar()
    if current == wanted:
        return False
    claimed = db.session.execute(
        text("UPDATE content_search_state SET fingerprint = :wanted WHERE id = 1 AND fingerprint <> :wanted"),
        {"wanted": wanted},
    ).rowcount
    if not claimed:
        return False
    db.session.execute(text("DELETE FROM content_search"))
    db.session.execute(
        text(
            "INSERT INTO content_search (kind, target, title, body, place, citation) "
            "VALUES (:kind, :target, :title, :body, :place, :citation)"
        ),
        [_as_dict(row) for row in rows],
    )
    return True


def _as_dict(row: IndexRow) -> dict[str, str]:
    return {
        "kind": row.kind,
        "target": row.target,
        "title": row.title,
        "body": row.body,
        "place": row.place,
        "citation": row.citation,
    }


def search(catalogue: Catalogue, query: str, limit: int = MAX_RESULTS) -> list[SearchResult]:
    """The best matches for what a person typed, best first; every word must be found (in any form
    the stemmer gives it). Nothing for a query with no words in it."""
    words = _WORD.findall(query[:MAX_QUERY_LENGTH])
    if not words:
        return []
    ensure_index(catalogue)
    if db.engine.dialect.name == "postgresql":
        found = db.session.execute(
            text(
                "SELECT kind, target, title, place, citation, "
                "ts_headline('english', body, query, :options) AS extract "
                "FROM content_search, plainto_tsquery('english', :words) AS query "
                "WHERE document @@ query ORDER BY ts_rank(document, query) DESC, id LIMIT :limit"
            ),
            {
                "words": " ".join(words),
                "options": f"StartSel={_START}, StopSel={_END}, MaxWords=30, MinWords=12, MaxFragments=1",
                "limit": limit,
            },
        )
    else:
        # Each word quoted, so that nothing a person types is read as FTS5's query syntax.
        match = " ".join('"' + word.replace('"', "") + '"' for word in words)
        found = db.session.execute(
            text(
                "SELECT kind, target, title, place, citation, "
                "snippet(content_search, 3, :start, :end, '…', 24) AS extract "
                "FROM content_search WHERE content_search MATCH :match "
                # bm25 weights by column (kind, target, title, body, place, citation): titles count most.
                "ORDER BY bm25(content_search, 0, 0, 5.0, 1.0, 0, 0), rowid LIMIT :limit"
            ),
            {"match": match, "start": _START, "end": _END, "limit": limit},
        )
    return [
        SearchResult(row.kind, row.target, row.title, row.place, row.citation, _marked(row.extract)) for row in found
    ]


def _marked(extract: str) -> Markup:
    """The extract escaped, with the words found in <mark>."""
    return Markup(str(escape(extract)).replace(_START, "<mark>").replace(_END, "</mark>"))  # noqa: S704 (escaped)
