"""The pupil list of school staff and CLB workers: the current pupils of their schools by default (sorted by
name), former pupils behind a toggle, a search by name, a class filter, pages; one audit entry naming the
pupils shown; another school's pupils never; a number of queries that does not grow with the pupils."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.kernel.schoolyear import school_year_of
from tests.factories import ClbFactory, EnrolmentFactory, PupilFactory, SchoolFactory, school_year_start


@pytest.fixture
def world(db, make_user):
    clb = ClbFactory(name="CLB Q")
    a = SchoolFactory(school_number="410", name="School A", clb=clb)
    b = SchoolFactory(school_number="420", name="School B")
    return {
        "A": a,
        "B": b,
        "staff": make_user(Role.SCHOOL_STAFF, school=a),
        "clb": make_user(Role.CLB_WORKER, clb=clb),
    }


def current(school, n: int, *, start: int = 0, prefix: str = "Cara", classes=("1A", "1B")) -> list:
    out = []
    for i in range(start, start + n):
        p = PupilFactory(
            first_name=f"{prefix}{i:02d}",
            last_name=f"Zed{(31 * i) % 97:02d}",
            birth_date=datetime.date(2012, 1, 1) + datetime.timedelta(days=i),
        )
        EnrolmentFactory(pupil=p, school=school, grade="S1", class_group=classes[i % len(classes)])
        out.append(p)
    return out


def former(school, n: int, *, prefix: str = "Fien") -> list:
    """Pupils whose last enrolment at the school ended last school year (some of them long ago, now over 30)."""
    out = []
    last_year_start = school_year_start() - datetime.timedelta(days=365)
    year = school_year_of(last_year_start)
    for i in range(n):
        p = PupilFactory(
            first_name=f"{prefix}{i:02d}", last_name="Oud", birth_date=datetime.date(1990 + i, 3, 1)
        )
        EnrolmentFactory(
            pupil=p,
            school=school,
            school_year=year,
            start_date=last_year_start,
            end_date=last_year_start + datetime.timedelta(days=300),
            grade="S6",
            class_group="6A",
        )
        out.append(p)
    return out


def names(html: str) -> list[str]:
    body = html.split('id="pupil-table">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/registry/pupils/[0-9a-f]+/">([^<]+)</a>', body)


def test_current_pupils_by_name_and_former_behind_the_toggle(world, login, client):
    now = current(world["A"], 6)
    gone = former(world["A"], 3)
    login(world["staff"])
    html = client.get("/registry/pupils/").content.decode()
    shown = names(html)
    assert sorted(shown) == sorted(f"{p.name.first_name} {p.name.last_name}" for p in now)
    assert [n.split()[1] for n in shown] == sorted(n.split()[1] for n in shown)  # by last name
    assert "Fien" not in html and 'href="/registry/pupils/?former=1"' in html
    html = client.get("/registry/pupils/?former=1").content.decode()
    assert names(html) == ["Fien00 Oud", "Fien01 Oud", "Fien02 Oud"] and "Cara" not in html
    assert len(gone) == 3


def test_a_pupil_who_returns_next_year_is_current_and_one_who_left_is_former(world, login, client):
    p = PupilFactory(first_name="Ruben", last_name="Terug")
    start = school_year_start() - datetime.timedelta(days=365)
    EnrolmentFactory(
        pupil=p,
        school=world["A"],
        school_year=school_year_of(start),
        start_date=start,
        end_date=start + datetime.timedelta(days=300),
    )
    EnrolmentFactory(pupil=p, school=world["A"], class_group="2C")  # this school year, running
    q = PupilFactory(first_name="Lotte", last_name="Weg")
    EnrolmentFactory(pupil=q, school=world["A"], end_date=clock.today() - datetime.timedelta(days=1))
    login(world["staff"])
    html = client.get("/registry/pupils/").content.decode()
    assert "Ruben Terug" in names(html) and "Lotte Weg" not in names(html)
    row = next(r for r in html.split("<tr>") if "Ruben Terug" in r)
    assert "<td>2C</td>" in row
    assert "Lotte Weg" in names(client.get("/registry/pupils/?former=1").content.decode())


def test_search_by_name_and_class_filter(world, login, client):
    current(world["A"], 10)
    login(world["staff"])
    assert names(client.get("/registry/pupils/?q=cara03").content.decode()) == ["Cara03 Zed93"]
    assert names(client.get("/registry/pupils/?q=CARA0+zed9").content.decode()) == ["Cara03 Zed93"]
    html = client.get("/registry/pupils/?class=1B").content.decode()
    assert len(names(html)) == 5 and "<option selected>1B</option>" in html
    assert (
        "No pupil matches these filters"
        in client.get("/registry/pupils/?q=nobody", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_pages_of_50_keep_the_query_string(world, login, client):
    current(world["A"], 120, classes=("1A", "1B", "1C"))
    login(world["staff"])
    html = client.get("/registry/pupils/?class=1A").content.decode()
    assert len(names(html)) == 40 and 'rel="next"' not in html
    html = client.get("/registry/pupils/").content.decode()
    first = names(html)
    assert len(first) == 50
    link = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert link == "page=2"
    html = client.get("/registry/pupils/?q=cara&class=1C").content.decode()
    assert len(names(html)) == 40
    html = client.get("/registry/pupils/?q=cara&page=2").content.decode()
    link = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "q=cara" in link and "page=3" in link
    third = client.get(f"/registry/pupils/?{link}").content.decode()
    assert len(names(third)) == 20 and not set(names(third)) & set(first)
    assert client.get("/registry/pupils/?page=99999999999999999999999").status_code == 200


def test_the_page_is_one_audit_entry_naming_the_pupils_shown(world, login, client):
    pupils = current(world["A"], 60)
    login(world["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/registry/pupils/").content.decode()
    shown = set(names(html))
    assert audit.subjects() == {
        p.pupil_key for p in pupils if f"{p.name.first_name} {p.name.last_name}" in shown
    }
    assert len(audit.subjects()) == 50


def test_another_schools_pupils_never_appear(world, login, client):
    current(world["A"], 3)
    current(world["B"], 3, prefix="Bo", classes=("9Z",))
    former(world["B"], 2, prefix="Bram")
    login(world["staff"])
    for url in (
        "/registry/pupils/",
        "/registry/pupils/?former=1",
        "/registry/pupils/?q=bo",
        "/registry/pupils/?class=9Z",
    ):
        html = (
            client.get(url).content.decode().replace(url.split("?")[-1], "")
        )  # the language switch repeats the query
        # the forms' random CSRF tokens may hold "9Z" or "Bo0" by chance (a 2-character marker: 1 in 60 pages)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        assert "Bo0" not in html and "Bram" not in html and "9Z" not in html, url


def test_clb_worker_sees_the_schools_served(world, login, client):
    current(world["A"], 3)
    current(world["B"], 3, prefix="Bo")
    login(world["clb"])
    html = client.get("/registry/pupils/").content.decode()
    assert len(names(html)) == 3 and "Bo0" not in html


@pytest.mark.parametrize(
    "url", ["/registry/pupils/", "/registry/pupils/?former=1", "/registry/pupils/?q=a&class=1A"]
)
def test_the_same_number_of_queries_for_5_and_for_40_pupils(world, login, client, url):
    login(world["staff"])
    current(world["A"], 5)
    former(world["A"], 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    current(world["A"], 35, start=5)
    former(world["A"], 35, prefix="Fenna")
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(few) == len(many), f"{url}: {len(few)} queries for 5 pupils, {len(many)} for 40"
    if url == "/registry/pupils/":
        assert len(names(html)) == 40


def test_the_class_column_of_enrolments_is_imported(example, db):
    """``class`` is an optional column of enrolments.csv: imported into the enrolment, checked for length."""
    import csv

    from leerloopbaan.registry.importer import import_paths
    from leerloopbaan.registry.models import Enrolment

    assert import_paths([example]).ok
    assert set(Enrolment.objects.values_list("class_group", flat=True)) == {""}  # a file without the column
    path = example / "enrolments.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[0].append("class")
    for i, row in enumerate(rows[1:]):
        row.append(f"{row[5][1:]}{'AB'[i % 2]}")
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    assert import_paths([example]).ok
    labels = dict(Enrolment.objects.values_list("pk", "class_group"))
    assert all(labels.values()) and {v[-1] for v in labels.values()} <= {"A", "B"}
    rows[1][-1] = "x" * 21
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    result = import_paths([example])
    assert not result.ok and "at most 20 characters" in result.report_text()
