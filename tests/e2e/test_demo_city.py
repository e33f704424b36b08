"""The demo's home pages are populated once the synthetic city is imported: a school leader sees
their school with its pupils, a city analyst sees the city."""

import re

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email
from leerloopbaan.demo.generator import generate_city
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import School

from .conftest import screenshot
from .test_shell import current_code, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(tmp_path):
    generate_city(tmp_path / "city", pupils=800, seed=4)
    result = import_paths([tmp_path / "city" / "import"], source="test")
    assert result.ok, result.report_text()[:2000]
    return {a.role: a for a in create_demo_accounts()}


def test_school_leader_sees_their_school(page, city, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    email = demo_email(Role.SCHOOL_STAFF)
    log_in(page, email)
    page.get_by_label("Zescijferige code uit je authenticator-app").fill(current_code(email))
    page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url("**/home/")
    school = School.objects.get(name=city[Role.SCHOOL_STAFF].attached_to)
    mine = page.locator("#my-schools").inner_text()
    assert school.name in mine
    enrolled = int(re.search(r"(\d+) leerlingen ingeschreven", mine).group(1))
    assert enrolled > 20
    screenshot(page, "home-school-staff-populated")
    # and the pupil list shows names of the school's own pupils
    page.locator("main a[href='/registry/pupils/']").first.click()  # the home page's link to the school's pupils
    assert page.locator("#pupil-table tbody tr").count() > 10


def test_city_analyst_sees_the_city(page, city):
    log_in(page, demo_email(Role.CITY_ANALYST))
    page.wait_for_url("**/home/")
    text = page.locator("#city-summary").inner_text()
    figures = [int(x.replace(".", "").replace("\u202f", "").replace(",", "")) for x in re.findall(r"\d[\d.,\u202f]*", text)]
    assert figures[0] == School.objects.count()
    assert figures[1] >= 700  # pupils enrolled now: about 800 in primary and secondary
    screenshot(page, "home-city-analyst-populated")
