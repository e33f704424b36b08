"""What city roles see of a pupil is k-anonymous (k = 5) over the released population
(registry.pseudonymised): the rule on plain data, and the demo city as the API and the pages show it."""

from __future__ import annotations

import collections
import json
import random
import re

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry import pseudonymised as ps
from leerloopbaan.registry.vocabulary import district_of_postcode

FULL_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b")
MONTH_NAMES = re.compile(r"\b\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
                         r"January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b")


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["birth_year", "birth_quarter", "sex", "district", "school", "grade"])


def test_district_of_postcode():
    assert district_of_postcode("2060") == "Antwerpen" and district_of_postcode("2100") == "Deurne"
    assert district_of_postcode("9000") == "outside" and district_of_postcode("") == ""


def test_a_group_of_four_is_generalised_and_a_group_of_five_is_not():
    five = [(2010, 1, "F", "Hoboken", "2", "S3")] * 5
    four = [(2012, 3, "M", "Deurne", "7", "S1")] * 4
    girls = [(2012, 3, "F", "Deurne", "7", "S1")] * 6
    shown = ps.generalise(frame(five + four + girls))
    assert list(shown["level"][:5]) == [0] * 5 and shown.iloc[0]["birth"] == "2010-Q1" and shown.iloc[0]["grade"] == "S3"
    # the four boys are shown without their sex (level 2), and so are the girls who share everything
    # else with them: showing the girls' sex would single out the four as "the others"
    assert set(shown["level"][5:]) == {2} and set(shown["sex"][5:]) == {ps.HIDDEN} and set(shown["birth"][5:]) == {"2012"}
    assert ps.smallest_group(shown) == 5


def test_the_ladder_merges_small_groups_one_step_at_a_time():
    rows = [(2012, q, "F", "Berchem", "3", "S2") for q in (1, 2, 3, 4) for _ in range(2)]  # 2 per quarter
    shown = ps.generalise(frame(rows))
    assert set(shown["birth"]) == {"2012"} and set(shown["level"]) == {1}  # one group of 8 by year


def test_fewer_than_k_pupils_show_nothing():
    shown = ps.generalise(frame([(2012, 1, "F", "Berchem", "3", "S2")] * 3))
    assert set(shown["birth"]) == {ps.HIDDEN} and set(shown["school"]) == {ps.HIDDEN}
    assert ps.smallest_group(ps.generalise(frame([]))) == 0


pupil = st.tuples(st.integers(2004, 2010), st.integers(1, 4), st.sampled_from(["M", "F", "X"]),
                  st.sampled_from(["Antwerpen", "Berchem", "Deurne", "outside", ""]),
                  st.sampled_from(["", "1", "2", "3", "4"]), st.sampled_from(["", "S1", "S2", "S3", "P6", "K2"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pupil, min_size=5, max_size=80))
def test_every_shown_combination_belongs_to_five_pupils(rows):
    shown = ps.generalise(frame(rows))
    assert ps.smallest_group(shown) >= 5
    for (year, quarter, sex, district, school, grade), (_i, out) in zip(rows, shown.iterrows(), strict=True):
        # what is shown is the truth or a coarsening of it, never something else
        assert out["birth"] in (f"{year}-Q{quarter}", str(year), f"{year - year % 3}-{year - year % 3 + 2}", ps.HIDDEN)
        assert out["sex"] in (sex, ps.HIDDEN)
        assert out["district"] in (district, ps.CITY if district not in ("", "outside") else district, ps.HIDDEN)
        assert out["school"] in (school, ps.HIDDEN)
        assert out["grade"] in (grade, ps.STAGES.get(grade, grade), ps.HIDDEN)


def test_a_city_sized_population_is_released_with_few_pupils_at_the_top():
    rng = np.random.default_rng(4)
    n = 20_000
    f = pd.DataFrame({"birth_year": rng.integers(2006, 2020, n), "birth_quarter": rng.integers(1, 5, n),
                      "sex": rng.choice(["M", "F"], n), "district": rng.choice(["Antwerpen", "Deurne", "Hoboken", "outside"], n),
                      "school": rng.integers(1, 60, n).astype(str), "grade": rng.choice(["P5", "P6", "S1", "S2"], n)})
    shown = ps.generalise(f)
    assert ps.smallest_group(shown) >= 5
    assert (shown["level"] == ps.LEVELS - 1).mean() < 0.01


# --- the demo city, as city roles see it ---------------------------------------------------------

@pytest.fixture
def demo_city(tmp_path, django_db_blocker):
    from leerloopbaan.demo.generator import generate_city
    from leerloopbaan.registry.importer import import_paths

    summary = generate_city(tmp_path / "city", pupils=1200, seed=7, years=6)
    result = import_paths([tmp_path / "city" / "import"], source="test")
    assert result.ok, result.report_text()[:2000]
    return summary


def api_rows(client) -> list[dict]:
    rows, offset = [], 0
    while True:
        response = client.get("/api/v1/pupils/", {"limit": 500, "offset": offset})
        assert response.status_code == 200
        body = response.content.decode()
        assert_nothing_finer(body)
        page = response.json()["results"]
        rows += page
        if len(page) < 500:
            return rows
        offset += 500


def assert_nothing_finer(body: str, pupil=None) -> None:
    assert not FULL_DATE.search(body), FULL_DATE.search(body).group(0)
    assert not MONTH_NAMES.search(body), MONTH_NAMES.search(body).group(0)
    assert '"postcode"' not in body and '"birth_date"' not in body and '"start_date"' not in body
    if pupil is not None:
        assert pupil.birth_date.isoformat() not in body


def qi(row: dict) -> tuple:
    return row["birth"], row["sex"], row["district"], row["school"], row["grade"]


def page_qi(body: str) -> tuple:
    values = dict(re.findall(r'data-qi="(\w+)">([^<]*)<', body))
    return tuple(values[c] for c in ps.COLUMNS)


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.ADMIN])
def test_the_demo_city_as_city_roles_see_it_hides_everyone_in_a_group_of_five(demo_city, role, make_user, login):
    from leerloopbaan.registry.models import Pupil

    client = login(make_user(role))
    rows = api_rows(client)
    pupils = {p.pupil_key: p for p in Pupil.objects.all()}
    assert len(rows) == len(pupils) >= 1000 and {r["pupil_key"] for r in rows} == set(pupils)

    # the smallest group over what the API list shows, across the whole released population
    groups = collections.Counter(qi(r) for r in rows)
    assert min(groups.values()) >= 5, min(groups.items(), key=lambda kv: kv[1])
    # not everything hidden: most pupils keep their school
    assert sum(r["school"] != ps.HIDDEN for r in rows) > 0.5 * len(rows)  # a small city: many schools of few pupils

    # the HTML pupil list shows the same values, on every page
    listed = {}
    page = 1
    while True:
        body = client.get(reverse("registry:pupil_list"), {"page": page}).content.decode()
        assert_nothing_finer(body)
        cells = re.findall(r'<tr><td><a href="/registry/pupils/([0-9a-f]{64})/">[0-9a-f]+</a></td><td>([^<]*)</td>', body)
        listed.update(dict(cells))
        if f'page={page + 1}"' not in body:
            break
        page += 1
    assert len(listed) == len(rows) and all(listed[r["pupil_key"]] == r["birth"] for r in rows)

    by_key = {r["pupil_key"]: r for r in rows}
    sample = random.Random(3).sample(sorted(by_key), 25)
    for key in sample:
        # the pupil page: the same released values, no date finer than a school year, no postcode
        body = client.get(reverse("site:pupil", args=[key])).content.decode()
        assert_nothing_finer(body, pupils[key])
        birth, sex, district, school, grade = page_qi(body)
        row = by_key[key]
        assert (birth, grade) == (row["birth"], row["grade"]) and (sex == ps.HIDDEN) == (row["sex"] == ps.HIDDEN)
        assert (school == ps.HIDDEN) == (row["school"] == ps.HIDDEN)
        if pupils[key].postcode:
            assert f"· {pupils[key].postcode}" not in body
        # the detail API: the same values and the history by school year only
        response = client.get(f"/api/v1/pupils/{key}/")
        detail = response.content.decode()
        assert_nothing_finer(detail, pupils[key])
        data = json.loads(detail)
        assert qi(data) == qi(by_key[key])
        assert all(set(y) == {"school_year", "school", "grade"} for y in data["years"])
        # the growth page of the learning-gain tests: school years, no test dates
        growth = client.get(reverse("assessments:pupil", args=[key]))
        if growth.status_code == 200:
            assert_nothing_finer(growth.content.decode(), pupils[key])


def test_school_staff_still_see_names_and_birth_dates_of_their_pupils(demo_city, make_user, login):
    from leerloopbaan.registry.models import Enrolment, School

    school = School.objects.filter(pk__in=Enrolment.objects.values("school_id")).first()
    client = login(make_user(Role.SCHOOL_STAFF, school=school))
    rows = client.get("/api/v1/pupils/", {"limit": 5}).json()["results"]
    assert rows and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["birth_date"]) and r["last_name"] for r in rows)
