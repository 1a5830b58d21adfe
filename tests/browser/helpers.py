"""What the browser tests share: the demo accounts, axe-core, signing in, and watching keyboard focus."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ElementHandle, Page

from app.demo.seed import DEMO_INVITATION, DEMO_SCHOOLS, OFFICER, PEOPLE_PER_SCHOOL, SHARED_GOVERNOR
from app.models import Role

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "browser-tests-demo-password"
DESKTOP = {"width": 1280, "height": 800}

# The demo school every school-level role is checked in; the demo gives each role an account there.
DEMO_SCHOOL_NAME, DEMO_SCHOOL_SLUG = DEMO_SCHOOLS[0][1], DEMO_SCHOOLS[0][3]
OTHER_SCHOOL_NAME = DEMO_SCHOOLS[1][1]

# One demo account per role, named after the role (its first role, for people who hold two),
# plus the person who governs at both schools. Read from the demo data so the two cannot drift.
DEMO_ACCOUNTS: dict[str, str] = {
    roles[0].value: f"{local}@{DEMO_SCHOOL_SLUG}.example.org" for local, _title, roles in PEOPLE_PER_SCHOOL
}
DEMO_ACCOUNTS[Role.LA_OFFICER.value] = OFFICER[0]
DEMO_ACCOUNTS["two_school_governor"] = SHARED_GOVERNOR[0]
# The other school's teacher, invited to the demo school and not yet joined (the invitation pages).
DEMO_ACCOUNTS["invited_teacher"] = DEMO_INVITATION[0]
HEADTEACHER = DEMO_ACCOUNTS[Role.HEADTEACHER.value]
TWO_SCHOOL_GOVERNOR = DEMO_ACCOUNTS["two_school_governor"]

# axe-core runs every rule of these WCAG levels (2.0, 2.1 and 2.2, A and AA).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Rules switched off, each with the reason. None is: every rule for the tags above runs.
DISABLED_AXE_RULES: dict[str, str] = {}

# Lines for the end-of-run summary (such as the axe sweep's page counts), added to by the tests.
SUMMARY = pytest.StashKey[list]()

# GOV.UK Frontend's focus colour.
FOCUS_YELLOW = "rgb(255, 221, 0)"


def skip_without_chromium() -> None:
    """Called at the top of each browser test module: no Chromium, no browser tests (with the reason)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: apt-get install chromium", allow_module_level=True)


# ----------------------------------------------------------------------------------------------
# axe-core


def run_axe(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now and return its violations (an empty list is a pass).

    The script goes in through `page.evaluate`, not `page.add_script_tag`: the app's Content
    Security Policy (script-src 'self') rightly blocks the inline <script> that add_script_tag
    writes, and switching the policy off (bypass_csp) would check a page that no user ever sees.
    Code evaluated through the browser's devtools protocol is not subject to the page's policy.
    """
    # A page still loading (its stylesheet, say) would be checked as no one sees it.
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    if DISABLED_AXE_RULES:
        options["rules"] = {rule: {"enabled": False} for rule in DISABLED_AXE_RULES}
    results = page.evaluate(
        """options => axe.run(document, options).then(results => ({
            passes: results.passes.length,
            violations: results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary || ""})),
            })),
        }))""",
        options,
    )
    # A run that checked nothing would pass everything: make sure axe really looked at the page.
    assert results["passes"] > 0, f"axe-core checked nothing on {page.url}"
    return results["violations"]


def describe_violations(url: str, who: str, violations: list[dict]) -> str:
    """A readable report: the page, then each rule with its impact, the elements and the fix."""
    lines = [f"{url} (as {who}): {len(violations)} accessibility rule(s) broken"]
    for violation in violations:
        lines.append(f"  {violation['id']} [{violation['impact']}]: {violation['help']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    - {' '.join(node['target'])}")
            summary = " ".join(node["summary"].split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more elements")
        lines.append(f"    help: {violation['helpUrl']}")
    return "\n".join(lines)


def save_screenshot(page: Page, name: str) -> Path | None:
    """Keep a picture of a failing page under test-artifacts/ (git-ignored) for whoever debugs it."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')[:150]}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception:  # a closed or crashed page has nothing to show; the failure itself still reports
        return None
    return path


def axe_problem(page: Page, who: str, name: str, *, take_screenshot: bool = True) -> str | None:
    """Run axe; on a violation, save a screenshot and return the report, otherwise None."""
    violations = run_axe(page)
    if not violations:
        return None
    screenshot = save_screenshot(page, f"axe-{name}") if take_screenshot else None
    report = describe_violations(page.url, who, violations)
    return f"{report}\n  screenshot: {screenshot}" if screenshot else report


# ----------------------------------------------------------------------------------------------
# Signing in


def submit(page: Page, button: str = "button#submit") -> None:
    """Press a form's button and wait until the page it leads to has loaded, stylesheet and all."""
    with page.expect_navigation(wait_until="load"):
        page.click(button)


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form, as a person with a mouse would."""
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page)
    assert urlsplit(page.url).path == "/home", f"signing in as {email} ended on {page.url}"


# ----------------------------------------------------------------------------------------------
# Keyboard focus

# What the focused element looks like. Radios and checkboxes in GOV.UK Frontend hide the real
# input and draw it (and its focus ring) on the label's ::before, so that is read too.
_FOCUS_STYLE = """element => {
    const pick = style => ({
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        outlineStyle: style.outlineStyle,
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
        background: style.backgroundColor,
        color: style.color,
        textDecoration: `${style.textDecorationLine} ${style.textDecorationThickness}`,
        borderColor: style.borderColor,
    });
    const own = pick(getComputedStyle(element));
    const drawnOnLabel = ["radio", "checkbox"].includes(element.type) && element.labels && element.labels[0];
    return {own, label: drawnOnLabel ? pick(getComputedStyle(element.labels[0], "::before")) : null};
}"""

_DESCRIBE = """element => {
    if (!element || element === document.body || element === document.documentElement) return null;
    return {
        tag: element.tagName.toLowerCase(),
        id: element.id,
        name: element.getAttribute("name") || "",
        type: element.getAttribute("type") || "",
        value: element.value === undefined ? "" : String(element.value),
        text: (element.innerText || element.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60),
        inMain: !!element.closest("main"),
    };
}"""


def _shows_focus(style: dict) -> bool:
    """Whether a computed style draws something a sighted keyboard user can see."""
    outline = (
        style["outlineStyle"] not in ("none", "hidden")
        and style["outlineWidth"] > 0
        and "rgba(0, 0, 0, 0)" not in style["outlineColor"]
    )
    return outline or style["boxShadow"] != "none" or FOCUS_YELLOW in style["background"]


def describe(element: dict | None) -> str:
    if element is None:
        return "nothing (the page itself)"
    label = element["text"] or element["value"] or element["name"]
    ident = f"#{element['id']}" if element["id"] else ""
    kind = f"[type={element['type']}]" if element["type"] else ""
    return f"<{element['tag']}{ident}{kind}> {label!r}"


@dataclass
class KeyboardUser:
    """Moves through a page with the keyboard alone and checks that focus can always be seen.

    Every element that receives focus must draw a focus indicator (an outline, a box shadow or
    GOV.UK's yellow), and must look different once focus has moved on, or the "indicator" is just
    how the element always looks.
    """

    page: Page
    stops: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _last: tuple[ElementHandle, dict, str] | None = None

    def focused(self) -> dict | None:
        return self.page.evaluate(f"() => ({_DESCRIBE})(document.activeElement)")

    def press(self, key: str) -> dict | None:
        """Press a key that stays on the page, and check the focus indicator of what has focus then."""
        self.page.keyboard.press(key)
        return self._check_focus()

    def follow(self, key: str, url_pattern: str) -> None:
        """Press a key that follows a link or sends a form, and wait for the page it leads to."""
        # A new navigation is awaited, not just a matching address: switching school comes back to
        # the page it was sent from.
        with self.page.expect_navigation(url=url_pattern):
            self.page.keyboard.press(key)
        # The new page starts with nothing focused.
        self._last = None

    def type(self, text: str) -> None:
        """Replace the focused field's text with `text`, as a person selecting it all and typing."""
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def tab_to(self, wanted, what: str, *, limit: int = 40, backwards: bool = False) -> dict:
        """Press Tab until `wanted(element)` is true of the focused element; fail after `limit` presses."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            element = self.press(key)
            if element is not None and wanted(element):
                return element
        route = "\n  ".join(self.stops[-limit:])
        raise AssertionError(f"{limit} presses of {key} on {self.page.url} never reached {what}:\n  {route}")

    def _check_focus(self) -> dict | None:
        handle = self.page.evaluate_handle("() => document.activeElement")
        element = handle.evaluate(_DESCRIBE)
        self._compare_with_last(handle)
        if element is None:
            self.stops.append("(nothing focused)")
            self._last = None
            return None
        style = handle.evaluate(_FOCUS_STYLE)
        name = describe(element)
        self.stops.append(name)
        visible = _shows_focus(style["own"]) or (style["label"] is not None and _shows_focus(style["label"]))
        if not visible:
            self.problems.append(f"{self.page.url}: {name} shows no focus indicator: {style['own']}")
        self._last = (handle, style, name)
        return element

    def _compare_with_last(self, now_focused: ElementHandle) -> None:
        """The element that had focus, now that it has lost it, must look different from before."""
        if self._last is None:
            return
        handle, focused_style, name = self._last
        if handle.evaluate("(element, active) => element === active || !element.isConnected", now_focused):
            return
        unfocused_style = handle.evaluate(_FOCUS_STYLE)
        if unfocused_style == focused_style:
            self.problems.append(f"{self.page.url}: {name} looks the same with and without focus")

    def assert_focus_always_visible(self) -> None:
        assert not self.problems, "Focus was not visible:\n" + "\n".join(self.problems)
