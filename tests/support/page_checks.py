"""Checks that every HTML page the test client receives is well formed and usable.

The test client (tests/conftest.py, `IsolatedContextClient`) runs these on every text/html response
that is not a redirect, so any test that fetches a page also checks it:

- the HTML parses without errors (html5lib, which follows the HTML parsing rules browsers use);
- exactly one <h1>;
- the <title> begins with the <h1>'s text, preceded by "Error: " exactly when the page shows an
  error summary, so screen reader users hear about the problem first;
- no id is used twice (labels, error links and aria references point at ids);
- every <form> says where it goes, and a POST form carries a CSRF token;
- every visible form control has a label.

Each check is a function from a parsed page to a list of problems (plain sentences), so that tests
can feed HTML straight into one check.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import html5lib
from html5lib.constants import E as PARSE_ERROR_MESSAGES

# Input types that are not filled in by the person, so need no label.
UNLABELLED_INPUT_TYPES = frozenset({"hidden", "submit", "button", "image"})

# Problems the app's own templates still have. Each is tolerated by the test client (never by the
# checks themselves) and named with where it comes from; tests/test_page_checks.py fails as soon as
# one no longer happens, so that its entry is removed and the check is whole again.
KNOWN_TEMPLATE_PROBLEMS: dict[str, str] = {
    # A problem in a template that cannot be fixed straight away goes here, as
    # regular expression -> where it comes from; tests/test_page_checks.py fails once it is fixed.
}


def is_known_template_problem(problem: str) -> bool:
    return any(re.search(pattern, problem) for pattern in KNOWN_TEMPLATE_PROBLEMS)


@dataclass(frozen=True)
class ParsedPage:
    root: Element
    # (line, column, message) for every parse error html5lib met.
    parse_errors: list[tuple[int, int, str]]

    def iter(self, tag: str) -> Iterator[Element]:
        return self.root.iter(tag)


def parse_page(html: str) -> ParsedPage:
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    root = parser.parse(html)
    errors = []
    for (line, column), code, details in parser.errors:
        message = PARSE_ERROR_MESSAGES.get(code, code)
        try:
            message = message % details
        except (TypeError, KeyError, ValueError):
            message = f"{message} {details}"
        errors.append((line, column, message))
    return ParsedPage(root, errors)


def normalised_text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def has_class(element: Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


# ---- the checks -----------------------------------------------------------------------------


def parse_problems(page: ParsedPage) -> list[str]:
    return [f"invalid HTML at line {line}, column {column}: {message}" for line, column, message in page.parse_errors]


def heading_problems(page: ParsedPage) -> list[str]:
    headings = list(page.iter("h1"))
    if len(headings) == 1:
        return []
    texts = "; ".join(repr(normalised_text(h1)) for h1 in headings)
    return [f"{len(headings)} <h1> elements, expected exactly 1" + (f" ({texts})" if texts else "")]


def shows_error_summary(page: ParsedPage) -> bool:
    return any(has_class(element, "govuk-error-summary") for element in page.root.iter())


def title_problems(page: ParsedPage) -> list[str]:
    titles = [title for title in page.iter("title")]
    if len(titles) != 1:
        return [f"{len(titles)} <title> elements, expected exactly 1"]
    title = normalised_text(titles[0])
    problems = []
    has_error_prefix = title.startswith("Error: ")
    if shows_error_summary(page) and not has_error_prefix:
        problems.append(f'the page shows an error summary but its <title> does not begin "Error: " ({title!r})')
    elif has_error_prefix and not shows_error_summary(page):
        problems.append(f'the <title> begins "Error: " but the page shows no error summary ({title!r})')
    headings = list(page.iter("h1"))
    if len(headings) == 1:
        heading = normalised_text(headings[0])
        rest = title.removeprefix("Error: ")
        if not heading or not rest.startswith(heading):
            problems.append(f"the <title> {title!r} does not begin with the <h1> text {heading!r}")
    return problems


def id_problems(page: ParsedPage) -> list[str]:
    counts = Counter(element.get("id") for element in page.root.iter() if element.get("id") is not None)
    return [f'id "{value}" is used {count} times' for value, count in sorted(counts.items()) if count > 1]


def _describe(element: Element) -> str:
    attributes = " ".join(
        f'{name}="{element.get(name)}"' for name in ("id", "name", "type", "action") if element.get(name)
    )
    return f"<{element.tag}{' ' + attributes if attributes else ''}>"


def form_problems(page: ParsedPage) -> list[str]:
    problems = []
    for form in page.iter("form"):
        if not (form.get("action") or "").strip():
            problems.append(f"{_describe(form)} has no action")
        if (form.get("method") or "get").strip().lower() == "post":
            tokens = [
                field
                for field in form.iter("input")
                if (field.get("type") or "").lower() == "hidden"
                and field.get("name") == "csrf_token"
                and field.get("value")
            ]
            if not tokens:
                problems.append(f"{_describe(form)} is a POST form without a hidden csrf_token input")
    return problems


def _needs_label(element: Element) -> bool:
    if element.tag in ("select", "textarea"):
        return True
    return element.tag == "input" and (element.get("type") or "text").strip().lower() not in UNLABELLED_INPUT_TYPES


def label_problems(page: ParsedPage) -> list[str]:
    ids = {element.get("id") for element in page.root.iter() if element.get("id")}
    labelled_ids = {label.get("for") for label in page.iter("label") if label.get("for")}
    # A control inside a <label> is labelled by it.
    wrapped = {id(control) for label in page.iter("label") for control in label.iter() if control is not label}
    problems = []
    for control in page.root.iter():
        if not _needs_label(control):
            continue
        if (control.get("aria-label") or "").strip():
            continue
        labelled_by = (control.get("aria-labelledby") or "").split()
        if labelled_by and all(reference in ids for reference in labelled_by):
            continue
        if control.get("id") and control.get("id") in labelled_ids:
            continue
        if id(control) in wrapped:
            continue
        problems.append(f"{_describe(control)} has no label")
    return problems


CHECKS: tuple[Callable[[ParsedPage], list[str]], ...] = (
    parse_problems,
    heading_problems,
    title_problems,
    id_problems,
    form_problems,
    label_problems,
)


def page_problems(html: str) -> list[str]:
    """Every problem the checks find in a page, in the order of CHECKS."""
    # The same page is fetched many times over (error pages above all) differing only in its CSRF
    # tokens, which the checks never look inside: parse each distinct page once.
    return list(_problems_of(_CSRF_TOKEN_VALUE.sub(r"\1-\2", html)))


_CSRF_TOKEN_VALUE = re.compile(r'(name="csrf_token"[^>]*? value=")[^"]+(")')


@functools.lru_cache(maxsize=4096)
def _problems_of(html: str) -> tuple[str, ...]:
    page = parse_page(html)
    return tuple(problem for check in CHECKS for problem in check(page))


def assert_good_page(html: str, url: str) -> None:
    """Raise AssertionError naming the URL and every problem, except known template problems."""
    problems = [problem for problem in page_problems(html) if not is_known_template_problem(problem)]
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise AssertionError(f"The page at {url} fails the page checks:\n{listed}")
