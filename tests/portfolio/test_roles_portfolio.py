"""What each role can and cannot see of a talent portfolio, through the pages; every read audited."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.portfolio.models import GrantView
from leerloopbaan.portfolio.youth import services

pytestmark = pytest.mark.django_db


def _urls(portfolio, credential):
    entry = credential.entry
    return [reverse("portfolio:portfolio", args=[portfolio.pk]),
            reverse("portfolio:entry", args=[portfolio.pk, entry.pk]),
            reverse("portfolio:credential_json", args=[portfolio.pk, credential.pk]),
            reverse("portfolio:export", args=[portfolio.pk]),
            reverse("portfolio:settings", args=[portfolio.pk]),
            reverse("portfolio:grant_new", args=[portfolio.pk])]


def test_youth_reads_own_portfolio_audited(attested, login):
    client = login(attested["youth"])
    portfolio, credential = attested["portfolio"], attested["credential"]
    with assert_audited(count=1, subject_type="portfolio", subjects=[attested["pupil"].pupil_key]):
        response = client.get(reverse("portfolio:portfolio", args=[portfolio.pk]))
    assert response.status_code == 200 and b"Team player" in response.content
    with assert_audited(count=1, subject_type="portfolio", subjects=[attested["pupil"].pupil_key]):
        response = client.get(reverse("portfolio:entry", args=[portfolio.pk, credential.entry.pk]))
    assert b'data-verified="yes"' in response.content
    response = client.get(reverse("portfolio:credential_json", args=[portfolio.pk, credential.pk]))
    assert response.status_code == 200 and response.json()["id"] == credential.credential_id
    response = client.get(reverse("portfolio:export", args=[portfolio.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"


def test_export_zip_holds_credentials_and_a_pdf(attested, login):
    import io
    import json
    import zipfile

    response = login(attested["youth"]).get(reverse("portfolio:export", args=[attested["portfolio"].pk]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    credential_files = [n for n in names if n.startswith("credentials/")]
    assert len(credential_files) == 1 and "portfolio.pdf" in names and "portfolio.json" in names
    assert json.loads(archive.read(credential_files[0]))["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert archive.read("portfolio.pdf").startswith(b"%PDF")


@pytest.mark.parametrize("role", ["youth", "parent", "school_staff", "clb_worker", "tutor", "city_analyst",
                                  "care_coordinator", "organisation_contact", "programme_manager"])
def test_other_people_get_nothing(attested, make_user, login, role):
    """Another youth or parent, and every staff role: 403/404 on the portfolio's pages, no audit entry naming it."""
    stranger = make_user(role)
    client = login(stranger)
    for url in _urls(attested["portfolio"], attested["credential"]):
        with assert_audited(count=0, action="read", subject_type="portfolio"):
            response = client.get(url)
        assert response.status_code in (403, 404), (role, url, response.status_code)


def test_parent_of_a_14_year_old_sees_only_what_the_youth_allows(make_youth, make_issuer, skill, login):
    pupil, youth, parent = make_youth(14)
    portfolio = services.portfolio_open(user=youth, pupil=pupil)
    today = clock.today()
    services.entry_create(user=youth, portfolio=portfolio, kind="talent", title="Secret diary", started_on=today)
    shown = services.entry_create(user=youth, portfolio=portfolio, kind="talent", title="Football", started_on=today,
                                  parent_visible=True)
    hidden = portfolio.entries.get(title="Secret diary")
    client = login(parent)
    with assert_audited(count=1, subject_type="portfolio", subjects=[pupil.pupil_key]):
        page = client.get(reverse("portfolio:portfolio", args=[portfolio.pk])).content.decode()
    assert "Football" in page and "Secret diary" not in page
    assert client.get(reverse("portfolio:entry", args=[portfolio.pk, hidden.pk])).status_code == 404
    assert client.get(reverse("portfolio:entry", args=[portfolio.pk, shown.pk])).status_code == 200
    export = client.get(reverse("portfolio:export", args=[portfolio.pk]))
    assert b"Secret diary" not in export.content
    # the parent cannot change anything any more
    response = client.post(reverse("portfolio:entry_new", args=[portfolio.pk]),
                           {"kind": "talent", "title": "x", "started_on": today.isoformat()})
    assert response.status_code == 404
    assert portfolio.entries.count() == 2
    # once the youth allows everything, the parent sees it
    services.portfolio_settings(user=youth, portfolio=portfolio, display_name="Lina", parent_sees_all=True)
    assert "Secret diary" in client.get(reverse("portfolio:portfolio", args=[portfolio.pk])).content.decode()


def test_parent_of_a_10_year_old_manages_the_portfolio(make_youth, login):
    pupil, _youth, parent = make_youth(10)
    portfolio = services.portfolio_open(user=parent, pupil=pupil)
    response = login(parent).post(reverse("portfolio:entry_new", args=[portfolio.pk]), {
        "kind": "talent", "title": "Swimming", "started_on": clock.today().isoformat()})
    assert response.status_code == 302 and portfolio.entries.filter(title="Swimming").exists()


def test_organisation_downloads_only_what_it_issued(attested, make_issuer, login):
    other, other_contact = make_issuer("Other club")
    portfolio, credential = attested["portfolio"], attested["credential"]
    url = reverse("portfolio:credential_json", args=[portfolio.pk, credential.pk])
    assert login(attested["contact"]).get(url).status_code == 200
    assert login(other_contact).get(url).status_code == 404
    assert login(other_contact).get(reverse("portfolio:portfolio", args=[portfolio.pk])).status_code in (403, 404)


def test_bad_entry_input_is_named_and_nothing_is_written(make_youth, login):
    pupil, youth, _parent = make_youth(15)
    portfolio = services.portfolio_open(user=youth, pupil=pupil)
    tomorrow = clock.today() + datetime.timedelta(days=1)
    response = login(youth).post(reverse("portfolio:entry_new", args=[portfolio.pk]), {
        "kind": "talent", "title": "", "started_on": tomorrow.isoformat(), "evidence_url": "ftp://x"})
    page = response.content.decode()
    assert response.status_code == 200 and "Traceback" not in page
    assert "This field is required" in page or "Give it a title" in page
    assert portfolio.entries.count() == 0


def test_share_link_shows_verified_then_revoked_then_nothing(attested, login):
    youth, portfolio, credential = attested["youth"], attested["portfolio"], attested["credential"]
    grant = services.grant_create(user=youth, portfolio=portfolio, entries=[credential.entry], audience="employer",
                                  audience_name="Bakery", expires_on=clock.today() + datetime.timedelta(days=5))
    url = reverse("portfolio:share", args=[grant.token])
    from django.test import Client

    viewer = Client()
    with assert_audited(count=1, subject_type="portfolio", subjects=[attested["pupil"].pupil_key]):
        page = viewer.get(url).content.decode()
    assert "Team player" in page and 'data-verified="yes"' in page
    assert "Achternaam" not in page and attested["pupil"].pupil_key not in page
    assert GrantView.objects.filter(grant=grant).count() == 1
    services.credential_set_status(user=attested["contact"], credential=credential, status="revoked", reason="mistake")
    page = viewer.get(url).content.decode()
    assert 'data-verified="no"' in page and 'data-check="status" data-ok="no"' in page
    services.grant_revoke(user=youth, grant=grant)
    response = viewer.get(url)
    assert response.status_code == 404 and "Team player" not in response.content.decode()


def test_verify_page_and_api(attested, client):
    import json

    document = attested["credential"].document
    response = client.post(reverse("portfolio:verify"), {"text": json.dumps(document)})
    assert b'data-verified="yes"' in response.content
    response = client.post(reverse("portfolio:verify"), {"text": "{not json"})
    assert response.status_code == 200 and b"This is not JSON" in response.content
    api = client.post("/api/v1/credentials/verify", data=json.dumps(document), content_type="application/json")
    assert api.status_code == 200 and api.json()["ok"] is True
    tampered = dict(document, validFrom="2001-01-01T00:00:00Z")
    api = client.post("/api/v1/credentials/verify", data=json.dumps(tampered), content_type="application/json")
    body = api.json()
    assert body["ok"] is False and [c for c in body["checks"] if c["name"] == "proof"][0]["ok"] is False


def test_published_documents(attested, client):
    issuer = attested["issuer"]
    did = client.get(reverse("portfolio:issuer_did", args=[issuer.slug])).json()
    assert did["id"] == services.issuer_did(issuer)
    assert did["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    status_url = attested["credential"].document["credentialStatus"]["statusListCredential"]
    path = status_url.split("localhost:8000", 1)[1]
    assert client.get(path).json()["type"][1] == "BitstringStatusListCredential"


def test_parent_of_a_teen_cannot_open_the_youths_management_pages(attested, login):
    youth, parent, portfolio = attested["youth"], attested["parent"], attested["portfolio"]
    services.entry_create(user=youth, portfolio=portfolio, kind="talent", title="Hidden hobby",
                          started_on=clock.today())
    grant = services.grant_create(user=youth, portfolio=portfolio, entries=portfolio.entries.all(), audience="other",
                                  audience_name="Club", expires_on=clock.today() + datetime.timedelta(days=2))
    client = login(parent)
    for name in ("request_new", "settings", "grant_new", "entry_new", "code"):
        assert client.get(reverse(f"portfolio:{name}", args=[portfolio.pk])).status_code == 404, name
    response = client.get(reverse("portfolio:grant", args=[portfolio.pk, grant.pk]))
    assert response.status_code == 404 and grant.token not in response.content.decode()


def test_organisation_loses_sight_when_the_youth_stops_sharing(attested, login):
    youth, contact, portfolio = attested["youth"], attested["contact"], attested["portfolio"]
    services.portfolio_settings(user=youth, portfolio=portfolio, display_name="Lina K", parent_sees_all=False)
    request = services.request_create(user=youth, portfolio=portfolio, issuer=attested["issuer"], message="Please attest")
    client = login(contact)
    assert client.get(reverse("portfolio:org_request", args=[request.pk])).status_code == 200
    services.link_end(user=youth, portfolio=portfolio, issuer=attested["issuer"])
    assert client.get(reverse("portfolio:org_request", args=[request.pk])).status_code == 404
    assert "Lina K" not in client.get(reverse("portfolio:org_requests")).content.decode()
    page = client.get(reverse("portfolio:org_credential", args=[attested["credential"].pk])).content.decode()
    assert "Lina K" not in page  # it still manages what it issued, without the name
    with pytest.raises(services.PortfolioError, match="no longer shares"):
        services.credential_issue(user=contact, portfolio=portfolio, achievement=attested["achievement"])


def test_stopping_to_share_with_an_organisation_never_linked_is_a_404_and_writes_nothing(attested, login):
    from leerloopbaan.kernel.audit.models import AuditEntry
    from tests.factories import IssuerFactory

    youth, portfolio = attested["youth"], attested["portfolio"]
    stranger = IssuerFactory(name="Nooit Gedeeld")
    before = AuditEntry.objects.filter(purpose="stop sharing with organisation").count()
    client = login(youth)
    response = client.post(reverse("portfolio:link_end", args=[portfolio.pk, stranger.pk]))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(purpose="stop sharing with organisation").count() == before


def test_default_name_is_not_the_real_name(make_youth):
    pupil, youth, _parent = make_youth(15, first_name="Zoubida")
    assert services.portfolio_open(user=youth, pupil=pupil).display_name != "Zoubida"


def test_verify_refuses_deeply_nested_json_cleanly(client):
    deep = "[" * 100000 + "]" * 100000
    api = client.post("/api/v1/credentials/verify", data=deep, content_type="application/json")
    assert api.status_code == 400
    page = client.post(reverse("portfolio:verify"), {"text": "[" * 5000})
    assert page.status_code == 200 and b"Traceback" not in page.content


def test_city_total_is_hidden_when_a_cell_is(attested, make_user, login):
    from leerloopbaan.portfolio.youth import selectors as sel
    figures = sel.city_figures(user=make_user("city_analyst"))
    assert any(not row["portfolios"].shown for row in figures["table"])
    assert not figures["total_portfolios"].shown and not figures["total_credentials"].shown


def test_the_pdf_dates_a_credential_by_the_brussels_calendar(attested, login, monkeypatch):
    """Issued at 00:30 in Brussels (23:30 UTC the day before): the PDF gives the Brussels date."""
    from leerloopbaan.portfolio.youth import pdf

    credential = attested["credential"]
    type(credential).objects.filter(pk=credential.pk).update(issued_at=datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC))
    written, para = [], pdf._Doc.para
    monkeypatch.setattr(pdf._Doc, "para", lambda doc, text, size=9: (written.append(text), para(doc, text, size))[1])
    response = login(attested["youth"]).get(reverse("portfolio:export", args=[attested["portfolio"].pk]))
    assert response.status_code == 200
    assert any("Attested by Sportclub Test on 2026-12-07" in text for text in written), written
