"""No school's data on another school's pages: a crawl of every page, as every role of each school.

Two schools are seeded with names and emails that appear nowhere else (two_schools in conftest):
school A's text is built on "Alphaleak", school B's on "Bravoleak". Signed in as each role of one
school, the crawl fetches every GET route in the url_map (routes that name an object are tried with
the person's own object and one of each school's) and every same-site link on the pages it finds,
and fails if any response (HTML, CSV, JSON, or the text of a PDF) contains the other school's name,
URN, organisation, or any of its people's names or emails. The local authority officer of A's
organisation, which holds only school A, must not see B either.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from werkzeug.exceptions import HTTPException

from tests.conftest import SeededPerson, SeededSchool, sign_in
from tests.support.access_table import ACCESS, ANONYMOUS, NOT_IN_TABLE, OBJECTS, ROLES, content_values

# A crawl that reaches this many pages fails, so that the cap is raised knowingly rather than pages
# going unchecked.
MAX_PAGES = 300
# Distinct URLs fetched per route, beyond the start URLs (every one of which is fetched: the person's
# own object and each school's, and the people between the two schools); the rest are the school's own
# objects, found through links. Curriculum pages are the same for every
# school, and PDFs are slow to make and are made from the same data as their pages.
PAGES_PER_ROUTE = 5
CONTENT_PAGES_PER_ROUTE = 3
PDFS_PER_ROUTE = 3
INVALID_TOKEN = "not-a-valid-token"


@pytest.fixture(autouse=True)
def _clean_database():
    """Overrides conftest's: the crawls share one seeded world, which two_schools empties at the end."""
    yield


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def links_in(html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(html)
    return collector.links


def same_site_path(base: str, href: str) -> str | None:
    """The path and query of a link on this site, or None for another site, a fragment or a file."""
    parts = urlsplit(urljoin(f"http://localhost{base}", href))
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    if parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_urls(app, schools: dict[str, SeededSchool], person: SeededPerson | None) -> list[str]:
    """Every GET route; one naming an object with the person's own and one of each school's."""
    adapter = app.url_map.bind("localhost")
    content = content_values(app)
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_IN_TABLE:
            continue
        if not rule.arguments:
            urls.add(adapter.build(rule.endpoint, {}))
            continue
        access = ACCESS.get(rule.endpoint)
        assert access is not None, f"{rule.endpoint} has no row in tests/access_table.py"
        values = {argument: content[argument] for argument in access.content_args}
        if access.token_arg:
            values[access.token_arg] = INVALID_TOKEN
        if not access.object_arg:
            urls.add(adapter.build(rule.endpoint, values))
            continue
        kind = OBJECTS[access.object_arg]
        with app.app_context():
            objects = {kind.someone_in(school, content) for school in schools.values()}
            if person is not None:
                objects.add(kind.own(person, content))
            # People between the two schools: invited and not joined, and working at both (one sharing
            # their record with both schools, one not), with objects the other school owns.
            for school in schools.values():
                if kind.invited_here:
                    objects.add(kind.invited_here(school, content))
                if kind.owned_elsewhere:
                    objects |= {kind.owned_elsewhere(school, content, shared) for shared in (False, True)}
            if access.object_arg == "user_id":
                any_school = next(iter(schools.values()))
                objects |= {any_school.commuter.id, any_school.sharer.id}
        for value in sorted(value for value in objects if value is not None):
            urls.add(adapter.build(rule.endpoint, {**values, access.object_arg: value}))
    return sorted(urls)


def route_of(app, path: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except HTTPException:
        return None  # not a route: a 404 page
    return endpoint


def pages_to_fetch(route: str | None, path: str) -> int:
    access = ACCESS.get(route or "")
    if urlsplit(path).path.endswith(".pdf"):
        return PDFS_PER_ROUTE
    if access is not None and access.content_args:
        return CONTENT_PAGES_PER_ROUTE
    return PAGES_PER_ROUTE


def text_of(response) -> str:
    """What a person would read in the response; a PDF's text is extracted, and a zip's files' names
    and texts (the staff certificates zip)."""
    data = response.get_data()
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(
                f"{name} " + " ".join((page.extract_text() or "") for page in PdfReader(archive.open(name)).pages)
                for name in archive.namelist()
            )
    if response.mimetype == "application/pdf":
        try:
            reader = PdfReader(io.BytesIO(data))
            return " ".join((page.extract_text() or "") for page in reader.pages)
        except PdfReadError:
            pass  # an uploaded evidence file, served as it was stored: search its bytes
    return data.decode("utf-8", errors="replace")


def crawl(app, client, start: list[str]) -> dict[str, str]:
    """Fetch the start URLs and every same-site link found on the way: {url: text}."""
    texts: dict[str, str] = {}
    queue = deque(start)
    seen = set(start)
    fetched_per_route: Counter[str | None] = Counter()
    starts = set(start)
    while queue:
        url = queue.popleft()
        route = route_of(app, url)
        fetched_per_route[route] += 1
        # Every start URL is fetched (each is an object chosen to be tried); the cap is for links found.
        if url not in starts and fetched_per_route[route] > pages_to_fetch(route, url):
            continue
        assert len(texts) < MAX_PAGES, f"the crawl passed {MAX_PAGES} pages: raise MAX_PAGES"
        response = client.get(url)
        texts[url] = text_of(response)
        found = [response.headers["Location"]] if 300 <= response.status_code < 400 else []
        if response.mimetype == "text/html":
            found += links_in(texts[url])
        for href in found:
            path = same_site_path(url, href)
            if path is not None and path not in seen:
                seen.add(path)
                queue.append(path)
    return texts


def leaks(texts: dict[str, str], markers: list[str]) -> list[str]:
    return [
        f"{url} shows {marker!r}"
        for url, text in texts.items()
        for marker in markers
        if marker.lower() in " ".join(text.split()).lower()
    ]


ACTORS = [(None, ANONYMOUS)] + [(letter, role) for letter in "AB" for role in ROLES if role != ANONYMOUS]


@pytest.mark.parametrize(
    ("letter", "role"),
    ACTORS,
    ids=[role if letter is None else f"{role}@{letter}" for letter, role in ACTORS],
)
def test_no_page_shows_another_schools_data(app, two_schools, letter, role):
    client = app.test_client()
    if letter is None:
        own = person = None
        others = list(two_schools.values())
    else:
        own = two_schools[letter]
        person = own.people[role]
        others = [school for school in two_schools.values() if school is not own]
        sign_in(client, person)

    texts = crawl(app, client, route_urls(app, two_schools, person))

    found = leaks(texts, [marker for school in others for marker in school.markers])
    assert not found, f"as {role} of school {letter}:\n" + "\n".join(found)
    # The crawl really was signed in and reached pages with the school's own data on them.
    if own is not None:
        assert leaks(texts, [own.name]), f"as {role} of school {letter}, no page showed {own.name!r}"


def test_the_crawl_would_see_a_leak(app, two_schools):
    """A leader of A sees A's people: the same crawl, looking for A's markers, finds them."""
    client = app.test_client()
    head = two_schools["A"].people["headteacher"]
    sign_in(client, head)
    texts = crawl(app, client, route_urls(app, two_schools, head))
    shown = leaks(texts, two_schools["A"].markers)
    # Everyone with a role at the school (the officer works for the organisation, not the school).
    for person in [p for p in two_schools["A"].everyone if p.role != "la_officer"]:
        assert any(repr(person.email) in line for line in shown), f"{person.email} is on no page"
    # The school's Microsoft and Google sign-in settings (its tenant and staff domain) are crawled too.
    from tests.conftest import SIGN_IN_SEEDS

    assert all(any(repr(seed) in line for line in shown) for seed in SIGN_IN_SEEDS["A"])
    # PDFs are read too: the board report names the school.
    assert any(url.endswith(".pdf") and "Alphaleak" in text for url, text in texts.items())


def test_the_crawl_reaches_the_people_between_schools(app, two_schools):
    """The crawl as A's headteacher reads the records of the people who work at both schools and the
    invitation A sent to B's teacher, so that the leak test above covers them."""
    client = app.test_client()
    school = two_schools["A"]
    sign_in(client, school.people["headteacher"])
    texts = crawl(app, client, route_urls(app, two_schools, school.people["headteacher"]))
    sharer_page = " ".join(texts[f"/cpd/people/{school.sharer.id}"].split())
    # The sharer's record from both schools, B's decision shown without naming who made it.
    assert sharer_page.count("Shared course") >= 2 and "Verified at another school" in sharer_page
    commuter_page = texts[f"/cpd/people/{school.commuter.id}"]
    assert "Alphaleak commuter course" in commuter_page and "they have not shared it" in commuter_page
    assert "Joiner typed by A" in texts["/school/people/"]
    assert texts[f"/school/people/{school.invitee.id}"] and school.invitee.name not in texts["/school/people/"]
