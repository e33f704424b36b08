"""The release gate: every check can fail on its own; small groups are reported, not judged."""

from __future__ import annotations

import copy
import json

import pytest

from leerloopbaan.ews.engine import release_gate


def _group(n, positives, ece, recall, ratio, judged=True, judged_recall=True):
    return {
        "n": n,
        "positives": positives,
        "base_rate": positives / n,
        "mean_risk": positives / n,
        "ece": ece,
        "recall": recall,
        "fpr": 0.05,
        "precision": 0.6,
        "selection_rate": 0.1,
        "recall_ratio": ratio,
        "recall_ceiling": 0.8,
        "judged_ece": judged,
        "judged_recall": judged and judged_recall,
    }


def _summary(auc, ap, ece):
    return {"auc": {"mean": auc}, "average_precision": {"mean": ap}, "ece": {"mean": ece}}


def _report():
    groups = {
        "sex": {
            "reference": "M",
            "groups": {
                "M": _group(5000, 900, 0.02, 0.35, 1.0),
                "F": _group(4800, 800, 0.03, 0.33, 0.943),
                "X": _group(20, 3, 0.30, 0.0, 0.0, judged=False),
            },
        },
        "district": {
            "reference": "Antwerpen",
            "groups": {
                "Antwerpen": _group(4000, 700, 0.02, 0.35, 1.0),
                "Deurne": _group(900, 60, 0.04, 0.6, 1.714, judged_recall=False),
            },
        },
    }
    return {
        "dates": [
            {"as_of": f"{y}-10-01", "models": {"m": {"ece": 0.02}, "rule": {"ece": 0.05}}}
            for y in (2019, 2020, 2021)
        ],
        "summary": {"m": _summary(0.85, 0.62, 0.02), "rule": _summary(0.72, 0.42, 0.05)},
        "pooled": {"m": {"groups": {"attributes": groups}}},
    }


def test_a_good_candidate_is_approved():
    v = release_gate(_report(), "m")
    json.dumps(v)
    assert v["approved"] and v["fairness"] == "passed" and v["reasons"] == []
    assert all(c["passed"] for c in v["checks"].values())
    # the small group and the district with few leavers are reported, not judged
    assert any(s.startswith("sex=X") for s in v["not_judged"]) and any("Deurne" in s for s in v["not_judged"])


@pytest.mark.parametrize(
    "change, check, words",
    [
        (lambda r: r["summary"]["m"]["auc"].update(mean=0.70), "beats_rule_auc", "AUC"),
        (lambda r: r["summary"]["m"]["auc"].update(mean=0.72), "beats_rule_auc", "AUC"),  # a tie is no win
        (
            lambda r: r["summary"]["m"]["average_precision"].update(mean=0.40),
            "beats_rule_ap",
            "average precision",
        ),
        (lambda r: r["dates"][1]["models"]["m"].update(ece=0.039), "ece", "2020-10-01"),
        (
            lambda r: r["pooled"]["m"]["groups"]["attributes"]["sex"]["groups"]["F"].update(ece=0.06),
            "ece_groups",
            "sex=F",
        ),
        (
            lambda r: r["pooled"]["m"]["groups"]["attributes"]["sex"]["groups"]["F"].update(
                recall=0.26, recall_ratio=0.74
            ),
            "recall_parity",
            "sex=F",
        ),
        (
            lambda r: (
                r["pooled"]["m"]["groups"]["attributes"]["district"]["groups"]["Antwerpen"].update(
                    recall_ratio=1.0
                )
                or r["pooled"]["m"]["groups"]["attributes"]["sex"]["groups"]["F"].update(recall_ratio=1.3)
            ),
            "recall_parity",
            "outside 0.8-1.25",
        ),
    ],
)
def test_each_check_can_fail_on_its_own(change, check, words):
    report = copy.deepcopy(_report())
    change(report)
    v = release_gate(report, "m")
    assert not v["approved"]
    assert [name for name, c in v["checks"].items() if not c["passed"]] == [check]
    assert any(words in r for r in v["reasons"]), v["reasons"]
    assert v["fairness"] == ("failed" if check in ("ece_groups", "recall_parity") else "passed")


def test_a_small_group_never_fails_the_gate():
    report = _report()
    report["pooled"]["m"]["groups"]["attributes"]["sex"]["groups"]["X"].update(ece=0.5, recall_ratio=0.1)
    report["pooled"]["m"]["groups"]["attributes"]["district"]["groups"]["Deurne"].update(recall_ratio=3.0)
    assert release_gate(report, "m")["approved"]


def test_nothing_to_validate_on_is_not_approved():
    report = _report()
    report["dates"] = []
    v = release_gate(report, "m")
    assert not v["approved"] and any("no as-of date" in r for r in v["reasons"])
    report = _report()
    del report["summary"]["rule"]
    assert not release_gate(report, "m")["approved"]
