"""Django-free early-warning engine.

Typical use (the Django side loads :class:`Frames` from the registry)::

    ts = training_set(frames, december_firsts(2014, 2025))      # rows with known outcomes
    model, report = select_and_fit(ts)                         # temporal validation + choice
    save(model, path); model = load(path)
    scores = score_population(model, frames, "2026-12-01")     # pupil_id, school_id, risk, band, reasons,
                                                               # risk_low, risk_high, uncertain_band, breakdown, ...
    markdown = render_model_card(report)

Modules: ``frames`` (input contract), ``features``, ``models``, ``metrics``, ``validation``,
``explain``, ``fairness``, ``scoring``, ``modelcard``.
"""

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
from .fairness import fairness_audit
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
    training_set,
)
from .frames import Frames
from .metrics import evaluate, expected_calibration_error
from .modelcard import render_model_card
from .models import ContextBaseline, LightGBMCandidate, LogisticCandidate, RuleBaseline, from_dict, load, save
from .scoring import bands, score, score_features, score_population
from .validation import default_baselines, default_candidates, select_and_fit, temporal_splits

__all__ = [
    "AREAS", "CONTEXT_FEATURES", "FEATURE_NAMES", "FEATURES", "META_COLUMNS", "ContextBaseline", "Frames",
    "LightGBMCandidate", "LogisticCandidate", "Prepared", "RuleBaseline", "TrainingSet", "bands",
    "build_features", "december_firsts", "default_baselines", "default_candidates", "entry_cohorts",
    "evaluate", "expected_calibration_error", "explain", "explain_in", "fairness_audit", "from_dict", "load",
    "render_model_card", "save", "score", "score_features", "score_population", "select_and_fit", "temporal_splits", "training_set",
    "SHOWN_AREAS", "area_label", "breakdown", "explain_scores", "largest_remainder", "percent",
]
