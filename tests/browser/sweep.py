"""The accessibility sweep: every page a person can reach, found from the app's own routes.

For one visitor (signed out, or signed in as one demo account) the sweep starts from every GET
route in `app.url_map` that takes no arguments, then follows the same-origin links on the pages it
visits, which is how it reaches pages with arguments such as /school/people/<id>. A page that only
a form's redirect leads to gets its address built from argument values seen in links. On each page
it runs axe-core and also notes what breaks a page without being an accessibility rule: a server
error, a response that is not HTML, a stylesheet or script that fails to load or that the browser
refuses (a Content Security Policy violation, the wrong type), or a JavaScript error.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, RequestRedirect, Rule

from tests.browser.helpers import axe_problem, save_screenshot

# GET routes the sweep leaves alone, each with the reason. Routes without GET (signing out,
# switching school, sending an invitation again) are never visited: a GET cannot change anything.
EXCLUDED_ENDPOINTS = {
    "static": "stylesheets, scripts and images, not pages",
    "main.health": "a JSON answer for load balancers, not a page",
    "school_content.policy_file": "a school policy's PDF or text to download, not a page",
    "badges.status_list": "a signed revocation list for badge verifiers (a JWT), not a page",
    "badges.issuer_profile": "an issuing school's Open Badges profile in JSON, for verifiers, not a page",
    "badges.achievement": "an achievement's Open Badges description in JSON, for verifiers, not a page",
}
# Whole families of routes that are not pages, by the shape of their address or endpoint name.
EXCLUDED_RULES = [
    (re.compile(r"\.(csv|pdf|json|txt|ics|xlsx|zip)$"), "a file to download (a CSV, a PDF), not a page"),
    (re.compile(r"^/api/"), "the JSON API for other systems, not pages"),
    (re.compile(r"\.download_"), "sends a file to download (a certificate, evidence), not a page"),
]
# Pages with arguments that no link leads to, and the test that checks them instead (the sweep's
# summary lists any other page with arguments that it could not reach).
CHECKED_ELSEWHERE = {
    "auth.set_password": "test_emailed_link_pages_pass_axe follows a real invitation email",
    "auth.reset_password": "test_emailed_link_pages_pass_axe follows a real password reset email",
    "leaders.certificate_bundle_progress": "tests/browser/test_certificate_zip.py checks it while and once built",
}
# Pages only a signed-out visitor sees, that no route without arguments leads to.
ANONYMOUS_EXTRAS = [
    "/no-such-page",  # the 404 page
    "/set-password/not-a-real-link",  # an invitation link that does not work
    "/reset-password/not-a-real-link",
]
MAX_PAGES_PER_VISITOR = 80
# Pages with arguments repeat one template: one of each per visitor (one person's page, one
# module's page) keeps the sweep quick; the visitors between them see several.
MAX_URLS_PER_ENDPOINT_WITH_ARGUMENTS = 1
# Browsers ask for /favicon.ico by themselves; the app has none and no page links to one.
IGNORED_RESOURCES = {"/favicon.ico"}


def exclusion(rule: Rule) -> str | None:
    """Why the sweep leaves this GET route alone, or None if it is a page to check."""
    if rule.endpoint in EXCLUDED_ENDPOINTS:
        return EXCLUDED_ENDPOINTS[rule.endpoint]
    for pattern, reason in EXCLUDED_RULES:
        if pattern.search(rule.rule) or pattern.search(rule.endpoint):
            return reason
    return None


def page_endpoints(app: Flask, *, with_arguments: bool) -> dict[str, str]:
    """Endpoint -> rule of every page route the sweep must cover (without, or with, arguments)."""
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and exclusion(rule) is None and bool(rule.arguments) == with_arguments
    }


@dataclass
class CheckedPage:
    url: str
    status: int
    endpoint: str | None
    problem: str | None = None


@dataclass
class VisitorSweep:
    who: str
    pages: list[CheckedPage] = field(default_factory=list)
    capped: bool = False

    @property
    def reached(self) -> list[CheckedPage]:
        """The pages that answered 200, as opposed to an error page (403, 404)."""
        return [page for page in self.pages if page.status == 200]

    @property
    def problems(self) -> list[str]:
        return [page.problem for page in self.pages if page.problem]

    def summary(self) -> str:
        errors = len(self.pages) - len(self.reached)
        capped = f" (stopped at the cap of {MAX_PAGES_PER_VISITOR})" if self.capped else ""
        return (
            f"{self.who}: {len(self.pages)} pages checked with axe-core "
            f"({len(self.reached)} answered 200; error pages: {errors}){capped}"
        )


def _match(adapter: MapAdapter, path: str) -> tuple[Rule, dict] | None:
    try:
        return adapter.match(path, method="GET", return_rule=True)
    except (HTTPException, RequestRedirect):
        return None


class PageWatcher:
    """Collects what goes wrong on a page besides accessibility rules, between two visits."""

    def __init__(self, page: Page):
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        # Only the browser's refusals: a 403 or 404 page also logs an error, for its own status.
        if message.type == "error" and (
            "Content Security Policy" in message.text or message.text.startswith("Refused to")
        ):
            self.problems.append(f"the browser refused something: {message.text}")

    def _response(self, response) -> None:
        if response.request.resource_type == "document" or response.status < 400:
            return
        if urlsplit(response.url).path in IGNORED_RESOURCES:
            return
        self.problems.append(f"{response.url} answered {response.status}")

    def _failed(self, request) -> None:
        # A stylesheet or script refused by the browser (the wrong type, say) fails as ERR_ABORTED,
        # so only the favicon, which the browser may still be fetching when the sweep moves on, is let off.
        if urlsplit(request.url).path in IGNORED_RESOURCES:
            return
        self.problems.append(f"could not load {request.url} ({request.failure})")

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def _derived_paths(app: Flask, adapter: MapAdapter, visited: set[str], seen: list[dict]) -> list[str]:
    """Addresses for pages with arguments that no link led to, built from argument values seen.

    Some pages are reached only by a redirect after a form (the end of a module, say). Their
    arguments are usually on other pages' addresses already (the module's id), so the address can
    be built without sending the form.
    """
    pooled: dict = {}
    for arguments in seen:
        for name, value in arguments.items():
            pooled.setdefault(name, value)
    paths = []
    for endpoint, address in page_endpoints(app, with_arguments=True).items():
        if endpoint in visited:
            continue
        rule = next(rule for rule in app.url_map.iter_rules(endpoint) if rule.rule == address)
        # Values that appeared together on one address belong together; otherwise take any.
        values = next((arguments for arguments in seen if rule.arguments <= arguments.keys()), pooled)
        if rule.arguments <= values.keys():
            paths.append(adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments}))
    return paths


def _page_key(page: Page, status: int, matched: tuple[Rule, dict] | None) -> tuple:
    """What makes a page the same page as one already checked.

    Several addresses end on one page: /home and / when signed in, or every protected page sending
    a signed-out visitor to /sign-in?next=... Error pages look alike whatever the address (one 403
    page is enough), but a different error page, such as an invitation link that no longer works,
    has its own title.
    """
    if status != 200:
        return ("error", status, page.title())
    if matched is None:
        return ("unknown", urlsplit(page.url).path)
    rule, arguments = matched
    return (rule.endpoint, tuple(sorted(arguments.items())))


def sweep(
    page: Page, app: Flask, base_url: str, who: str, extra_paths: list[str] = (), *, screenshots: bool = True
) -> VisitorSweep:
    """Visit every page `who` can reach from the app's routes and links, and check each one.

    A page with a problem is photographed under test-artifacts/ unless `screenshots` is false.
    """
    adapter = app.url_map.bind(urlsplit(base_url).netloc)
    result = VisitorSweep(who)
    watcher = PageWatcher(page)
    queue = deque([*page_endpoints(app, with_arguments=False).values(), *extra_paths])
    queued = set(queue)
    checked: set[tuple] = set()
    visited_endpoints: set[str] = set()
    per_endpoint: Counter[str] = Counter()
    seen_arguments: list[dict] = []
    while True:
        if not queue:
            derived = _derived_paths(app, adapter, visited_endpoints, seen_arguments)
            queue.extend(path for path in derived if path not in queued)
            queued.update(queue)
            if not queue:
                break
        if len(result.pages) >= MAX_PAGES_PER_VISITOR:
            result.capped = True
            break
        path = queue.popleft()
        watcher.take()  # anything left over belongs to the page before
        try:
            response = page.goto(base_url + path)
        except PlaywrightError as error:
            # A download, for instance: not a page, and the browser has nothing to check.
            result.pages.append(
                CheckedPage(
                    base_url + path,
                    0,
                    None,
                    f"{base_url + path} (as {who}) is not a page ({str(error).splitlines()[0]}): "
                    "name it in EXCLUDED_ENDPOINTS or EXCLUDED_RULES in tests/browser/sweep.py with the reason",
                )
            )
            continue
        final = urlsplit(page.url)
        matched = _match(adapter, final.path)
        endpoint = matched[0].endpoint if matched else None
        if endpoint:
            visited_endpoints.add(endpoint)
        key = _page_key(page, response.status, matched)
        if key in checked:
            continue
        checked.add(key)

        problems = watcher.take()
        content_type = response.headers.get("content-type", "")
        if response.status >= 500:
            problems.append(f"the server answered {response.status}")
        report = None
        if content_type.startswith("text/html"):
            report = axe_problem(page, who, f"{who}-{final.path}", take_screenshot=screenshots)
        else:
            problems.append(
                f"answered {content_type!r}, not a page: name {endpoint} in EXCLUDED_ENDPOINTS "
                "or EXCLUDED_RULES in tests/browser/sweep.py with the reason"
            )
        problems += watcher.take()
        if problems:
            problems = [f"{page.url} (as {who}): {problem}" for problem in problems]
            if screenshots:
                problems.append(f"  screenshot: {save_screenshot(page, f'page-{who}-{final.path}')}")
        problem = "\n".join(filter(None, [report, *problems])) or None
        result.pages.append(CheckedPage(page.url, response.status, endpoint, problem))

        for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)"):
            link = urlsplit(urljoin(page.url, href))
            if f"{link.scheme}://{link.netloc}" != base_url:
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            linked = _match(adapter, link.path)
            if target in queued or linked is None or exclusion(linked[0]) is not None:
                continue
            rule, arguments = linked
            if arguments:
                seen_arguments.append(arguments)
                if per_endpoint[rule.endpoint] >= MAX_URLS_PER_ENDPOINT_WITH_ARGUMENTS:
                    continue
                per_endpoint[rule.endpoint] += 1
            queued.add(target)
            queue.append(target)
    return result
