"""The risk list as the care coordinator's spreadsheet: sort, search, filters (class, grade, track, band,
what is under way), pages, the XLSX/CSV export (audited as an export naming every pupil in it), what is
already under way per pupil (``kernel.pupil_status``), scope, and a number of queries that does not grow
with the number of pupils."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import Case, CaseParticipant
from leerloopbaan.ews.models import FollowUp
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.kernel.pupil_status import pupil_statuses, status_kinds
from tests.factories import (
    ClbFactory,
    EnrolmentFactory,
    InitiativeFactory,
    MatchFactory,
    ModelRunFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
    SupportRequestFactory,
    TutoringNeedFactory,
    school_year_start,
)

CLASSES = ("3A", "3B", "4A")


def add_pupils(world: dict, n: int, *, school_key: str = "A", prefix: str = "Anna", start: int = 0) -> list:
    """``n`` pupils of the school with a class, a score of the run and, for every fourth, something under way."""
    school, run = world[school_key], world["run"]
    latest = school_year_start() + datetime.timedelta(days=60)
    out = []
    for i in range(start, start + n):
        p = PupilFactory(first_name=f"{prefix}{i:02d}", last_name=f"Last{(97 - i) % 50:02d}")
        EnrolmentFactory(
            pupil=p,
            school=school,
            grade="S3" if i % 2 else "S4",
            track="BSO" if i % 3 else "ASO",
            class_group=CLASSES[i % 3],
        )
        RiskScoreFactory(
            pupil=p,
            school=school,
            model_run=run,
            reference_date=latest,
            risk=round(0.05 + (i % 90) / 100, 2),
            band="high" if i % 90 >= 60 else "medium" if i % 90 >= 30 else "low",
            grade="S3" if i % 2 else "S4",
            track="BSO" if i % 3 else "ASO",
        )
        if i % 4 == 1:
            SupportRequestFactory(school=school, pupil=p, status="in_progress")
        if i % 4 == 2:
            FollowUp.objects.create(pupil=p, school=school, kind="conversation", at=clock.now())
        if i % 4 == 3:
            MatchFactory(
                need=TutoringNeedFactory(
                    pupil=p, school=school, status="matched", initiatives=[world["initiative"]]
                )
            )
        out.append(p)
    return out


@pytest.fixture
def world(db, make_user):
    clb = ClbFactory(name="CLB Z")
    a = SchoolFactory(school_number="310", name="School A", clb=clb)
    b = SchoolFactory(school_number="320", name="School B")
    w = {
        "A": a,
        "B": b,
        "run": ModelRunFactory(version="v9"),
        "initiative": InitiativeFactory(name="Huiswerkhulp"),
    }
    w["staff"] = make_user(Role.SCHOOL_STAFF, school=a)
    w["staff_b"] = make_user(Role.SCHOOL_STAFF, school=b)
    w["clb"] = make_user(Role.CLB_WORKER, clb=clb)
    return w


def rows_of(html: str) -> list[str]:
    body = html.split('id="risk-table">', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def names_in(html: str) -> list[str]:
    return [
        re.search(r'<a href="/registry/pupils/[0-9a-f]+/">([^<]+)</a>', r).group(1) for r in rows_of(html)
    ]


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


# --- queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ews/risk/",
        "/ews/risk/?sort=status",
        "/ews/risk/?status=none&sort=name",
        "/ews/risk/export/?format=xlsx",
        "/ews/risk/export/?format=csv&status=support_request",
    ],
)
def test_the_same_number_of_queries_for_5_and_for_40_pupils(world, login, client, url):
    login(world["staff"])
    add_pupils(world, 5)
    few, _ = count_queries(client, url)
    add_pupils(world, 35, start=5)
    many, response = count_queries(client, url)
    assert few == many, f"{url}: {few} queries for 5 pupils, {many} for 40"
    if url == "/ews/risk/":
        assert len(rows_of(response.content.decode())) == 40  # every row rendered: no query per row


# --- sort, search, filters, pages -----------------------------------------------------------------------


def test_sort_by_each_column_both_ways(world, login, client):
    pupils = add_pupils(world, 12)
    login(world["staff"])
    by_risk = names_in(client.get("/ews/risk/").content.decode())
    assert by_risk == [
        f"Anna{i:02d} Last{(97 - i) % 50:02d}" for i in range(11, -1, -1)
    ]  # highest risk first
    assert names_in(client.get("/ews/risk/?sort=risk").content.decode()) == by_risk[::-1]
    by_name = names_in(client.get("/ews/risk/?sort=name").content.decode())
    assert [n.split()[1] for n in by_name] == sorted(n.split()[1] for n in by_name)
    assert names_in(client.get("/ews/risk/?sort=-name").content.decode()) == by_name[::-1]
    classes = [
        re.findall(r"<td>([^<]*)</td>", r)[0]
        for r in rows_of(client.get("/ews/risk/?sort=class").content.decode())
    ]
    assert classes == sorted(classes) and set(classes) == set(CLASSES)
    grades = [
        re.findall(r"<td>([^<]*)</td>", r)[1]
        for r in rows_of(client.get("/ews/risk/?sort=-grade").content.decode())
    ]
    assert grades == sorted(grades, reverse=True)
    html = client.get("/ews/risk/?sort=status").content.decode()
    under_way = ["status-" not in r for r in rows_of(html)]
    assert (
        under_way == sorted(under_way, reverse=True) and under_way.count(True) == 3
    )  # nothing under way first
    assert len(pupils) == 12
    # an unknown sort is the default, not an error
    assert names_in(client.get("/ews/risk/?sort=pupil_key").content.decode()) == by_risk


def test_sort_by_band_puts_high_before_medium_before_low(world, login, client):
    add_pupils(world, 90)
    login(world["staff"])
    html = client.get("/ews/risk/?sort=-band").content.decode()
    bands = re.findall(r'badge (text-bg-\w+)">', html)
    assert bands == ["text-bg-danger"] * 30 + ["text-bg-warning"] * 20
    html = client.get("/ews/risk/?sort=band").content.decode()
    assert re.findall(r'badge (text-bg-\w+)">', html) == ["text-bg-secondary"] * 30 + ["text-bg-warning"] * 20


def test_search_by_name_and_filters(world, login, client):
    add_pupils(world, 24)
    login(world["staff"])
    assert names_in(client.get("/ews/risk/?q=anna07").content.decode()) == ["Anna07 Last40"]
    assert names_in(client.get("/ews/risk/?q=anna0+last40").content.decode()) == [
        "Anna07 Last40"
    ]  # every word
    html = client.get("/ews/risk/?class=3B").content.decode()
    assert len(rows_of(html)) == 8 and all("<td>3B</td>" in r for r in rows_of(html))
    html = client.get("/ews/risk/?grade=S3&track=BSO").content.decode()
    assert len(rows_of(html)) == sum(1 for i in range(24) if i % 2 and i % 3)
    html = client.get("/ews/risk/?band=low").content.decode()
    assert len(rows_of(html)) == 24
    assert (
        "No pupil matches these filters"
        in client.get("/ews/risk/?band=high", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    # what is under way
    html = client.get("/ews/risk/?status=support_request").content.decode()
    assert len(rows_of(html)) == 6 and all("status-support_request" in r for r in rows_of(html))
    html = client.get("/ews/risk/?status=tutor").content.decode()
    assert len(rows_of(html)) == 6 and all("status-tutor" in r for r in rows_of(html))
    html = client.get("/ews/risk/?status=follow_up").content.decode()
    assert len(rows_of(html)) == 6
    html = client.get("/ews/risk/?status=none").content.decode()
    assert len(rows_of(html)) == 6 and not any("status-" in r for r in rows_of(html))


def test_pages_of_50_keep_the_query_string(world, login, client):
    add_pupils(world, 60)
    login(world["staff"])
    first = client.get("/ews/risk/?grade=S4&sort=name").content.decode()
    assert len(rows_of(first)) == 30  # one page: 30 pupils in S4
    html = client.get("/ews/risk/?sort=name").content.decode()
    assert len(rows_of(html)) == 50
    link = re.search(r'href="\?([^"]*page=2[^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "sort=name" in link
    second = client.get(f"/ews/risk/?{link}").content.decode()
    assert len(rows_of(second)) == 10
    assert not set(names_in(second)) & set(names_in(html))
    assert 'rel="prev"' in second and "sort=name" in re.search(r'href="\?([^"]*)" rel="prev"', second).group(
        1
    )
    # a hostile page number lands on a page, never an error
    assert client.get("/ews/risk/?page=999999999999999999999").status_code == 200
    assert client.get("/ews/risk/?page=abc").status_code == 200


def test_the_page_is_one_audit_entry_naming_only_the_pupils_shown(world, login, client):
    pupils = add_pupils(world, 60)
    login(world["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        client.get("/ews/risk/?sort=name")
    assert len(audit.entries[0].subjects.split()) == 50
    assert audit.subjects() <= {p.pupil_key for p in pupils}


def test_no_inline_form_per_row_but_links(world, login, client):
    add_pupils(world, 10)
    login(world["staff"])
    html = client.get("/ews/risk/").content.decode()
    assert "<form" not in html.split('id="risk-table"', 1)[1].split("</table>", 1)[0]
    rows = rows_of(html)
    assert all("ask-support" in r and "record-follow-up" in r for r in rows)
    # the follow-up link opens the form, which records the follow-up
    link = re.search(r'href="(/ews/risk/[0-9a-f]+/follow-up/[^"]*)"', rows[0]).group(1).replace("&amp;", "&")
    form = client.get(link)
    assert form.status_code == 200 and 'id="follow-up-form"' in form.content.decode()
    key = link.split("/")[3]
    response = client.post(f"/ews/risk/{key}/follow-up/", {"kind": "clb", "next": "/ews/risk/?sort=name"})
    assert response.status_code == 302 and response["Location"] == "/ews/risk/?sort=name"
    assert FollowUp.objects.filter(pupil__pupil_key=key, kind="clb").exists()


def test_under_way_shows_request_tutor_case_and_follow_up(world, login, client):
    p = add_pupils(world, 1, start=1)[0]  # i=1: an open request
    req = p.support_requests.get()
    MatchFactory(
        need=TutoringNeedFactory(
            pupil=p, school=world["A"], status="matched", initiatives=[world["initiative"]]
        ),
        started_on=datetime.date(2026, 10, 5),
    )
    case = Case.objects.create(pupil=p, school=world["A"], manager=world["staff"])
    CaseParticipant.objects.create(case=case, user=world["staff"], role="school")
    FollowUp.objects.create(pupil=p, school=world["A"], kind="clb", at=clock.now())
    login(world["staff"])
    row = rows_of(client.get("/ews/risk/", HTTP_ACCEPT_LANGUAGE="en").content.decode())[0]
    assert f'href="/care/requests/{req.pk}/">Support request #{req.pk} (in progress)' in row
    assert "Tutor since 5 October 2026" in row
    assert f'href="/care/cases/{case.pk}/">Case open since' in row
    assert "Follow-up noted: involved the CLB" in row
    nl = rows_of(client.get("/ews/risk/", HTTP_ACCEPT_LANGUAGE="nl").content.decode())[0]
    assert f"Ondersteuningsvraag #{req.pk}" in nl and "Tutor sinds 5 oktober 2026" in nl


def test_status_kinds_come_from_the_registered_providers():
    kinds = [value for value, _label in status_kinds()]
    assert kinds == ["support_request", "tutor", "tutor_waiting", "case", "follow_up"]


# --- export --------------------------------------------------------------------------------------------


def test_xlsx_export_has_every_filtered_row_and_is_audited_as_an_export(world, login, client):
    pupils = add_pupils(world, 60)
    login(world["staff"])
    with assert_audited(count=1, action="export", subject_type="pupil") as audit:
        response = client.get("/ews/risk/export/?format=xlsx&sort=name&grade=S4", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Pupil", "School", "Class")
    s4 = [p for i, p in enumerate(pupils) if i % 2 == 0]
    assert len(rows) - 1 == len(s4) == 30
    names = [r[0] for r in rows[1:]]
    assert [n.split()[1] for n in names] == sorted(n.split()[1] for n in names)
    assert audit.subjects() == {p.pupil_key for p in s4}
    assert audit.entries[0].purpose == "risk list export"
    assert all(isinstance(r[6], int) for r in rows[1:])
    under_way = {r[0]: r[8] for r in rows[1:]}
    assert under_way["Anna02 Last45"].startswith("Follow-up noted")


def test_csv_export_every_page_and_statuses(world, login, client):
    add_pupils(world, 60)
    login(world["staff"])
    with assert_audited(count=1, action="export", subject_type="pupil") as audit:
        response = client.get(
            "/ews/risk/export/?format=csv&status=support_request&page=2", HTTP_ACCEPT_LANGUAGE="en"
        )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) - 1 == 15 == len(audit.subjects())  # every pupil with an open request, not one page
    assert all(r[8].startswith("Support request #") for r in rows[1:])
    assert client.get("/ews/risk/export/?format=pdf").status_code == 404


def test_a_name_that_looks_like_a_formula_is_not_a_formula(world, login, client):
    p = add_pupils(world, 1)[0]
    p.name.first_name = '=HYPERLINK("x")'
    p.name.save()
    login(world["staff"])
    text = client.get("/ews/risk/export/?format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(client.get("/ews/risk/export/").content)).active
    assert str(sheet.cell(row=2, column=1).value).startswith("'=")


# --- scope ----------------------------------------------------------------------------------------------


def test_another_schools_pupils_never_appear(world, login, client):
    mine = add_pupils(world, 8)
    theirs = add_pupils(world, 8, school_key="B", prefix="Bert")
    # one of my pupils moved: school B asked for support and found a tutor; A must not see B's work
    moved = mine[0]
    SupportRequestFactory(school=world["B"], pupil=moved, status="intake")
    MatchFactory(
        need=TutoringNeedFactory(
            pupil=moved, school=world["B"], status="matched", initiatives=[world["initiative"]]
        )
    )
    FollowUp.objects.create(pupil=moved, school=world["B"], kind="clb", at=clock.now())
    login(world["staff"])
    since = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    html = client.get("/ews/risk/?sort=status").content.decode()
    export = client.get("/ews/risk/export/?format=csv").content.decode("utf-8-sig")
    for text in (html, export):
        assert "Bert" not in text and not any(p.pupil_key in text for p in theirs)
    row = next(r for r in rows_of(html) if moved.name.first_name in r)
    assert "status-" not in row  # nothing of B's request, tutor or follow-up
    assert client.get("/ews/risk/?school=320").status_code == 404
    assert client.get("/ews/risk/export/?school=320").status_code == 404
    named = {s for e in AuditEntry.objects.filter(id__gt=since) for s in e.subjects.split()}
    assert not named & {p.pupil_key for p in theirs}
    # the providers themselves answer nothing of another school, even when asked for its pupils
    ids = [p.pk for p in theirs] + [moved.pk]
    assert pupil_statuses(world["staff"], ids) == {}
    assert set(pupil_statuses(world["staff_b"], ids)) == {
        p.pk
        for p in theirs
        if p.support_requests.exists() or p.follow_ups.exists() or p.tutoring_needs.exists()
    } | {moved.pk}


def test_a_case_shows_only_to_its_participants(world, make_user):
    p = add_pupils(world, 1)[0]
    case = Case.objects.create(pupil=p, school=world["A"], manager=world["staff"])
    assert pupil_statuses(world["staff"], [p.pk]) == {}
    CaseParticipant.objects.create(case=case, user=world["staff"], role="school")
    assert [s.kind for s in pupil_statuses(world["staff"], [p.pk])[p.pk]] == ["case"]
    colleague = make_user(Role.SCHOOL_STAFF, school=world["A"])
    assert pupil_statuses(colleague, [p.pk]) == {}


def test_clb_worker_sees_the_list_and_export_of_the_schools_served(world, login, client):
    add_pupils(world, 5)
    add_pupils(world, 5, school_key="B", prefix="Bert")
    login(world["clb"])
    html = client.get("/ews/risk/").content.decode()
    assert len(rows_of(html)) == 5 and "Bert" not in html and "ask-support" not in html
    assert "Bert" not in client.get("/ews/risk/export/?format=csv").content.decode("utf-8-sig")


@pytest.mark.parametrize(
    "role", [Role.CITY_ANALYST, Role.CARE_COORDINATOR, Role.TUTOR_COORDINATOR, Role.ADMIN]
)
def test_roles_without_scores_get_no_export(world, role, make_user, login, client):
    add_pupils(world, 3)
    login(make_user(role))
    assert client.get("/ews/risk/export/?format=csv").status_code in (403, 404)


@pytest.mark.parametrize("back", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_the_follow_up_goes_back_only_to_a_page_of_this_site(world, login, client, back):
    p = add_pupils(world, 1)[0]
    login(world["staff"])
    form = client.get(f"/ews/risk/{p.pupil_key}/follow-up/", {"next": back}).content.decode()
    assert '<input type="hidden" name="next" value="/ews/risk/">' in form
    response = client.post(f"/ews/risk/{p.pupil_key}/follow-up/", {"kind": "clb", "next": back})
    assert response.status_code == 302 and response["Location"] == "/ews/risk/"
