"""The release gate: a model scores pupils only when the time-true backtest says it may.

A candidate is approved only when, on the time-true backtest (``backtest.Backtest.report``):

1. it beats the rule baseline on AUC **and** on average precision (means over the as-of dates);
2. its expected calibration error is at most ``max_ece`` (0.03) on **every** as-of date;
3. its ECE is at most ``max_group_ece`` (0.05) within every group that is big enough to be judged
   (``min_group_size`` test pupils over all as-of dates together; smaller groups are reported as
   "not judged");
4. at the product's operating point, the high band (risk >= the high-band threshold of the model
   trained for each as-of date, whatever the school; see ``backtest``), its recall in every group
   with at least ``min_group_size`` pupils and ``min_positives`` leavers is within 0.8-1.25 of the
   recall of the reference group (the largest group of the attribute): pupils who will leave are
   found about as often whatever their sex, home language, OKI level or district. The per-school
   top 10 % (``top_10pct_per_school`` in the report) is a secondary figure and is not gated.

Checks 3 and 4 are the fairness verdict. False positive rate, precision and selection rate per
group are reported and not gated: with different base rates they cannot all be equal at once
(Chouldechova 2017; Kleinberg, Mullainathan, Raghavan 2016), see the model card.
"""

from __future__ import annotations

CHECKS = ("beats_rule_auc", "beats_rule_ap", "ece", "ece_groups", "recall_parity")
FAIRNESS_CHECKS = ("ece_groups", "recall_parity")


def _mean(report: dict, name: str, key: str):
    s = (report.get("summary", {}).get(name) or {}).get(key)
    return None if s is None else s["mean"]


def release_gate(
    report: dict,
    name: str,
    *,
    baseline: str = "rule",
    max_ece: float = 0.03,
    max_group_ece: float = 0.05,
    bounds=(0.8, 1.25),
) -> dict:
    """Gate ``name`` on a backtest report. Returns ``{"approved", "reasons", "checks": {check:
    {"passed", ...}}, "fairness": "passed"|"failed", "not_judged": [...]}`` (JSON-safe). A check
    that cannot be computed (no as-of date, no baseline) fails."""
    checks: dict[str, dict] = {}
    reasons: list[str] = []
    dates = report.get("dates", [])

    for key, check, label in (
        ("auc", "beats_rule_auc", "AUC"),
        ("average_precision", "beats_rule_ap", "average precision"),
    ):
        mine, base = _mean(report, name, key), _mean(report, baseline, key)
        ok = mine is not None and base is not None and mine > base
        checks[check] = {"passed": ok, "value": mine, "baseline": base}
        if not ok:
            reasons.append(
                f"{name} does not beat the {baseline} baseline on {label} "
                f"(mean over the as-of dates {mine} vs {base})"
            )

    eces = {d["as_of"]: d["models"][name].get("ece") for d in dates if name in d["models"]}
    bad = {a: e for a, e in eces.items() if e is None or e > max_ece}
    checks["ece"] = {"passed": bool(eces) and not bad, "max": max_ece, "by_as_of": eces}
    if not eces:
        reasons.append("no as-of date to validate on")
    for a, e in bad.items():
        reasons.append(f"calibration error {e} on {a} above {max_ece}")

    groups = ((report.get("pooled", {}).get(name) or {}).get("groups") or {}).get("attributes", {})
    lo, hi = bounds
    ece_bad, recall_bad, not_judged = [], [], []
    ece_attrs, recall_attrs = set(), set()
    for attr, res in groups.items():
        ref = res["reference"]
        for g, m in res["groups"].items():
            if not m["judged_ece"]:
                not_judged.append(f"{attr}={g} (n={m['n']}, leavers={m['positives']})")
                continue
            if m["ece"] is None or m["ece"] > max_group_ece:
                ece_bad.append(f"{attr}={g}: calibration error {m['ece']} above {max_group_ece}")
                ece_attrs.add(attr)
            if not m["judged_recall"]:
                not_judged.append(f"{attr}={g} recall (leavers={m['positives']})")
                continue
            r = m.get("recall_ratio")
            if g != ref and (r is None or not lo <= r <= hi):
                recall_bad.append(
                    f"{attr}={g}: recall in the high band {m['recall']} is {r} times "
                    f"that of {attr}={ref}, outside {lo}-{hi}"
                )
                recall_attrs.add(attr)
    checks["ece_groups"] = {
        "passed": bool(groups) and not ece_bad,
        "max": max_group_ece,
        "failures": ece_bad,
        "attributes": sorted(ece_attrs),
    }
    checks["recall_parity"] = {
        "passed": bool(groups) and not recall_bad,
        "bounds": [lo, hi],
        "failures": recall_bad,
        "attributes": sorted(recall_attrs),
    }
    if not groups:
        reasons.append("no group table to audit")
    reasons += ece_bad + recall_bad
    fairness = "passed" if all(checks[c]["passed"] for c in FAIRNESS_CHECKS) else "failed"
    return {
        "approved": all(c["passed"] for c in checks.values()),
        "reasons": reasons,
        "checks": checks,
        "fairness": fairness,
        "not_judged": not_judged,
    }
