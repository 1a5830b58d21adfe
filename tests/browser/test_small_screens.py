"""Reflow (WCAG 1.4.10): at 320 CSS pixels wide, pages scroll only up and down, never sideways."""

from __future__ import annotations

import pytest

from tests.browser.helpers import HEADTEACHER, TWO_SCHOOL_GOVERNOR, sign_in, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# The elements that stick out past the right-hand edge, to say what to fix.
_TOO_WIDE = """width => [...document.querySelectorAll("body *")]
    .filter(element => element.getBoundingClientRect().right > width + 0.5)
    .slice(0, 8)
    .map(element => `<${element.tagName.toLowerCase()} class="${element.className}"> ` +
        `reaches ${Math.round(element.getBoundingClientRect().right)}px`)"""


@pytest.mark.parametrize(
    ("who", "path"),
    [
        pytest.param(HEADTEACHER, "/home", id="home"),
        # A wide table scrolls inside its own region, which WCAG allows for data tables.
        pytest.param(HEADTEACHER, "/school/people/", id="people"),
        pytest.param(HEADTEACHER, "/leaders/staff-training", id="staff-training"),
        # The header's "Working in" list and Switch button must fit too.
        pytest.param(TWO_SCHOOL_GOVERNOR, "/home", id="home-with-school-switcher"),
    ],
)
def test_no_sideways_scrolling_at_320_pixels(new_page, who, path):
    page = new_page(viewport=NARROW)
    sign_in(page, who)
    page.goto(path)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= NARROW["width"], (
        f"{page.url} is {scroll_width}px wide at {NARROW['width']}px: {page.evaluate(_TOO_WIDE, NARROW['width'])}"
    )
