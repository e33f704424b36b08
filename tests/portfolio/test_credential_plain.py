"""The public credential page in plain words: issuer, what, when, valid or not; technical details folded
away; sharing warns about suspended or revoked items (issue 16, item 9)."""

from __future__ import annotations

import datetime
import json
import re

from django.test import Client
from django.urls import reverse

from leerloopbaan.kernel import clock
from leerloopbaan.portfolio.models import ShareGrant
from leerloopbaan.portfolio.youth import services


def _share(attested):
    grant = services.grant_create(user=attested["youth"], portfolio=attested["portfolio"],
                                  entries=[attested["credential"].entry], audience="employer", audience_name="Bakery",
                                  expires_on=clock.today() + datetime.timedelta(days=5))
    return reverse("portfolio:share", args=[grant.token])


def _viewer(language: str = "en") -> Client:
    """An anonymous visitor of a share link (an employer), reading in ``language``."""
    from django.conf import settings

    viewer = Client()
    viewer.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return viewer


def _outside_details(page: str) -> str:
    return re.sub(r"<details.*?</details>", "", page, flags=re.S)


def test_share_page_says_issuer_what_when_and_valid_in_plain_words(attested):
    page = _viewer().get(_share(attested)).content.decode()
    plain = _outside_details(page)
    issued = clock.date_of(attested["credential"].issued_at)
    assert 'data-valid="yes"' in plain and "Valid credential" in plain
    assert "Sportclub Test" in plain and "Team player" in plain and "Plays in a team." in plain
    assert f"{issued.day} {issued.strftime('%B')} {issued.year}" in plain
    # the technical report (keys, DIDs, status lists) is there, folded away
    assert "did:" not in plain and "did:" in page and "<summary>Technical details</summary>" in page
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", page), "no microsecond time stamps"


def test_share_page_says_why_a_suspended_or_revoked_credential_is_not_valid(attested):
    url = _share(attested)
    services.credential_set_status(user=attested["contact"], credential=attested["credential"], status="suspended",
                                   reason="checking")
    plain = _outside_details(_viewer().get(url).content.decode())
    assert 'data-valid="no"' in plain and "suspended this credential" in plain
    services.credential_set_status(user=attested["contact"], credential=attested["credential"], status="revoked",
                                   reason="mistake")
    plain = _outside_details(_viewer().get(url).content.decode())
    assert 'data-valid="no"' in plain and "withdrawn this credential" in plain


def test_verify_page_gives_the_plain_verdict_of_a_tampered_file(attested, client):
    document = dict(attested["credential"].document, validFrom="2001-01-01T00:00:00Z")
    page = client.post(reverse("portfolio:verify"), {"text": json.dumps(document)}).content.decode()
    plain = _outside_details(page)
    assert 'data-valid="no"' in plain and "changed after it was signed" in plain
    assert "Sportclub Test" in plain and "1 January 2001" in plain


def test_the_plain_page_is_dutch_in_the_dutch_interface(attested):
    from django.utils import translation

    with translation.override("nl"):
        page = _viewer("nl").get(_share(attested)).content.decode()
    assert "Geldig attest" in page and "Uitgereikt door" in page and "Technische details" in page


def test_sharing_a_suspended_item_warns_and_needs_a_tick(attested, login):
    youth, portfolio, credential = attested["youth"], attested["portfolio"], attested["credential"]
    services.credential_set_status(user=attested["contact"], credential=credential, status="suspended",
                                   reason="checking")
    url = reverse("portfolio:grant_new", args=[portfolio.pk])
    client = login(youth)
    form_page = client.get(url).content.decode()
    assert 'data-not-valid="1"' in form_page and "Team player: suspended" in form_page
    data = {"audience": "employer", "audience_name": "Bakery",
            "expires_on": (clock.today() + datetime.timedelta(days=5)).isoformat(), "entries": [credential.entry.pk]}
    response = client.post(url, data)
    assert response.status_code == 200 and "Not valid now: Team player (suspended)" in response.content.decode()
    assert not ShareGrant.objects.filter(portfolio=portfolio).exists()
    response = client.post(url, {**data, "share_not_valid": "on"})
    assert response.status_code == 302 and ShareGrant.objects.filter(portfolio=portfolio).count() == 1


def test_a_valid_item_is_shared_without_a_warning(attested, login):
    client = login(attested["youth"])
    url = reverse("portfolio:grant_new", args=[attested["portfolio"].pk])
    assert "data-not-valid" not in client.get(url).content.decode()
    response = client.post(url, {"audience": "employer", "audience_name": "Bakery",
                                 "expires_on": (clock.today() + datetime.timedelta(days=5)).isoformat(),
                                 "entries": [attested["credential"].entry.pk]})
    assert response.status_code == 302
