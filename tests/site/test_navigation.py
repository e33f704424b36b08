"""Every role's menu fits the laptop line in both languages: at most seven entries within the width
budget, every item still reachable (as a link or inside a dropdown)."""

import pytest
from django.utils import translation

from leerloopbaan.accounts.roles import Role
from leerloopbaan.site.navigation import MAX_TOP_LEVEL, fits, items_for, menu_for


@pytest.mark.parametrize("language", ["nl-be", "en"])
@pytest.mark.parametrize("role", Role.values)
def test_menu_fits_and_keeps_every_item(role, language):
    with translation.override(language):
        menu = menu_for(role, url_for=lambda name: f"/{name}/")
        assert 1 <= len(menu) <= MAX_TOP_LEVEL and fits(menu)
        urls = [child.url for entry in menu for child in (entry.children or [entry])]
        assert sorted(urls) == sorted(f"/{item.url_name}/" for item in items_for(role))


def test_the_active_page_marks_its_group():
    menu = menu_for(Role.SCHOOL_STAFF, "/ews:risk_list/", url_for=lambda name: f"/{name}/")
    group = next(entry for entry in menu if any(child.url == "/ews:risk_list/" for child in entry.children))
    assert group.active and [c.active for c in group.children].count(True) == 1
