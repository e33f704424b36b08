"""`leerloopbaan ews train|score|evaluate` on a small synthetic city imported through the import."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leerloopbaan.demo.generator import generate_city
from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Pupil, School

pytestmark = pytest.mark.django_db


def test_evaluate_without_a_model_is_refused():
    with pytest.raises(CommandError) as err:
        call_command("ews", "evaluate")
    assert err.value.returncode == 1 and "ews train" in str(err.value)


def test_score_with_a_bad_date_is_a_usage_error():
    with pytest.raises(CommandError) as err:
        call_command("ews", "score", "--date", "21-11-2026")
    assert err.value.returncode == 2 and "YYYY-MM-DD" in str(err.value)


def history_load() -> None:
    """The synthetic city is years of history loaded in one import: its rows get the record times the
    source knew them by (registry/history.py), as the demo does; otherwise nothing is known in the past."""
    from django.utils import timezone

    from leerloopbaan.registry.history import estimate_record_times

    estimate_record_times(recorded_before=timezone.now())


def something_scores() -> None:
    """Scoring takes the approved model or, without one, the rule baseline (test_approval.py). These tests
    are about the commands, not the verdict: when this synthetic city's model failed its audit and no
    baseline run is there to score instead, the model is marked approved here."""
    from leerloopbaan.ews.services import NoTrainingData, active_run

    try:
        active_run()
    except NoTrainingData:
        ModelRun.objects.exclude(model_name="rule").update(approved=True)


def test_train_score_evaluate(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    generate_city(tmp_path / "city", pupils=3000, seed=1)
    assert import_paths([tmp_path / "city" / "import"], source="test").ok
    history_load()

    out = io.StringIO()
    call_command("ews", "train", stdout=out)
    # the chosen candidate and, beside it, the rule baseline (the fallback; never approved)
    assert ModelRun.objects.count() == 2
    rule = ModelRun.objects.get(model_name="rule")
    run = ModelRun.objects.exclude(model_name="rule").get()
    assert rule.report["role"] == "baseline" and not rule.approved and rule.created_at <= run.created_at
    assert "model " in out.getvalue() and run.version in out.getvalue()
    release = run.report["release"]
    assert run.approved == release["approved"] and run.reasons == release["reasons"]
    assert release["fairness"] in ("passed", "failed") and release["as_of_dates"]
    assert (release["approved_on"] is not None) == release["approved"] and (release["approved"] or release["reasons"])
    assert set(release["baseline"]) == {"precision_at_operating_point", "auc", "average_precision"}
    # the gated operating point is the high band; the per-school top 10 % is reported beside it, not gated
    assert "high band" in release["operating_point"]
    assert release["top_10pct_per_school"]["gated"] is False and "recall" in release["top_10pct_per_school"]

    report = io.StringIO()
    call_command("ews", "evaluate", "--json", stdout=report)
    evaluation = json.loads(report.getvalue())
    assert evaluation["model"] == run.version and evaluation["cohorts"]
    assert evaluation["as_of"] == [c["as_of"] for c in evaluation["cohorts"]] == release["as_of_dates"]
    assert evaluation["release"] == release and evaluation["approved"] == run.approved
    chosen = evaluation["chosen"]
    for fold in evaluation["cohorts"]:
        assert fold["held_out_cohort"] == fold["as_of"]
        assert all(r < fold["as_of"] for r in fold["train"]["reference_dates"])  # time-true
        model, rule_m = fold["models"][chosen], fold["models"]["rule"]
        for metric in ("auc", "average_precision", "precision_at_top", "recall_at_top", "ece",
                       "precision_at_operating_point", "recall_at_operating_point"):
            assert metric in model and metric in rule_m
        assert 0 < model["high_band_threshold"] < 1 and "recall_by_group" in model["top_10pct_per_school"]
        assert set(model["ece_by_group"]) == set(model["recall_by_group"]) == {"sex", "home_language", "oki_level",
                                                                               "district"}
        # the model beats the rule baseline on every as-of date
        assert model["auc"] > rule_m["auc"] and model["average_precision"] > rule_m["average_precision"]
    text = io.StringIO()
    call_command("ews", "evaluate", stdout=text)
    assert "R@op" in text.getvalue() and "ceiling" in text.getvalue() and run.version in text.getvalue()
    assert "high band" in text.getvalue() and "R10%/sch" in text.getvalue()
    assert "high band" in evaluation["operating_point"] and evaluation["groups_top_10pct_per_school"]
    card = tmp_path / "card.md"
    call_command("ews", "model-card", "--out", str(card))
    assert "## Release" in card.read_text() and "Chouldechova" in card.read_text()

    target = tmp_path / "scores.csv"
    something_scores()
    call_command("ews", "score", "--date", "2026-11-21", "--out", str(target))
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["pupil_key", "school_number", "reference_date", "risk", "band", "reasons"]
    keys = set(Pupil.objects.values_list("pupil_key", flat=True))
    numbers = set(School.objects.values_list("school_number", flat=True))
    for key, school, date, risk, band, _reasons in rows[1:]:
        assert key in keys and school in numbers and date == "2026-11-21"
        assert 0 <= float(risk) <= 1 and band in ("low", "medium", "high")
    assert len(rows) - 1 == RiskScore.objects.filter(reference_date="2026-11-21").count() > 100
    risks = [float(r[3]) for r in rows[1:]]
    assert risks == sorted(risks, reverse=True)
    high = [r for r in rows[1:] if r[4] == "high"]
    assert high and all(r[5] for r in high)  # every high-risk pupil comes with reasons
    # context characteristics are never the reason a school is given
    context_words = ("thuistaal", "schooltoeslag", "moeder", "buurt", "oki", "schoolverlaters op school")
    assert not any(word in r[5].lower() for r in rows[1:] for word in context_words)


def test_the_product_scores_through_the_engines_one_path(tmp_path, settings, monkeypatch):
    """`ews score` stores exactly what ``engine.score_population`` returns (the path the benchmark times)."""
    import datetime

    from leerloopbaan.ews import engine, services

    settings.DATA_DIR = tmp_path / "data"
    generate_city(tmp_path / "city", pupils=1500, seed=2)
    assert import_paths([tmp_path / "city" / "import"], source="test").ok
    history_load()
    call_command("ews", "train", stdout=io.StringIO())
    something_scores()
    calls = []
    real = engine.score_population

    def spy(model, frames, reference_date, **kwargs):
        result = real(model, frames, reference_date, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(engine, "score_population", spy)
    run, _ = services.ews_score(reference_date=datetime.date(2026, 11, 21))
    assert len(calls) == 1
    stored = dict(RiskScore.objects.filter(model_run=run, reference_date="2026-11-21").values_list("pupil_id", "risk"))
    assert stored == {int(p): float(r) for p, r in zip(calls[0]["pupil_id"], calls[0]["risk"], strict=True)}
    # the scoring is a write about every pupil scored: its audit entry names each of them
    from leerloopbaan.kernel.audit.models import AuditEntry
    from leerloopbaan.registry.models import Pupil

    entry = AuditEntry.objects.filter(purpose="early warning scoring").latest("at")
    expected = set(Pupil.objects.filter(pk__in=stored).values_list("pupil_key", flat=True))
    assert set(entry.subjects.split()) == expected and entry.subject_count == len(expected) > 0
