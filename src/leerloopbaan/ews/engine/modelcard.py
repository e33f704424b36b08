"""The model card (Markdown) rendered from a training report of ``select_and_fit``."""

from __future__ import annotations

MODEL_NAMES = {
    "lightgbm": "gradient boosting (LightGBM), Platt-calibrated",
    "lightgbm_small": "gradient boosting (LightGBM, small trees), Platt-calibrated",
    "logistic": "logistic regression",
    "rule": "rule baseline (>= 30 B half days, a C attestation, >= 2 years delay)",
    "context": "school-context-only baseline (OKI characteristics, school OKI, school VSV rate)",
}


def _v(x, pct=False):
    if x is None:
        return "-"
    return f"{100 * x:.1f} %" if pct else f"{x:.3f}"


def render_model_card(report: dict) -> str:
    """Markdown model card: data, label, features, metrics per held-out cohort and model, fairness,
    limits and intended use."""
    d = report["data"]
    sel = report["selection"]
    chosen = sel["chosen"]
    L = ["# Model card: early warning of leaving school without a qualification", ""]
    L += ["## Intended use", "",
          "A risk score starts a conversation between the school, the pupil, the parents and the CLB; it is "
          "never an automatic decision about a pupil, never a label in the pupil's file and never a reason to "
          "refuse, exclude or reorient anyone. The reasons shown to a school are the pupil's own attendance, "
          "results and school career; context characteristics (OKI, school context) may raise a score but are "
          "never shown as a reason to act.", ""]
    L += ["## Data", "",
          f"- {d['rows']:,} pupil-reference-date rows of {d['pupils']:,} pupils, {d['positives']:,} positive "
          f"({_v(d['positive_rate'], True)}).",
          f"- Entry cohorts {d['cohorts'][0]}-{d['cohorts'][-1]}; reference dates "
          f"{', '.join(d['reference_dates'][:3])}{' ...' if len(d['reference_dates']) > 3 else ''}.",
          "- Features use only records dated before the reference date (point in time).", ""]
    L += ["## Label", "", report["label"] + ".", ""]
    L += ["## Features", "", "| feature | area | context |", "| --- | --- | --- |"]
    L += [f"| {f['name']} | {f['area']} | {'yes' if f['context'] else ''} |" for f in report["features"]]
    L += ["", "Nationality and ethnicity are never features; sex is not a feature (it is audited).", ""]
    L += ["## Model", "", f"Chosen: **{MODEL_NAMES.get(chosen, chosen)}** by mean {sel['metric']} over the "
          f"held-out cohorts; candidates {', '.join(sel['candidates'])}; baselines {', '.join(sel['baselines'])}.",
          "Temporal validation: each held-out entry cohort is predicted by models trained on earlier cohorts "
          "only; no pupil is on both sides.", ""]
    if report.get("bands"):
        b = report["bands"]
        L += [f"Bands: high = risk >= {b['high']:.3f} (top decile of training), medium = risk >= {b['medium']:.3f} "
              "(next 15 %), low otherwise.", ""]
    L += ["## Metrics per held-out cohort", "",
          f"Top share {int(100 * report['top_share'])} %; capacity {report['capacity_per_school']} pupils per school "
          "and reference date.", "",
          "| cohort | model | n | AUC | AP | P@top | R@top | P@capacity | R@capacity | ECE |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for f in report["folds"]:
        for name, m in f["models"].items():
            L.append(f"| {f['held_out_cohort']} | {name}{' (chosen)' if name == chosen else ''} | {m['n']} | "
                     f"{_v(m['auc'])} | {_v(m['average_precision'])} | {_v(m['precision_at_top'])} | "
                     f"{_v(m['recall_at_top'])} | {_v(m.get('precision_at_capacity'))} | "
                     f"{_v(m.get('recall_at_capacity'))} | {_v(m['ece'])} |")
    L += ["", "All held-out cohorts pooled:", "", "| model | AUC | AP | P@top | R@top | ECE |",
          "| --- | --- | --- | --- | --- | --- |"]
    for name, m in report["held_out"].items():
        L.append(f"| {name} | {_v(m['auc'])} | {_v(m['average_precision'])} | {_v(m['precision_at_top'])} | "
                 f"{_v(m['recall_at_top'])} | {_v(m['ece'])} |")
    fa = report["fairness"]
    L += ["", "## Fairness", "",
          f"Selection: risk >= {fa['threshold']} (the top {int(100 * report['top_share'])} % of held-out rows). "
          f"Ratios to the reference group; bounds {fa['bounds'][0]}-{fa['bounds'][1]} (Aequitas); gating metrics: "
          f"{', '.join(fa['gate'])}; groups under {fa['min_group_size']} rows are reported, not gated.", "",
          "| attribute | group | n | selection | TPR | FPR | precision | calibration | disparities |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for attr, res in fa["attributes"].items():
        for g, r in res["groups"].items():
            ref = " (ref)" if g == res["reference"] else ""
            L.append(f"| {attr} | {g}{ref} | {r['n']} | {_v(r['selection_rate'])} | {_v(r['tpr'])} | {_v(r['fpr'])} | "
                     f"{_v(r['precision'])} | {_v(r['calibration'])} | {', '.join(r['disparities']) or '-'} |")
    L += ["", f"**Approved: {'yes' if report['approved'] else 'no'}.**"]
    L += [f"- {r}" for r in report["reasons"]]
    L += ["", "## Limits", "",
          "- Outcomes of recent cohorts are not yet known; cohorts with many censored pupils are left out, and "
          "the censoring (moving out, still enrolled) may differ between groups.",
          "- A score reflects patterns of past cohorts; policy changes (e.g. the modernisation of secondary "
          "education) can make it drift: retrain every year and compare with the baselines.",
          "- Calibration holds on average over the held-out cohorts, not for every school.",
          "- Absence codes depend on how schools register them.", ""]
    return "\n".join(L)
