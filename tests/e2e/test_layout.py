"""The layout holds on a laptop (1366x900) and a phone (390x844) for the school care coordinator
(school staff), the CLB worker, the city analyst and the parent: every page their menu reaches
scrolls only vertically and has no serious or critical accessibility violation (axe-core); on the
laptop the menu fits one line with at most seven entries and the account controls in view; on the
phone the menu is collapsed behind a button that opens it."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email
from leerloopbaan.site.navigation import MAX_TOP_LEVEL

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLES = [Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CITY_ANALYST, Role.PARENT]
VIEWPORTS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}

_axe = Axe()


def sign_in(page, role: str) -> None:
    email = demo_email(role)
    log_in(page, email)
    page.wait_for_load_state()
    if "/account/2fa/" in page.url:
        page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
        page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


WIDEST = """() => {
  const width = window.innerWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 0.5)) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined
        ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " (" + Math.round(box.right) + "px)");
    }
  }
  return out.slice(0, 5);
}"""


def too_wide(page) -> list[str]:
    """The outermost elements that stick out on the right: what to fix when the page scrolls sideways."""
    return page.evaluate(WIDEST)


def blocking_violations(page) -> list[str]:
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def within_window(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def check_menu(page, viewport: str) -> None:
    menu, toggle = page.locator("#main-menu"), page.locator("#menu-toggle")
    logout = page.locator("#logout-form button")
    if viewport == "phone":
        assert toggle.is_visible() and not menu.is_visible()  # collapsed: the menu takes no screen
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        menu.wait_for(state="visible")
        assert toggle.get_attribute("aria-expanded") == "true"
        groups = page.locator("#main-nav .dropdown-toggle")
        if groups.count():  # a group opens inside the collapsed menu
            groups.first.click()
            page.locator("#main-nav .dropdown-menu.show").wait_for(state="visible")
            groups.first.click()
    else:
        assert not toggle.is_visible() and menu.is_visible()
        top = page.locator("#main-nav > li")
        assert 1 <= top.count() <= MAX_TOP_LEVEL
        tops = [box["y"] for box in (top.nth(i).bounding_box() for i in range(top.count()))]
        assert max(tops) - min(tops) < 5, "the menu wraps onto a second line"
    for control in (logout, page.locator("#account-link"), page.locator("#language-select")):
        assert control.is_visible() and within_window(page, control)


def menu_links(page) -> list[str]:
    hrefs = page.locator("#main-menu a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if h.startswith("/")))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_fits_and_passes_axe(page, role, viewport, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    build_city()
    create_demo_accounts()
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, role)
    check_menu(page, viewport)
    screenshot(page, f"layout-{viewport}-{role}-menu")
    links = menu_links(page)
    assert len(links) >= 3, links
    problems = []
    for href in links:
        response = page.goto(href)
        if response is None or not response.ok:
            problems.append(f"{href}: status {response and response.status}")
            continue
        overflow = horizontal_overflow(page)
        if overflow > 0:
            problems.append(f"{href}: scrolls sideways by {overflow}px: {too_wide(page)}")
        problems += [f"{href}: {violation}" for violation in blocking_violations(page)]
        screenshot(page, f"layout-{viewport}-{role}{href.rstrip('/').replace('/', '-')}")
    assert not problems, "\n".join(problems)
