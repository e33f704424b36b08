"""Stored scores and the pages: the shown parts add up to the shown risk, context is one line, an uncertain
band is marked with its interval; the CSV of `ews score` keeps its columns."""

from __future__ import annotations

import csv
import datetime
import re

import pytest
from django.core.management import call_command

from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.generator import generate_city
from leerloopbaan.ews import engine, services
from leerloopbaan.ews.engine import CONTEXT_FEATURES, SHOWN_AREAS, percent
from leerloopbaan.ews.loading import load_frames
from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.registry.importer import import_paths
from tests.factories import (
    EnrolmentFactory,
    ModelRunFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
    this_school_year,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 21)
CONTEXT_WORDS = (
    "jaar secundair",
    "volgt ",
    "B-stroom",
    "duaal",
    "thuistaal",
    "moeder",
    "schooltoeslag",
    "buurt",
    "OKI",
    "schoolverlaters op school",
)


@pytest.fixture
def scored(tmp_path, settings):
    """A small imported city scored through the product's path (``services.ews_score``) with a small
    model that has bootstrap replicates."""
    settings.DATA_DIR = tmp_path / "data"
    generate_city(tmp_path / "city", pupils=1200, seed=3, current_year=2026)
    assert import_paths([tmp_path / "city" / "import"], source="test").ok
    frames = load_frames()
    ts = engine.training_set(frames, engine.december_firsts(2014, 2025))
    model = engine.LightGBMCandidate(
        n_estimators=60, num_leaves=7, min_child_samples=40, calibration_folds=2, n_jobs=1
    )
    model.fit(ts.X, ts.y, groups=ts.meta["pupil_id"].to_numpy())
    model.set_bands(model.predict_proba(ts.X)[:, 1])
    model.fit_intervals(ts.X, ts.y, groups=ts.meta["pupil_id"].to_numpy(), n_replicates=6)
    (settings.DATA_DIR / "models").mkdir(parents=True)
    engine.save(model, settings.DATA_DIR / "models" / "t.json")
    run = ModelRun.objects.create(version="t", model_name="lightgbm", path="models/t.json", approved=True)
    services.ews_score(reference_date=DAY, run=run, frames=frames)
    return run, model


def test_stored_scores_and_the_risk_list_add_up_and_never_name_context(
    scored, tmp_path, make_user, login, client
):
    """One imported, trained and scored city (the costly part) for the stored scores, the CSV and the page."""
    run, model = scored
    scores = list(RiskScore.objects.filter(model_run=run, reference_date=DAY))
    assert len(scores) > 100
    t = model.band_thresholds_
    for s in scores:
        b = s.breakdown
        assert [a for a, _ in b["parts"]] == SHOWN_AREAS  # context: one part, by its area only
        assert b["base"] + sum(p for _, p in b["parts"]) == b["total"] == int(percent(s.risk)), (
            s.pk,
            b,
            s.risk,
        )
        points = dict(b["parts"])
        for r in s.reasons:
            assert r["area"] != "context" and r["points"] == points[r["area"]] > 0
            assert not any(w in r["text_nl"] for w in CONTEXT_WORDS), r
        assert s.risk_low <= s.risk <= s.risk_high
        crosses = any(s.risk_low < cut <= s.risk_high for cut in (t["medium"], t["high"]))
        assert s.uncertain_band == crosses
    stored = " ".join(str(s.breakdown) + str(s.reasons) for s in scores)
    assert not any(f"'{f}'" in stored for f in CONTEXT_FEATURES)
    assert any(s.uncertain_band for s in scores) and any(s.band == "high" and s.reasons for s in scores)

    # the shared CSV contract: the same six columns, nothing appended
    out = tmp_path / "scores.csv"
    call_command("ews", "score", "--date", DAY.isoformat(), "--out", str(out))
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["pupil_key", "school_number", "reference_date", "risk", "band", "reasons"]
    assert {len(r) for r in rows} == {6}
    assert not any(w in r[5] for r in rows[1:] for w in CONTEXT_WORDS)
    assert "schoolcontext" not in out.read_text(encoding="utf-8")

    # the risk list of a school with high-risk pupils: the printed parts add up, context is one line
    school = RiskScore.objects.filter(model_run=run, band="high").values_list("school", flat=True).first()
    staff = make_user(Role.SCHOOL_STAFF, school=RiskScore.objects.filter(school=school).first().school)
    login(staff)
    html = client.get("/ews/risk/").content.decode()
    rows = _rows(html)
    assert len(rows) == RiskScore.objects.filter(model_run=run, school=school).count() > 5
    unsure = 0
    for row in rows:
        risk = int(re.search(r"<td>(\d+)%", row).group(1))
        base = int(re.search(r'breakdown-base">[^<]*: (\d+)%', row).group(1))
        parts = re.findall(r'breakdown-part breakdown-(\w+)"><strong>([+-]?\d+) ppt</strong> ([^<:]+)', row)
        total = int(re.search(r'breakdown-total">= (\d+)%', row).group(1))
        assert base + sum(int(p) for _, p, _ in parts) == total == risk, row  # adds up as printed
        assert [a for a, _, _ in parts].count("context") == 1 and row.count("schoolcontext") == 1
        context_line = re.search(r'breakdown-context">(.*?)</li>', row, re.S).group(1)
        assert re.fullmatch(r"<strong>([+-]?\d+) ppt</strong> schoolcontext", context_line.strip()), (
            context_line
        )
        assert not any(w in row for w in CONTEXT_WORDS), row
        if "band onzeker" in row:
            unsure += 1
            low, high = map(int, re.search(r'risk-interval"[^>]*>(\d+)–(\d+)%', row).groups())
            assert low <= risk <= high
    assert unsure == RiskScore.objects.filter(model_run=run, school=school, uncertain_band=True).count()
    assert "startpunt (gemiddelde leerling)" in html and 'id="reasons-legend"' in html


def _rows(html: str) -> list[str]:
    body = html.split('<table class="table table-sm align-top" id="risk-table">', 1)[1].split("</table>", 1)[
        0
    ]
    return re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)


def test_pages_in_english_and_scores_stored_before_breakdowns(make_user, login, client):
    school = SchoolFactory(school_number="300", name="School C")
    run = ModelRunFactory(version="v9")
    new, old = PupilFactory(first_name="Nieuw"), PupilFactory(first_name="Oud")
    for p in (new, old):
        EnrolmentFactory(pupil=p, school=school, school_year=this_school_year(), grade="S2")
    RiskScoreFactory(
        pupil=new,
        school=school,
        model_run=run,
        risk=0.2345,
        band="medium",
        risk_low=0.18,
        risk_high=0.3449,
        uncertain_band=True,
        reasons=[
            {
                "area": "attendance",
                "text_nl": "31 halve dagen problematisch afwezig dit schooljaar",
                "text_en": "31 half days of problematic absence this school year",
                "contribution": 0.9,
                "points": 9,
            }
        ],
        breakdown={
            "base": 11,
            "total": 23,
            "parts": [["attendance", 9], ["results", 4], ["track", -1], ["context", 0]],
        },
    )
    RiskScoreFactory(
        pupil=old,
        school=school,
        model_run=run,
        risk=0.1,
        band="low",
        reasons=[
            {
                "area": "track",
                "text_nl": "in het 2e jaar secundair",
                "text_en": "in year 2",
                "contribution": 0.2,
            }
        ],
    )
    login(make_user(Role.SCHOOL_STAFF, school=school))
    html = client.get("/ews/risk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    new_row, old_row = _rows(html)
    assert "starting point (average pupil): 11%" in new_row and "school context" in new_row
    assert "+9 pp</strong> attendance: 31 half days" in new_row and "-1 pp</strong> school changes" in new_row
    assert "= 23%" in new_row and "band uncertain" in new_row and "18–34%" in new_row
    # a score of before: its reasons as they were stored, no breakdown, no interval
    assert "in year 2" in old_row and "breakdown" not in old_row and "band uncertain" not in old_row
    # the risk history on the pupil page, in Dutch: the same lines
    page = client.get(f"/registry/pupils/{new.pupil_key}/").content.decode()
    history = page.split('id="risk-history"', 1)[1]
    assert (
        "startpunt (gemiddelde leerling): 11%" in history
        and "band onzeker" in history
        and "18–34%" in history
    )
    assert history.count("schoolcontext") == 1 and "= 23%" in history
