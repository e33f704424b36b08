"""Models, exact explanations, metrics, fairness, persistence and the model card (synthetic matrices)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from leerloopbaan.ews.engine import (
    CONTEXT_FEATURES,
    FEATURE_NAMES,
    ContextBaseline,
    LightGBMCandidate,
    LogisticCandidate,
    RuleBaseline,
    TrainingSet,
    evaluate,
    expected_calibration_error,
    explain,
    fairness_audit,
    load,
    render_model_card,
    save,
    score,
    select_and_fit,
    temporal_splits,
)
from leerloopbaan.ews.engine.metrics import top_share_selection


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(0.0, index=pd.RangeIndex(n, name="pupil_id"), columns=FEATURE_NAMES)
    X["b_this_year"] = rng.poisson(3, n) * (rng.random(n) < 0.3) * 8
    X["b_last_year"] = rng.poisson(4, n) * (rng.random(n) < 0.3) * 8
    X["b_to_30"] = np.maximum(0, 30 - X["b_this_year"])
    X["delay_years"] = rng.integers(0, 4, n)
    X["attest_c"] = rng.integers(0, 2, n) * (rng.random(n) < 0.3)
    X["age"] = 12 + rng.random(n) * 6
    X["grade"] = rng.integers(1, 8, n)
    X["home_language_not_dutch"] = rng.integers(0, 2, n)
    X["oki"] = rng.integers(0, 5, n)
    X["school_vsv_rate"] = rng.random(n) * 0.4
    X.loc[rng.random(n) < 0.05, "school_vsv_rate"] = np.nan
    z = -3 + 0.05 * X["b_this_year"] + 0.6 * X["delay_years"] + 0.8 * X["attest_c"] + 0.4 * X["oki"]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    models = {
        "rule": RuleBaseline().fit(X, y),
        "context": ContextBaseline().fit(X, y),
        "logistic": LogisticCandidate().fit(X, y),
        "lightgbm": LightGBMCandidate(n_estimators=60, calibration_folds=2).fit(X, y, groups=np.arange(len(y)) % 500),
    }
    for m in models.values():
        m.set_bands(m.predict_proba(X)[:, 1])
    return X, y, models


def test_contributions_are_exact(fitted):
    X, _, models = fitted
    for name, m in models.items():
        c = m.contributions(X)
        assert list(c.columns) == [*FEATURE_NAMES, "bias"], name
        np.testing.assert_allclose(c.sum(axis=1).to_numpy(), m.decision_function(X), atol=1e-9, err_msg=name)
        p = m.predict_proba(X)
        np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-m.decision_function(X))), atol=1e-12)
        assert np.all((p >= 0) & (p <= 1))
    lgbm = models["lightgbm"]
    raw = lgbm.raw_contributions(X)  # booster.predict(pred_contrib=True): sum + bias == raw score
    np.testing.assert_allclose(raw.sum(axis=1), lgbm.booster_.predict(X.to_numpy(), raw_score=True), atol=1e-9)
    # the context baseline only uses context features
    c = models["context"].contributions(X)
    assert (c.drop(columns=[*CONTEXT_FEATURES, "bias"]) == 0).all().all()


def test_rule_baseline_signals_and_rates(fitted):
    X, y, models = fitted
    rule = models["rule"]
    s = rule.signals(X)
    assert (s["absence"] == ((X["b_this_year"] >= 30) | (X["b_last_year"] >= 30))).all()
    assert (s["delay"] == (X["delay_years"] >= 2)).all()
    k = s.sum(axis=1).to_numpy()
    rates = rule.predict_proba(X)[:, 1]
    assert len(np.unique(rates)) <= 4
    assert rates[k == 3].mean() > rates[k == 0].mean()  # more signals, higher observed rate


def test_persistence_roundtrip(fitted, tmp_path):
    X, _, models = fitted
    for name, m in models.items():
        path = tmp_path / f"{name}.json"
        save(m, path)
        json.loads(path.read_text())  # plain JSON, no pickle
        m2 = load(path)
        np.testing.assert_allclose(m2.predict_proba(X), m.predict_proba(X), atol=1e-12)
        assert m2.band_thresholds_ == m.band_thresholds_
        pd.testing.assert_frame_equal(score(m2, X), score(m, X))


def test_explanations_in_words_without_context(fitted):
    X, _, models = fitted
    X = X.copy()
    X.loc[0, ["b_this_year", "b_to_30", "delay_years", "oki"]] = [31, 0, 3, 4]
    for name in ("lightgbm", "logistic"):
        m = models[name]
        nl = explain(m, X.iloc[:50], lang="nl")
        en = explain(m, X.iloc[:50], lang="en")
        assert len(nl) == 50
        assert all(not r["context"] for rs in nl for r in rs)
        texts = [r["text"] for r in nl[0]]
        assert "31 halve dagen problematisch afwezig dit schooljaar" in texts, texts
        assert "31 half days of problematic absence this school year" in [r["text"] for r in en[0]]
        assert all(r["contribution"] > 0 for rs in nl for r in rs)
        full = explain(m, X.iloc[:50], school_facing=False)
        assert any(r["context"] for rs in full for r in rs)  # oki raises the score, flagged as context
        s = score(m, X.iloc[:50])
        assert list(s.columns) == ["pupil_id", "risk", "band", "reasons"]
        assert s.loc[0, "reasons"].split("; ") == texts
        assert set(s["band"]) <= {"low", "medium", "high"}
        assert "OKI" not in " ".join(s["reasons"])


def test_metrics():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    m = evaluate(y, p, top_share=0.2)
    assert m["precision_at_top"] == 0.5 and m["recall_at_top"] == pytest.approx(1 / 3, abs=1e-4)
    # ties at the cut share the places: top 5 = 3 above + 2 of 7 tied (1 positive among 7)
    w = top_share_selection(p, 5)
    assert w.sum() == pytest.approx(5) and w[3] == pytest.approx(2 / 7)
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == 0
    assert expected_calibration_error([0, 0], [0.5, 0.5]) == pytest.approx(0.5)
    p[5] = 0.2  # the top of school 2 is not a leaver
    m = evaluate(y, p, school=np.array([1] * 5 + [2] * 5), date=np.zeros(10), capacity=1)
    assert m["list_size"] == 2 and m["precision_at_capacity"] == 0.5
    json.dumps(m)


def test_fairness_audit():
    rng = np.random.default_rng(1)
    n = 4000
    y = (rng.random(n) < 0.2).astype(int)
    s = np.clip(y * 0.5 + rng.random(n) * 0.6, 0, 1)
    groups = pd.DataFrame({"sex": rng.choice(["M", "F"], n)})
    fair = fairness_audit(y, s, groups, threshold=0.7)
    assert fair["approved"], fair["reasons"]
    assert set(fair["attributes"]["sex"]["groups"]["F"]) >= {"selection_rate", "tpr", "fpr", "precision",
                                                               "calibration", "ratios"}
    s2 = s.copy()
    f = groups["sex"].to_numpy() == "F"
    s2[f & (y == 1)] = rng.random((f & (y == 1)).sum()) * 0.6  # positive girls are missed
    unfair = fairness_audit(y, s2, groups, threshold=0.7)
    assert not unfair["approved"]
    assert any("tpr" in r and "sex=" in r for r in unfair["reasons"])
    json.dumps(unfair)


def test_temporal_splits_are_pupil_disjoint_and_forward():
    cohorts = np.repeat(np.arange(2010, 2018), 10)
    splits = list(temporal_splits(cohorts, n_folds=3, min_train_cohorts=3))
    assert [c for c, _, _ in splits] == [2015, 2016, 2017]
    for c, tr, te in splits:
        assert not (tr & te).any() and cohorts[tr].max() < c and (cohorts[te] == c).all()


def test_select_and_fit_and_model_card():
    X, y = _data(2400, seed=3)
    rng = np.random.default_rng(3)
    pupils = np.arange(len(y)) // 2
    meta = pd.DataFrame({
        "pupil_id": pupils, "cohort": 2010 + pupils % 6, "reference_date": pd.Timestamp("2020-12-01"),
        "school_id": pupils % 7, "sex": rng.choice(["M", "F"], len(y)), "home_language": "dutch",
        "oki_level": "0", "district": "Deurne",
    })
    ts = TrainingSet(X, y, meta)
    model, report = select_and_fit(
        ts, candidates={"logistic": LogisticCandidate(), "lightgbm": LightGBMCandidate(n_estimators=40, calibration_folds=2)},
        n_folds=2)
    json.dumps(report)
    assert [f["held_out_cohort"] for f in report["folds"]] == [2014, 2015]
    assert set(report["folds"][0]["models"]) == {"logistic", "lightgbm", "rule", "context"}
    assert report["selection"]["chosen"] in ("logistic", "lightgbm")
    assert model.band_thresholds_["high"] >= model.band_thresholds_["medium"]
    md = render_model_card(report)
    for heading in ("## Intended use", "## Data", "## Label", "## Features", "## Metrics per held-out cohort",
                    "## Fairness", "## Limits"):
        assert heading in md
    assert "never an automatic decision" in md


def test_sample_pupils_keeps_whole_pupils_and_is_reproducible():
    import numpy as np
    import pandas as pd

    from leerloopbaan.ews.engine.features import TrainingSet

    pupils = np.repeat(np.arange(100), 3)
    ts = TrainingSet(pd.DataFrame({"x": np.arange(300)}), np.zeros(300), pd.DataFrame({"pupil_id": pupils}))
    a, b = ts.sample_pupils(90), ts.sample_pupils(90)
    assert len(a.y) == 90 and a.meta["pupil_id"].value_counts().eq(3).all()
    assert a.meta["pupil_id"].tolist() == b.meta["pupil_id"].tolist()
    assert ts.sample_pupils(1000) is ts


def test_explain_in_two_languages_matches_explain_in_each():
    import numpy as np
    import pandas as pd

    from leerloopbaan.ews.engine import FEATURE_NAMES, LogisticCandidate, explain, explain_in

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, len(FEATURE_NAMES))).clip(0, None), columns=FEATURE_NAMES)
    y = (X.iloc[:, 0] + rng.normal(size=60) > 0.8).astype(int).to_numpy()
    model = LogisticCandidate().fit(X, y)
    both = explain_in(model, X, langs=("nl", "en"))
    nl, en = explain(model, X, lang="nl"), explain(model, X, lang="en")
    assert [[r["text_nl"] for r in row] for row in both] == [[r["text"] for r in row] for row in nl]
    assert [[r["text_en"] for r in row] for row in both] == [[r["text"] for r in row] for row in en]
