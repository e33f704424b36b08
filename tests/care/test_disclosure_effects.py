"""Effect reports through kernel.disclosure: the list page, the report page, its PDF and the yearly
command publish one release each, no suppressed count can be worked out from what they show, a small
outcome count (pupils with a C-attest) is suppressed with the share it gives, and the PDF and the
command show the figures of the page."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.effects import pdf as effects_pdf
from leerloopbaan.care.effects import selectors as effects
from leerloopbaan.care.models import SupportOffer
from leerloopbaan.ews.models import ModelRun
from leerloopbaan.registry.models import School
from tests.kernel.attacker import assert_safe, releases

from .test_effects_pages import YEAR, _pupil, _received

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def world(db, make_user):
    """Two offers. "Spijbelcoaching": 6 pupils received it, all matched, and 1 of them (a small
    numerator) has a C-attest in June: 1 of 6 pairs is 17 %. "Huiswerkklas": 3 pupils (a small count)."""
    school = School.objects.create(
        school_number="310", name="School D", network="GO", level="secondary", district="Deurne"
    )
    run = ModelRun.objects.create(
        version="d1", model_name="lightgbm", path="x", approved=True
    )  # only a run that may score is used
    provider = Organisation.objects.create(name="Buurtwerk", kind=Organisation.Kind.YOUTH_WORK)
    big = SupportOffer.objects.create(
        provider=provider, title="Spijbelcoaching", description="x", levels=["pupil"], predictors=["absence"]
    )
    small = SupportOffer.objects.create(
        provider=provider, title="Huiswerkklas", description="x", levels=["pupil"], predictors=["results"]
    )
    for i in range(6):
        p = _pupil(
            f"t{i}", school, run, 0.50 + i / 100, pre_b=6 + i % 2, post_b=1 + i % 2, post_risk=0.40, c=i == 0
        )
        _received(big, p, school)
    for i in range(8):
        _pupil(
            f"c{i}",
            school,
            run,
            0.50 + i / 100 + 0.003,
            pre_b=6 + i % 2,
            post_b=5 + (i + 1) % 3,
            post_risk=0.5,
            c=i < 6,
        )
    for i in range(3):
        _received(small, _pupil(f"s{i}", school, run, 0.3, pre_b=2, post_b=2, post_risk=0.3), school)
    return {
        "big": big,
        "small": small,
        "analyst": make_user(Role.CITY_ANALYST),
        "manager": make_user(Role.PROGRAMME_MANAGER),
    }


def _get(client, url):
    cache.clear()
    with releases() as got:
        response = client.get(url)
    assert response.status_code == 200
    return response, got


def _pdf_text(monkeypatch) -> list:
    """Every text the effect PDF writes (fpdf2 compresses its pages: read the text on its way in)."""
    texts: list = []
    original = effects_pdf._Doc.t

    def t(self, text):
        texts.append(str(text))
        return original(self, text)

    monkeypatch.setattr(effects_pdf._Doc, "t", t)
    return texts


def test_report_page_is_safe_and_hides_the_small_numerator_and_its_complements(world, login, client):
    # the world is what it says: 6 pairs, 1 treated pupil with a C-attest
    e = effects.offer_effect(world["big"], YEAR)
    assert (e.treated, e.matched, e.unmatched) == (6, 6, 0) and e.estimates["c_attest"].n == 6
    assert round(e.estimates["c_attest"].treated_post * 6) == 1
    login(world["analyst"])
    response, got = _get(client, f"/care/effects/{world['big'].pk}/{YEAR}/")
    assert_safe(got)
    assert len(got) == 1  # one release for the page
    html = response.content.decode()
    # 1 of 6 with a C-attest: neither the share (17 %) nor the difference it gives is shown
    assert "17%" not in html and "17 %" not in html and "-50 pp" not in html
    # a naive page hiding only the share would still show 6 pairs, and 6 - (5 or more) pins the 1:
    # the pairs, the matched and the treated are hidden as complements (×)
    counts = re.search(r'id="effect-counts">(.*?)</dl>', html, re.S).group(1)
    assert re.findall(r"<dd[^>]*>(.*?)</dd>", counts) == ["×", "×", "0"]
    assert ">6<" not in html
    assert 'id="effect-hidden"' in html


def test_small_offer_on_the_report_page(world, login, client):
    login(world["manager"])
    response, got = _get(client, f"/care/effects/{world['small'].pk}/{YEAR}/")
    assert_safe(got)
    html = response.content.decode()
    counts = re.search(r'id="effect-counts">(.*?)</dl>', html, re.S).group(1)
    dd = re.findall(r"<dd[^>]*>(.*?)</dd>", counts)
    assert dd[0] == "&lt;5" and ">3<" not in counts and 'id="effect-estimates"' not in html


def test_list_page_is_safe(world, login, client):
    login(world["analyst"])
    response, got = _get(client, f"/care/effects/?school_year={YEAR}")
    assert_safe(got)
    assert len(got) == 1
    html = response.content.decode()
    rows = {
        title: row
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        for title in ("Spijbelcoaching", "Huiswerkklas")
        if title in row
    }
    assert "&lt;5" in rows["Huiswerkklas"] and ">3<" not in rows["Huiswerkklas"]
    assert ">6<" not in rows["Spijbelcoaching"] and "×" in rows["Spijbelcoaching"]


def test_pdf_shows_the_figures_of_the_page(world, login, client, monkeypatch):
    login(world["analyst"])
    page, _got = _get(client, f"/care/effects/{world['big'].pk}/{YEAR}/")
    texts = _pdf_text(monkeypatch)
    response, got = _get(client, f"/care/effects/{world['big'].pk}/{YEAR}/pdf/")
    assert response.content.startswith(b"%PDF-")
    assert_safe(got)
    counts = re.findall(
        r"<dd[^>]*>(.*?)</dd>",
        re.search(r'id="effect-counts">(.*?)</dl>', page.content.decode(), re.S).group(1),
    )
    i = texts.index(str(_pdf_headers()[0]))
    assert texts[i + 3 : i + 6] == counts == ["×", "×", "0"]
    assert not any("17" in t or "6" == t for t in texts)


def _pdf_headers():
    from django.utils.translation import gettext as _

    return [_("Received the offer"), _("Matched"), _("Not matched")]


def test_pdf_of_a_small_offer(world, login, client, monkeypatch):
    login(world["analyst"])
    texts = _pdf_text(monkeypatch)
    _response, got = _get(client, f"/care/effects/{world['small'].pk}/{YEAR}/pdf/")
    assert_safe(got)
    i = texts.index(str(_pdf_headers()[0]))
    assert texts[i + 3] == "<5" and "3" not in texts


def test_command_prints_and_writes_the_figures_of_the_pages(
    world, login, client, tmp_path, capsys, monkeypatch
):
    login(world["analyst"])
    listing, _got = _get(client, f"/care/effects/?school_year={YEAR}")
    html = listing.content.decode()
    texts = _pdf_text(monkeypatch)
    with releases() as got:
        call_command("care_effects", "--school-year", YEAR, "--out", str(tmp_path))
    assert_safe(got)
    assert len(got) == 1  # one release for the whole run
    lines = {line.split("\t")[1]: line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["Huiswerkklas"][2:5] == ["<5", "0", "<5"]
    assert lines["Spijbelcoaching"][2:5] == ["×", "×", "0"]
    for title, line in lines.items():
        row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if title in r)
        cells = [c.replace("&lt;", "<") for c in re.findall(r"<td>(.*?)</td>", row)]
        assert cells[2:4] == line[2:4]  # treated and matched as on the list page
    # the PDF the command writes for an offer is the PDF of its report page
    written = list(texts)
    texts.clear()
    client.get(f"/care/effects/{world['big'].pk}/{YEAR}/pdf/")
    from_page = list(texts)
    texts.clear()
    client.get(f"/care/effects/{world['small'].pk}/{YEAR}/pdf/")
    assert written == from_page + texts or written == texts + from_page


def test_flagged_schools_page_is_safe(db, make_user, login, client):
    """The flagged schools show the outflow's published figures; a school whose figures the outflow
    suppresses (here: 6 leavers of whom 5 without a qualification, so 1 with one) is not flagged,
    although its raw rate (83 %) is the highest."""
    from tests.factories import SchoolFactory

    from .test_effects_pages import _leavers, next_year_present

    schools = {
        n: SchoolFactory(school_number=n, name=f"School {n}", district=d)
        for n, d in (
            ("401", "Hoboken"),
            ("402", "Deurne"),
            ("403", "Merksem"),
            ("404", "Ekeren"),
            ("405", "Berchem"),
        )
    }
    _leavers(schools["401"], 12, 7, "p")  # 58 %: flagged
    _leavers(schools["402"], 6, 5, "q")  # 83 %, but 1 qualified leaver: suppressed, not judged
    _leavers(schools["403"], 20, 2, "r")
    _leavers(schools["404"], 9, 0, "s")
    _leavers(schools["405"], 10, 5, "t")
    next_year_present(schools["403"])
    login(make_user(Role.CITY_ANALYST))
    cache.clear()
    with releases() as got:
        html = client.get("/care/effects/flagged-schools/?school_year=2023-2024").content.decode()
    assert_safe(got)
    flagged = [f.school_number for f in effects.flag_schools_without_support("2023-2024").schools]
    assert "402" not in flagged and "School 402" not in html and "83%" not in html
    assert "401" in flagged and "School 401" in html
