"""Django-free early-warning engine.

Typical use (the Django side loads :class:`Frames` from the registry and passes
``labels_on(frames, date)``, the outcomes known on a date)::

    model, rule, report = time_true_select(frames, labels_on, today="2026-12-06")  # backtest, gate, refit
    report["release"]["approved"]                               # the release gate's verdict
    save(model, path); model = load(path)
    scores = score_population(model, frames, "2026-12-01")     # pupil_id, school_id, risk, band, reasons,
                                                               # risk_low, risk_high, uncertain_band, breakdown, ...
    markdown = render_model_card(report)

Modules: ``frames`` (input contract, ``Frames.known_on``), ``features``, ``models``, ``metrics``,
``backtest`` (time-true backtesting), ``gate`` (release gate), ``mitigation``, ``validation``,
``explain``, ``fairness``, ``scoring``, ``modelcard``.
"""

from .backtest import Backtest, default_as_of_dates, labels_on_from, observable, training_set_on
from .explain import (
    SHOWN_AREAS,
    area_label,
    breakdown,
    explain,
    explain_in,
    explain_scores,
    largest_remainder,
    percent,
)
from .fairness import fairness_audit, group_metrics
from .features import (
    AREAS,
    CONTEXT_FEATURES,
    FEATURE_NAMES,
    FEATURES,
    META_COLUMNS,
    Prepared,
    TrainingSet,
    build_features,
    december_firsts,
    entry_cohorts,
    school_leavers,
    training_set,
)
from .frames import Frames
from .gate import release_gate
from .metrics import (
    evaluate,
    expected_calibration_error,
    high_band_threshold,
    high_band_weights,
    operating_point_weights,
)
from .mitigation import recalibrated, reweighed, reweighing_weights
from .modelcard import render_model_card
from .models import ContextBaseline, LightGBMCandidate, LogisticCandidate, RuleBaseline, from_dict, load, save
from .scoring import bands, score, score_features, score_population
from .validation import (
    default_baselines,
    default_candidates,
    select_and_fit,
    temporal_splits,
    time_true_select,
)

__all__ = [
    "AREAS", "CONTEXT_FEATURES", "FEATURE_NAMES", "FEATURES", "META_COLUMNS", "Backtest", "ContextBaseline", "Frames",
    "LightGBMCandidate", "LogisticCandidate", "Prepared", "RuleBaseline", "TrainingSet", "bands",
    "build_features", "december_firsts", "default_as_of_dates", "default_baselines", "default_candidates",
    "entry_cohorts", "evaluate", "expected_calibration_error", "explain", "explain_in", "fairness_audit",
    "from_dict", "group_metrics", "high_band_threshold", "high_band_weights", "labels_on_from", "load", "observable", "operating_point_weights", "recalibrated",
    "release_gate", "render_model_card", "reweighed", "reweighing_weights", "save", "school_leavers", "score",
    "score_features", "score_population", "select_and_fit", "temporal_splits", "time_true_select", "training_set",
    "training_set_on", "SHOWN_AREAS", "area_label", "breakdown", "explain_scores", "largest_remainder", "percent",
]
