"""An unapproved model run never scores: the approved model scores or, without one, the rule baseline;
every page with scores names its model in one line, linking to the model card."""

from __future__ import annotations

import datetime
import io

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews import services, tasks
from leerloopbaan.ews.models import ModelRun, RiskScore
from tests.factories import ModelRunFactory, RiskScoreFactory

from .test_roles_ews import REASON, city, user_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 30)
NO_MODEL_NL = "Er is geen goedgekeurd model: de scores komen van de eenvoudige regel (afwezigheid, C-attest, schoolse vertraging)"
RELEASE = {
    "approved": True,
    "reasons": [],
    "approved_on": "2026-12-03",
    "precision_at_operating_point": 0.4,
    "recall_at_operating_point": 0.55,
    "fairness": "passed",
    "as_of_dates": ["2023-12-01", "2024-12-01"],
}
FAILED = {
    "approved": False,
    "reasons": ["tpr ratio of sex F to M is 0.71, under 0.80"],
    "fairness": "failed",
    "precision_at_operating_point": 0.35,
}


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, 9, 0, tzinfo=datetime.UTC)


def approved_run(version="approved", day=1, **release):
    return ModelRunFactory(
        version=version,
        model_name="lightgbm",
        approved=True,
        created_at=at(day),
        report={"release": {**RELEASE, **release}},
    )


def unapproved_run(version="unapproved", day=5):
    return ModelRunFactory(
        version=version,
        model_name="lightgbm",
        approved=False,
        created_at=at(day),
        reasons=FAILED["reasons"],
        report={"approved": False, "reasons": FAILED["reasons"], "release": FAILED},
    )


def baseline_run(version="rule-baseline", day=5):
    return ModelRunFactory(
        version=version,
        model_name="rule",
        approved=False,
        created_at=at(day),
        report={"role": "baseline", "release": {"approved": False, "precision_at_operating_point": 0.3}},
    )


@pytest.fixture
def scoring(monkeypatch, city):  # noqa: F811
    """The engine stubbed: each run scores every pupil of the city with a risk of 0.5 (the test is about
    which run scores, not how)."""
    pupils = [city[f"{p}{i}"] for p in "ab" for i in range(8)]
    schools = {p.pk: (city["A"] if p.pupil_key.startswith("a") else city["B"]).pk for p in pupils}
    used = []

    def score_population(model, frames, reference_date, **kwargs):
        used.append(model)
        return pd.DataFrame(
            {
                "pupil_id": [p.pk for p in pupils],
                "school_id": [schools[p.pk] for p in pupils],
                "risk": [0.5] * len(pupils),
                "band": ["high"] * len(pupils),
                "reasons": [[{"points": 0, **REASON}] for _ in pupils],
                "grade": ["S3"] * len(pupils),
                "track": [""] * len(pupils),
                "risk_low": [0.4] * len(pupils),
                "risk_high": [0.6] * len(pupils),
                "uncertain_band": [False] * len(pupils),
                "breakdown": [{"base": 50, "total": 50, "parts": []} for _ in pupils],
            }
        )

    monkeypatch.setattr(services, "load_model", lambda run: run.version)
    monkeypatch.setattr(services, "load_frames", lambda **kwargs: None)
    monkeypatch.setattr(services.engine, "score_population", score_population)
    RiskScore.objects.all().delete()
    ModelRun.objects.all().delete()
    return used


def test_an_unapproved_run_newer_than_an_approved_one_never_scores(scoring):
    good = approved_run(day=1)
    bad = unapproved_run(day=5)
    assert services.active_run() == good
    run, scores = services.ews_score(reference_date=DAY)
    assert run == good and scoring == ["approved"]
    assert RiskScore.objects.filter(model_run=good).count() == len(scores) == 16
    assert not RiskScore.objects.filter(model_run=bad).exists()
    # the task and the command take the same run
    assert tasks.score_today.call() == 16
    call_command("ews", "score", "--date", DAY.isoformat(), stdout=io.StringIO(), stderr=io.StringIO())
    assert not RiskScore.objects.filter(model_run=bad).exists()


def test_an_unapproved_run_passed_explicitly_is_refused(scoring):
    approved_run(day=1)
    bad = unapproved_run(day=5)
    with pytest.raises(services.RunNotApproved) as err:
        services.ews_score(reference_date=DAY, run=bad)
    assert "unapproved" in str(err.value) and bad.version in str(err.value) and "tpr ratio" in str(err.value)
    with pytest.raises(services.RunNotApproved):
        services.compute_scores(reference_date=DAY, run=bad)
    assert scoring == [] and not RiskScore.objects.exists()


def test_a_run_its_release_refuses_is_not_approved(scoring):
    """Approved by the fairness audit of the old report but refused by the release verdict: not approved."""
    refused = approved_run(
        version="refused", day=6, approved=False, reasons=["does not beat the rule on later cohorts"]
    )
    baseline = baseline_run(day=6)
    assert not refused.is_approved and services.active_run() == baseline


def test_without_an_approved_run_the_baseline_scores_and_the_pages_say_so(
    scoring,
    city,  # noqa: F811
    make_user,
    login,
    client,
):
    approved_run(version="older-approved", day=1, fairness="failed")
    ModelRun.objects.filter(version="older-approved").update(approved=False)  # withdrawn
    unapproved_run(day=5)
    baseline = baseline_run(day=5)
    run, _scores = services.ews_score(reference_date=DAY)
    assert run == baseline and scoring == ["rule-baseline"]
    assert set(RiskScore.objects.values_list("model_run__version", flat=True)) == {"rule-baseline"}

    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    for url in (
        "/ews/risk/",
        f"/registry/pupils/{city['a0'].pupil_key}/",
        f"/ews/portrait/100/?year={city['year']}",
    ):
        html = client.get(url).content.decode()
        assert NO_MODEL_NL in html, url
        assert 'href="/ews/model/rule-baseline/"' in html and "modelkaart" in html, url
    client.logout()
    login(user_for(Role.CITY_ANALYST, city, make_user))
    html = client.get("/ews/city/").content.decode()
    assert NO_MODEL_NL in html
    card = client.get("/ews/model/rule-baseline/").content.decode()
    assert NO_MODEL_NL in card


def test_with_only_an_unapproved_run_nothing_scores(scoring):
    unapproved_run(day=5)
    with pytest.raises(services.NoTrainingData, match="no approved model and no rule baseline"):
        services.active_run()
    assert tasks.score_today.call() == 0
    with pytest.raises(CommandError) as err:
        call_command("ews", "score", "--date", DAY.isoformat(), stdout=io.StringIO())
    assert err.value.returncode == 1
    assert not RiskScore.objects.exists()


def test_the_pages_name_the_approved_model_in_one_line(city, make_user, login, client):  # noqa: F811
    run = city["run"]
    run.report = {"release": RELEASE}
    run.save()
    line = (
        "Model goedgekeurd op 3 december 2026 · bovenaan de lijst verliet 4 op 10 de school zonder kwalificatie"
        ' · eerlijkheid: in orde · <a href="/ews/model/v2/">modelkaart</a>'
    )
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    for url in (
        "/ews/risk/",
        f"/registry/pupils/{city['a0'].pupil_key}/",
        f"/ews/portrait/100/?year={city['year']}",
    ):
        assert line in client.get(url).content.decode(), url
    client.cookies["leerloopbaan_language"] = "en"
    assert (
        "Model approved on 3 December 2026 · at the top of the list, 4 in 10 left school without a qualification"
        " · fairness: in order"
    ) in client.get("/ews/risk/").content.decode()


def test_an_old_run_without_a_release_verdict_still_gets_a_line(city, make_user, login, client):  # noqa: F811
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    html = client.get("/ews/risk/").content.decode()
    assert 'id="model-line"' in html and "Goedgekeurd model" in html and "/ews/model/v2/" in html


def test_scores_of_an_unapproved_run_from_before_are_never_shown(city, make_user, login, client):  # noqa: F811
    """Scores an unapproved run gave before approval was enforced stay out of the pages."""
    bad = unapproved_run(day=28)
    RiskScoreFactory(
        pupil=city["a0"],
        school=city["A"],
        reference_date=city["latest"] + datetime.timedelta(days=7),
        model_run=bad,
        risk=0.99,
        band="high",
        reasons=[REASON],
    )
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    html = client.get("/ews/risk/").content.decode()
    assert "99%" not in html and "/ews/model/unapproved/" not in html and "/ews/model/v2/" in html
    pupil_page = client.get(f"/registry/pupils/{city['a0'].pupil_key}/").content.decode()
    assert "99%" not in pupil_page


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.SCHOOL_STAFF, True),
        (Role.CLB_WORKER, True),
        (Role.CITY_ANALYST, True),
        (Role.PROGRAMME_MANAGER, True),
        (Role.ADMIN, True),
        (Role.CARE_COORDINATOR, False),
        (Role.TUTOR, False),
        (Role.YOUTH, False),
        (Role.PARENT, False),
    ],
)
def test_the_model_card_is_for_the_roles_that_see_scores(role, sees, city, make_user, login, client):  # noqa: F811
    unapproved_run(day=28)
    login(user_for(role, city, make_user))
    response = client.get("/ews/model/unapproved/")
    assert (response.status_code == 200) == sees
    if sees:
        html = response.content.decode()
        assert "Niet goedgekeurd" in html and "tpr ratio of sex F to M" in html
        assert 'href="/ews/model/v2/"' in html  # the model that scores now
        assert client.get("/ews/model/").status_code == 200
        assert client.get("/ews/model/no-such-run/").status_code == 404


def test_the_model_card_renders_a_full_training_report(city, make_user, login, client):  # noqa: F811
    run = city["run"]
    metrics = {
        "n": 1200,
        "auc": 0.81,
        "average_precision": 0.42,
        "precision_at_top": 0.4,
        "recall_at_top": 0.5,
        "ece": 0.02,
    }
    run.report = {
        "release": RELEASE,
        "label": "left secondary without a qualification",
        "top_share": 0.1,
        "data": {"rows": 40000, "pupils": 12000, "positives": 2100, "cohorts": [2015, 2016, 2017]},
        "selection": {"chosen": "lightgbm"},
        "folds": [
            {"held_out_cohort": 2017, "models": {"lightgbm": metrics, "rule": {**metrics, "auc": 0.7}}}
        ],
        "held_out": {"lightgbm": metrics, "rule": {**metrics, "auc": 0.7}},
        "fairness": {
            "threshold": 0.3,
            "attributes": {
                "sex": {
                    "reference": "M",
                    "groups": {
                        "M": {
                            "n": 600,
                            "selection_rate": 0.1,
                            "tpr": 0.5,
                            "fpr": 0.05,
                            "precision": 0.4,
                            "calibration": 1.02,
                            "disparities": [],
                        },
                        "F": {
                            "n": 597,
                            "selection_rate": 0.1,
                            "tpr": 0.48,
                            "fpr": 0.05,
                            "precision": 0.41,
                            "calibration": 0.98,
                            "disparities": [],
                        },
                        "X": {
                            "n": 3,
                            "selection_rate": 0.0,
                            "tpr": None,
                            "fpr": 0.0,
                            "precision": None,
                            "calibration": None,
                            "disparities": [],
                        },
                    },
                }
            },
        },
    }
    run.save()
    login(user_for(Role.CLB_WORKER, city, make_user))
    html = client.get("/ews/model/").content.decode()
    assert "Goedgekeurd op 3 december 2026" in html and "model-fairness" in html and "model-pooled" in html
    assert "0,810" in html or "0.810" in html
    assert "40,0%" in html or "40.0%" in html  # precision at the operating point, as every rate
    assert "&lt;5" in html and ">3<" not in html  # three pupils of group X: a small count


def test_the_model_card_pins_no_small_count_behind_a_groups_rates(city, make_user, login, client):  # noqa: F811
    """A small group's rates give away how many of its pupils were flagged and found (rate x n): the card
    declares those counts, so a rate over a small one is not shown exactly."""
    from tests.kernel.attacker import assert_safe, releases

    run = city["run"]
    group = {"selection_rate": 0.1, "tpr": 0.5, "fpr": 0.05, "precision": 0.4, "calibration": 1.0, "disparities": []}
    run.report = {
        "release": RELEASE, "selection": {"chosen": "lightgbm"},
        "data": {"rows": 40000, "pupils": 12000, "positives": 2100},
        "fairness": {"threshold": 0.3, "attributes": {"district": {"reference": "Antwerpen", "groups": {
            "Antwerpen": {"n": 2000, "positives": 400, **group},
            # 30 pupils: 3 flagged, 4 leavers of whom 2 found
            "Ekeren": {"n": 30, "positives": 4, **group},
        }}}},
    }
    run.save()
    login(make_user(Role.CITY_ANALYST))
    with releases() as got:
        html = client.get(f"/ews/model/{run.version}/").content.decode()
    assert_safe(got)
    row = html[html.index("Ekeren"): html.index("</tr>", html.index("Ekeren"))]
    import re

    assert not re.search(r"\d+[,.]\d%", row), row  # was: 10,0% selected, 50,0% found: 3 and 2 pupils
    at = html.index("Antwerpen", html.index("<table"))
    big = html[at: html.index("</tr>", at)]
    assert re.search(r"\d+[,.]\d%", big)
