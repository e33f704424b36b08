"""The model card (Markdown) rendered from a training report: of ``time_true_select`` (the
platform's, with the time-true backtest and the release gate) or of the older ``select_and_fit``."""

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


def _name(n: str) -> str:
    base, _, rest = n.partition("+")
    return MODEL_NAMES.get(base, base) + (f" + {rest}" if rest else "")


INTENDED_USE = (
    "A risk score starts a conversation between the school, the pupil, the parents and the CLB; it is "
    "never an automatic decision about a pupil, never a label in the pupil's file and never a reason to "
    "refuse, exclude or reorient anyone. The reasons shown to a school are the pupil's own attendance, "
    "results and school changes; context (OKI characteristics, school context, grade, track, stream, dual "
    "learning, age) may raise a score but a school sees it only as one line, 'schoolcontext', with its "
    "summed part.")

EXPLANATIONS = (
    "Each score shows a starting point (the model's average pupil) plus one part per area, Shapley values "
    "on the probability scale rounded to whole points by largest remainder, that add up to the shown risk. "
    "Each risk carries an interval from bootstrap replicates of the model (whole pupils resampled); pupils "
    "whose interval reaches into another band are marked 'band onzeker' (band uncertain). See "
    "docs/early-warning.md.")

IMPOSSIBILITY = (
    "False positive rate, precision and selection rate per group are reported, not gated. When groups "
    "leave school without a qualification at different rates, a risk score cannot give every group the "
    "same calibration, the same recall, the same false positive rate and the same precision at once: "
    "if a risk of 30 % means 30 % in every group and the leavers of every group are found equally often, "
    "the group with more leavers necessarily has more pupils on the list, and so a higher selection rate "
    "and a different false positive rate and precision (Chouldechova 2017, \"Fair prediction with "
    "disparate impact\"; Kleinberg, Mullainathan and Raghavan 2016, \"Inherent trade-offs in the fair "
    "determination of risk scores\"). The gate therefore holds what matters for a conversation that "
    "should reach every pupil who needs it: calibration within every group and equal recall in the high "
    "band, and shows the rest.")

QUOTA_TEXT = (
    "The per-school top 10 % is shown beside it as a secondary figure and is not gated: the product does "
    "not use a quota, and a quota caps recall where many pupils leave. A school where many pupils leave has "
    "more leavers than places in its top 10 %, so its recall is capped (and lifted where few leave); the "
    "column *ceiling* shows the recall a perfect ranking would reach under that quota.")


def render_model_card(report: dict, note: str | None = None) -> str:
    """Markdown model card. A time-true report (``report["backtest"]``): the release verdict, how the
    numbers were made, metrics per as-of date, the release gate's checks, the per-group table at the
    operating point, the mitigations tried, why not every group rate can be equal, limits. An older
    report: its per-cohort validation. ``note``: how this card was made (appended)."""
    text = _render_time_true(report) if "backtest" in report else _render_cohorts(report)
    if "backtest" in report:
        text += ("\n## This card\n\nRendered from the training report of "
                 f"{report.get('created', '-')} (`leerloopbaan ews model-card` renders the latest run); "
                 "docs/early-warning.md describes the method and how to regenerate the card.\n")
    if note:
        text += f"\n{note}\n"
    return text


def _render_cohorts(report: dict) -> str:
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


CHECK_TEXT = {
    "beats_rule_auc": "beats the rule baseline on AUC (mean over the as-of dates)",
    "beats_rule_ap": "beats the rule baseline on average precision (mean over the as-of dates)",
    "ece": "calibration error at most {max} on every as-of date",
    "ece_groups": "calibration error at most {max} within every judged group",
    "recall_parity": "recall in the high band (the operating point) within {lo}-{hi} of the largest group, in "
                     "every judged group",
}


SHORT = {"beats_rule_auc": "AUC vs the rule", "beats_rule_ap": "average precision vs the rule",
         "ece": "calibration on every as-of date", "ece_groups": "calibration within groups",
         "recall_parity": "recall parity"}


def _check_value(name: str, c: dict) -> str:
    if name.startswith("beats_rule"):
        return f"{_v(c.get('value'))} vs {_v(c.get('baseline'))}"
    if name == "ece":
        return ", ".join(f"{a}: {_v(e)}" for a, e in c.get("by_as_of", {}).items()) or "-"
    fails = c.get("failures") or []
    return f"{len(fails)} group(s) outside" if fails else "all judged groups inside"


def _render_time_true(report: dict) -> str:
    bt = report["backtest"]
    sel = report["selection"]
    chosen = sel["chosen"]
    release = report["release"]
    d = report["data"]
    gate = sel["gate"].get(chosen, {})
    top = int(round(100 * report.get("top_share", 0.1)))
    L = ["# Model card: early warning of leaving school without a qualification", ""]
    L += [f"Trained on {report['trained_on']}; chosen model: **{_name(chosen)}**.", ""]
    L += ["## Release", ""]
    if release["approved"]:
        L += [f"**Approved** on {release['approved_on']} by the release gate: it may score pupils.", ""]
    else:
        L += ["**Not approved** by the release gate: this model does not score pupils; the risk lists use the "
              "rule baseline (stored beside it) until a model is approved.", ""]
    L += ["| check | result | passed |", "| --- | --- | --- |"]
    for name, c in gate.get("checks", {}).items():
        text = CHECK_TEXT.get(name, name).format(max=c.get("max"), lo=(c.get("bounds") or [0.8, 1.25])[0],
                                                hi=(c.get("bounds") or [0.8, 1.25])[1])
        L.append(f"| {text} | {_check_value(name, c)} | {'yes' if c['passed'] else '**no**'} |")
    L += ["", f"Fairness: **{release['fairness']}**. At the operating point (the high band: risk at or above "
          "the high-band threshold of the model trained for each as-of date, whatever the school) the chosen "
          f"model's precision is {_v(release['precision_at_operating_point'], True)} and its "
          f"recall {_v(release['recall_at_operating_point'], True)} (means over the as-of dates); the rule "
          f"baseline's precision is {_v(release['baseline']['precision_at_operating_point'], True)}."]
    quota = release.get("top_10pct_per_school") or {}
    if quota:
        L += [f"In the top {top} % of each school's list (secondary, not gated) its precision is "
              f"{_v(quota.get('precision'), True)} and its recall {_v(quota.get('recall'), True)}."]
    L += [""]
    if release["reasons"]:
        L += ["Reasons:", ""] + [f"- {r}" for r in release["reasons"]] + [""]
    L += ["## Intended use", "", INTENDED_USE, ""]
    iv = report.get("intervals") or {}
    L += ["## Explanations and uncertainty", "", EXPLANATIONS
          + (f" Replicates: {iv['replicates']}, nominal level {round(100 * iv['level'])} % (measured coverage on "
             "synthetic data about 85 %: the interval shows how much the estimate depends on the training "
             "pupils, not the model's bias)." if iv else ""), ""]
    L += ["## How the numbers were made (time-true backtest)", "",
          f"As-of dates: {', '.join(bt['as_of_dates'])} (1 October of each school year whose pupils' outcomes "
          f"are now known for at least {round(100 * bt['min_known_share'])} % of them)."]
    if bt.get("skipped"):
        L += ["Skipped: " + "; ".join(f"{s['as_of']} ({s['reason']})" for s in bt["skipped"]) + "."]
    L += ["",
          "For each as-of date A the platform is cut back to what it knew at the end of A: rows recorded "
          "later are left out, enrolments closed or corrected later are still open, nothing dated after A "
          "exists. The models are trained on every pupil in secondary education on 1 December of the earlier "
          "school years, with features computed from that cut, and labelled with the outcomes observable on "
          "A only (leaving year X counts when X + 2 <= the school year of A). The school's past VSV rate of "
          "a row on a reference date R uses only the outcomes known on R. The test is every pupil scored on "
          "A, against the outcome known today; pupils whose outcome is still unknown are left out and their "
          "share is reported.",
          "",
          f"Censored-cohort guard: an entry cohort (the school year a pupil entered S1) in which more than "
          f"{round(100 * bt['max_censored_share'])} % of the rows have no observable outcome on A is left out of "
          "A's training set: the outcomes known early are those of early leavers, and a half-finished cohort "
          "would teach the model that its pupils all leave early and unqualified. An as-of date whose "
          "training set has fewer than three entry cohorts is skipped.",
          "",
          "Operating point (gated): the high band, as a school sees it. Each school's list is sorted by risk and "
          "the pupils whose risk is at or above the model's fixed high-band threshold are marked at the top of "
          "every list; on each as-of date the threshold is that of the model trained for the date, set on its "
          f"own training rows (the {round(100 * bt.get('high_band', 0.9))}th percentile of their risks), as the "
          "product does. How many pupils of a school are in the high band follows their risks, not a quota.",
          "",
          f"Secondary, not gated: the top {top} % of each school's list on the as-of date (rounded up per "
          "school; ties at a school's cut share the remaining places).", ""]
    L += ["## Data of the model trained today", "",
          f"- {d['rows']:,} pupil-reference-date rows of {d['pupils']:,} pupils, {d['positives']:,} left without "
          f"a qualification ({_v(d['positive_rate'], True)}); entry cohorts "
          f"{d['cohorts'][0] if d['cohorts'] else '-'}-{d['cohorts'][-1] if d['cohorts'] else '-'}; reference dates "
          f"{d['reference_dates'][0] if d['reference_dates'] else '-'} to "
          f"{d['reference_dates'][-1] if d['reference_dates'] else '-'}.",
          f"- Left out by the censored-cohort guard: cohorts {', '.join(map(str, d.get('cohorts_left_out', []))) or '-'}.",
          "- Features use only records dated before the reference date (point in time).", ""]
    if d.get("sampled_from_rows"):
        L += [f"- Trained on a reproducible sample of whole pupils ({d['rows']:,} of {d['sampled_from_rows']:,} rows).", ""]
    L += ["## Label", "", report["label"] + ".", ""]
    L += ["## Features", "", "| feature | area | context |", "| --- | --- | --- |"]
    L += [f"| {f['name']} | {f['area']} | {'yes' if f['context'] else ''} |" for f in report["features"]]
    L += ["", "Nationality and ethnicity are never features; sex is not a feature (it is audited).", ""]
    L += ["## Models", "",
          f"Candidates {', '.join(sel['candidates'])}; baselines {', '.join(sel['baselines'])}. Every candidate "
          "that passes the release gate competes on mean average precision; when none passes, the mitigations "
          "below are tried and gated the same way; a model that still fails is kept for the record but does "
          "not score.", ""]
    if report.get("bands"):
        b = report["bands"]
        L += [f"Bands: high = risk >= {b['high']:.3f} (top decile of training), medium = risk >= {b['medium']:.3f} "
              "(next 15 %), low otherwise.", ""]
    L += ["## Metrics per as-of date", "",
          "P@10 %: precision in the city-wide top 10 %; high: the high-band threshold and the share of the "
          "list in the high band; P@op / R@op: precision and recall at the operating point (the high band); "
          f"R@{top} %/school: recall in the top {top} % of each school's list (secondary, not gated); ECE: "
          "expected calibration error (10 bins).", "",
          f"| as of | test pupils (known) | training rows | model | AUC | AP | P@10 % | high | P@op | R@op | "
          f"R@{top} %/school | ECE |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for dd in bt["dates"]:
        t = dd["test"]
        for name, m in dd["models"].items():
            mark = " (chosen)" if name == chosen else ""
            L.append(f"| {dd['as_of']} | {t['pupils']:,} ({_v(t['share_known'], True)}) | {dd['train']['rows']:,} | "
                     f"{name}{mark} | {_v(m['auc'])} | {_v(m['average_precision'])} | {_v(m['precision_at_top'])} | "
                     f"{_v(m.get('high_band_threshold'))} ({_v(m.get('selection_of_whole_list'), True)}) | "
                     f"{_v(m.get('precision_at_operating_point'))} | {_v(m.get('recall_at_operating_point'))} | "
                     f"{_v((m.get('top_10pct_per_school') or {}).get('recall'))} | {_v(m['ece'])} |")
    L += ["", "Across the as-of dates (mean, sd, min-max):", "",
          f"| model | AUC | AP | P@op | R@op | R@{top} %/school | ECE |",
          "| --- | --- | --- | --- | --- | --- | --- |"]

    def msd(x):
        if not x:
            return "-"
        sd = f" ± {x['sd']:.3f}" if x.get("sd") is not None else ""
        return f"{x['mean']:.3f}{sd} ({x['min']:.3f}-{x['max']:.3f})"

    for name, sm in bt["summary"].items():
        L.append(f"| {name}{' (chosen)' if name == chosen else ''} | {msd(sm.get('auc'))} | "
                 f"{msd(sm.get('average_precision'))} | {msd(sm.get('precision_at_operating_point'))} | "
                 f"{msd(sm.get('recall_at_operating_point'))} | {msd(sm.get('recall_top_10pct_per_school'))} | "
                 f"{msd(sm.get('ece'))} |")
    pooled = bt["pooled"].get(chosen) or {}
    groups = pooled.get("groups", {})
    quota = (pooled.get("top_10pct_per_school") or {}).get("groups", {})
    L += ["", "## Per group at the operating point (the high band)", "",
          f"The chosen model, the test pupils of every as-of date together. Recall, ratio, FPR, precision and "
          f"selected: in the high band (gated). Ratio: recall divided by the recall of the largest group (ref). "
          f"{top} %/school: recall in the top {top} % of each school's list (secondary, not gated); ceiling: the "
          f"recall of a perfect ranking under that quota. Groups under {groups.get('min_group_size', '-')} pupils are not judged; recall is judged from "
          f"{groups.get('min_positives', '-')} leavers on (fewer leavers give a recall too noisy for a 0.8-1.25 "
          "ratio).", "",
          f"| attribute | group | n | leavers | mean risk | observed | ECE | recall | ratio | FPR | precision | "
          f"selected | judged | recall {top} %/school | ceiling |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for attr, res in groups.get("attributes", {}).items():
        for g, m in res["groups"].items():
            ref = " (ref)" if g == res["reference"] else ""
            judged = "yes" if m["judged_recall"] else ("ECE only" if m["judged_ece"] else "not judged")
            q = ((quota.get(attr) or {}).get("groups") or {}).get(g, {})
            L.append(f"| {attr} | {g}{ref} | {m['n']:,} | {m['positives']:,} | {_v(m['mean_risk'])} | "
                     f"{_v(m['base_rate'])} | {_v(m['ece'])} | {_v(m['recall'])} | {_v(m['recall_ratio'])} | "
                     f"{_v(m['fpr'])} | {_v(m['precision'])} | {_v(m['selection_rate'])} | {judged} | "
                     f"{_v(q.get('recall'))} | {_v(q.get('recall_ceiling'))} |")
    capped = []
    judged = {(a, g) for a, res in groups.get("attributes", {}).items()
              for g, m in res["groups"].items() if m.get("judged_recall")}
    for attr, res in quota.items():
        ref = res["groups"].get(res["reference"], {})
        for g, m in res["groups"].items():
            c, rc = m.get("recall_ceiling"), ref.get("recall_ceiling")
            if (attr, g) in judged and c is not None and rc and not 0.8 <= c / rc <= 1.25:
                capped.append(f"{attr}={g} (ceiling {_v(c)} vs {_v(rc)} for {attr}={res['reference']}, "
                              f"{c / rc:.2f} times)")
    if capped:
        L += ["", f"Under the secondary per-school top {top} % (not gated), even a perfect ranking would fail "
              "recall parity in these groups, because the quota caps recall in schools with many leavers (and "
              "lifts it in schools with few): " + "; ".join(capped) + ". The high band has no such cap: a "
              "perfect ranking puts every leaver in it."]
    L += ["", "### Why not every rate can be equal", "", IMPOSSIBILITY, "", QUOTA_TEXT, ""]
    L += ["## Mitigation", ""]
    mits = sel.get("mitigations") or {}
    if not mits:
        L += ["None was needed or tried: " + ("a candidate passed the gate." if release["approved"] else
                                             "no candidate failed on fairness or calibration alone."), ""]
    else:
        L += ["When no candidate passed, the best one (by mean average precision) was trained again with:", ""]
        for name, m in mits.items():
            steps = "; then ".join(_step(s) for s in m["steps"])
            v = sel["gate"].get(name, {})
            sm = bt["summary"].get(name, {})
            failed = [SHORT.get(c, c) for c, r in v.get("checks", {}).items() if not r["passed"]]
            parity = (v.get("checks", {}).get("recall_parity") or {}).get("failures") or []
            parity = [f.split(":")[0] for f in parity]
            L.append(f"- **{name}** ({m['why']}): {steps}. AUC {msd(sm.get('auc'))}, AP "
                     f"{msd(sm.get('average_precision'))}, ECE {msd(sm.get('ece'))}; "
                     + ("approved." if v.get("approved") else
                        f"not approved (failed: {', '.join(failed)}"
                        + (f"; recall parity still fails for {', '.join(parity)}" if parity else
                           "; recall parity passes") + ")."))
        L += ["", "A protected attribute is never an input when a pupil is scored: the groups are read at "
              "training time only (no group-specific thresholds, no ThresholdOptimizer).", ""]
    L += ["## Limits", "",
          "- The first as-of dates have few finished cohorts, seen only in their last school years; the "
          "model released today learns from many more. The backtest is the honest estimate of what the method "
          "gives, not of today's model.",
          "- The test pupils of the later as-of dates whose outcome is known are mostly those who have already "
          "left; the share known is shown per date.",
          "- The models learn from 1 December rows and are tested on 1 October, when the school year's "
          "absences cover September only (the platform scores on any day): the figures include that shift.",
          "- Censoring (moving out, still enrolled) may differ between groups.",
          "- A score reflects patterns of past cohorts; policy changes (e.g. the modernisation of secondary "
          "education) can make it drift: retrain every year and compare with the baselines.",
          "- Calibration is measured over all schools together, not per school.",
          "- Absence codes depend on how schools register them.", ""]
    return "\n".join(L)


def _step(s: dict) -> str:
    if s.get("kind") == "reweighing":
        return f"reweighing (Kamiran & Calders) of {' x '.join(s['attributes'])} at training time"
    if s.get("kind") == "recalibration":
        return f"{s.get('method', 'Platt')} recalibration on {s.get('on')}"
    return str(s)
