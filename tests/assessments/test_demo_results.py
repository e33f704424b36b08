"""The synthetic city's learning-gain tests: the instruments of the migration, plausible scores,
cheap (at most ~1.5 rows per pupil), and they import through the real import."""

from __future__ import annotations

import collections
import csv
import datetime as dt

import numpy as np
import pytest

from leerloopbaan.demo.generator import COLUMNS, generate_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    summary = generate_city(folder, pupils=2000, seed=21)
    with open(folder / "import" / "test_results.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames
    with open(folder / "import" / "enrolments.csv", encoding="utf-8", newline="") as fh:
        enrolments = list(csv.DictReader(fh))
    return folder, summary, header, rows, enrolments


def test_columns_rows_and_cost(city):
    _folder, summary, header, rows, _e = city
    assert header == COLUMNS["test_results"] == ["national_number", "date", "instrument", "domain", "scale_score", "scale_version"]
    assert summary["rows"]["test_results"] == len(rows)
    assert 0.5 * summary["pupils_current"] < len(rows) <= 1.5 * summary["pupils_current"]


@pytest.mark.django_db
def test_instruments_ranges_and_versions_are_those_of_the_migration(city):
    from leerloopbaan.assessments.models import Instrument

    instruments = {i.code: i for i in Instrument.objects.all()}
    for r in city[3]:
        inst = instruments[r["instrument"]]
        assert (r["domain"], r["scale_version"]) == (inst.domain, inst.scale_version)
        assert inst.score_min <= float(r["scale_score"]) <= inst.score_max


def test_results_are_taken_while_enrolled_in_the_grade_of_the_moment(city):
    _folder, _s, _h, rows, enrolments = city
    by_pupil = collections.defaultdict(list)
    for e in enrolments:
        by_pupil[e["national_number"]].append(e)
    for r in rows:
        day = dt.date.fromisoformat(r["date"])
        assert day.month == 6 and day.weekday() < 5
        moment = r["instrument"].rsplit("-", 1)[1]
        holding = [e for e in by_pupil[r["national_number"]]
                   if dt.date.fromisoformat(e["start_date"]) <= day <= dt.date.fromisoformat(e["end_date"] or "2999-01-01")]
        assert len(holding) == 1 and holding[0]["grade"] == moment, (r, holding)


def test_scores_grow_and_a_pupil_scores_alike_at_the_next_moment(city):
    rows = city[3]
    scores = collections.defaultdict(dict)
    means = collections.defaultdict(list)
    for r in rows:
        scores[(r["national_number"], r["domain"])][r["instrument"][-2:]] = float(r["scale_score"])
        means[r["instrument"]].append(float(r["scale_score"]))
    for domain in ("NL", "WI"):
        m = [np.mean(means[f"LGT-{domain}-{k}"]) for k in ("P4", "P6", "S2")]
        assert m[0] < m[1] < m[2]
        assert 20 < np.std(means[f"LGT-{domain}-P6"]) < 45
    pairs = np.array([(v["P4"], v["P6"]) for v in scores.values() if "P4" in v and "P6" in v])
    assert len(pairs) > 50 and np.corrcoef(pairs.T)[0, 1] > 0.5


@pytest.mark.django_db
def test_the_city_imports_with_its_test_results_and_has_norms(city):
    from leerloopbaan.assessments import selectors
    from leerloopbaan.assessments.models import TestResult
    from leerloopbaan.registry.importer import import_paths

    result = import_paths([city[0] / "import"], source="test")
    assert result.ok, result.report_text()[:2000]
    assert result.counts["test_results.csv"]["added"] == len(city[3]) == TestResult.objects.count()
    norms = selectors.norms()
    assert len(norms) == 6 and all(n.n >= 25 for n in norms.values())
