"""`leerloopbaan ews train|score|evaluate|model-card` (shared/spec/cli.md).

``evaluate`` shows the time-true backtest of the latest training run (docs/early-warning.md): per
as-of date the model and the rule baseline, the per-group table at the operating point (the high
band; the per-school top 10 % beside it, not gated), and the release gate's verdict. ``--json`` keeps the keys of the older per-cohort report (``cohorts`` is
now one entry per as-of date, ``held_out_cohort`` its date) and adds ``as_of`` and ``release``."""

from __future__ import annotations

import csv
import datetime
import json
import sys

from django.core.management.base import CommandError

from leerloopbaan.ews import services
from leerloopbaan.kernel.access import UnitOfWorkCommand

EVAL_KEYS = ("auc", "average_precision", "precision_at_top", "recall_at_top", "ece")
OPERATING_KEYS = ("precision_at_operating_point", "recall_at_operating_point", "fpr_at_operating_point",
                  "selection_at_operating_point", "high_band_threshold")
QUOTA = "top_10pct_per_school"  # secondary, not gated: the top 10 % of each school's list
TABLE_KEYS = (("AUC", "auc"), ("AP", "average_precision"), ("P@10%", "precision_at_top"),
              ("P@op", "precision_at_operating_point"), ("R@op", "recall_at_operating_point"), ("ECE", "ece"))
GROUP_KEYS = (("n", "n"), ("leavers", "positives"), ("ECE", "ece"), ("recall", "recall"),
              ("ratio", "recall_ratio"), ("FPR", "fpr"), ("precision", "precision"), ("selected", "selection_rate"))
QUOTA_GROUP_KEYS = (("R10%/sch", "recall"), ("ceiling", "recall_ceiling"))


class Command(UnitOfWorkCommand):
    help = "Early warning: train the model, score pupils on a date, show the latest validation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("train", help="time-true backtest, release gate, and the chosen model refitted on all known outcomes")
        score = sub.add_parser("score", help="score every pupil enrolled in secondary on a date, as CSV")
        score.add_argument("--date", required=True, help="reference date YYYY-MM-DD")
        score.add_argument("--out", help="write the CSV to this file instead of stdout")
        evaluate = sub.add_parser("evaluate", help="the latest time-true validation, per as-of date, beside the baselines")
        evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
        card = sub.add_parser("model-card", help="write the model card (Markdown) of the latest training run")
        card.add_argument("--out", help="write to this file instead of stdout (docs/model-card.md)")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action.replace('-', '_')}")(**options)

    def _progress(self, text):
        print(text, file=sys.stderr, flush=True)

    def do_train(self, **options):
        try:
            run = services.ews_train(progress=self._progress)
        except services.NoTrainingData as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self._print_report(run)
        self.stdout.write(f"model {run.version}: {'approved' if run.is_approved else 'NOT approved'}")
        for reason in run.release.get("reasons") or run.reasons:
            self.stdout.write(f"  - {reason}")
        if not run.is_approved:
            try:
                active = services.active_run()
            except services.NoTrainingData:
                self.stdout.write("an unapproved model never scores; nothing scores until a model is approved")
            else:
                what = "the rule baseline" if active.is_baseline else f"the approved model {active.version}"
                self.stdout.write(f"an unapproved model never scores; the scores come from {what}")

    def do_model_card(self, out=None, **options):
        from leerloopbaan.ews.engine import render_model_card

        run = services.latest_run()  # the latest training report, approved or not (the card says which)
        if run is None:
            raise CommandError("no model trained yet: run `leerloopbaan ews train` first", returncode=1)
        if run.is_baseline:  # its report is the fallback's, not a training report to render
            raise CommandError(f"only the rule baseline {run.version} is stored, no trained model to describe: "
                               "run `leerloopbaan ews train` first", returncode=1)
        text = render_model_card(run.report)
        if out:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text)

    def do_score(self, date, out=None, **options):
        try:
            day = datetime.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(f"--date {date!r}: expected a date YYYY-MM-DD", returncode=2) from exc
        try:
            run, scores = services.ews_score(reference_date=day)  # the active run: never an unapproved one
        except services.NoTrainingData as exc:
            raise CommandError(str(exc), returncode=1) from exc
        from leerloopbaan.ews.selectors import score_export_keys

        keys, numbers = score_export_keys(scores)
        handle = open(out, "w", newline="", encoding="utf-8") if out else self.stdout  # noqa: SIM115
        try:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["pupil_key", "school_number", "reference_date", "risk", "band", "reasons"])
            if scores is not None:
                for r in scores.sort_values("risk", ascending=False).itertuples(index=False):
                    writer.writerow([keys[r.pupil_id], numbers[r.school_id], day.isoformat(), f"{r.risk:.4f}", r.band,
                                     ";".join(x["text_nl"] for x in r.reasons)])
        finally:
            if out:
                handle.close()
        count = 0 if scores is None else len(scores)
        from leerloopbaan.kernel.audit.services import audit_record
        audit_record(action="export", subject_type="pupil", subjects=list(keys.values()),
                     object_repr=f"risk scores {day} to {out or 'stdout'}", purpose="ews score command",
                     detail={"pupils": count, "model": run.version, "baseline": run.is_baseline})
        what = " (the rule baseline: there is no approved model)" if run.is_baseline else " (approved)"
        self._progress(f"{count:,} pupils scored with model {run.version}{what}")

    def do_evaluate(self, json=False, **options):  # noqa: A002 - the option is called --json
        run = services.latest_run()
        if run is None:
            raise CommandError("no model trained yet: run `leerloopbaan ews train` first", returncode=1)
        if json:
            self.stdout.write(_json_dumps(_evaluation(run)))
        else:
            self._print_report(run)

    def _print_report(self, run):
        ev = _evaluation(run)
        w = self.stdout.write
        if ev.get("as_of"):
            w("Time-true backtest: on each as-of date only what the platform knew then; tested on the pupils "
              "scored that day whose outcome is known now.")
            w("P@op / R@op: precision and recall at the operating point, the high band (risk >= the high-band "
              "threshold of the model trained for the date); R10%/sch: recall in the top 10 % of each school's "
              "list (secondary, not gated).")
        header = (f"{'as of' if ev.get('as_of') else 'cohort':<12}{'model':<30}" + "".join(f"{t:>9}" for t, _ in TABLE_KEYS)
                  + (f"{'R10%/sch':>9}" if ev.get("as_of") else ""))
        for fold in ev["cohorts"]:
            w("")
            test = fold.get("test")
            if test:
                w(f"{fold['held_out_cohort']}: {test['known']:,} of {test['pupils']:,} pupils with a known outcome "
                  f"({_fmt(test['share_known'], pct=True)}), {fold['train']['rows']:,} training rows")
            w(header)
            for name, metrics in fold["models"].items():
                mark = " *" if name == ev["chosen"] else ""
                w(f"{fold['held_out_cohort']!s:<12}{(name + mark)[:29]:<30}"
                  + "".join(f"{_fmt(metrics.get(k)):>9}" for _, k in TABLE_KEYS)
                  + (f"{_fmt((metrics.get(QUOTA) or {}).get('recall')):>9}" if ev.get("as_of") else ""))
        groups = ev.get("groups")
        if groups:
            w("")
            quota = ev.get("groups_" + QUOTA) or {}
            w(f"Per group, all as-of dates together ({ev['chosen']}; recall to selected in the high band, ratio = "
              "recall / recall of the largest group; R10%/sch = recall in the top 10 % of each school's list and "
              "ceiling = the recall of a perfect ranking under that quota, not gated):")
            w(f"{'attribute':<15}{'group':<16}" + "".join(f"{t:>10}" for t, _ in (*GROUP_KEYS, *QUOTA_GROUP_KEYS))
              + "  judged")
            for attr, res in groups.items():
                for g, m in res["groups"].items():
                    ref = " (ref)" if g == res["reference"] else ""
                    judged = "yes" if m["judged_recall"] else ("ECE only" if m["judged_ece"] else "no")
                    q = ((quota.get(attr) or {}).get("groups") or {}).get(g, {})
                    w(f"{attr:<15}{(g + ref)[:15]:<16}" + "".join(
                        f"{_fmt(m.get(k), integer=k in ('n', 'positives')):>10}" for _, k in GROUP_KEYS)
                      + "".join(f"{_fmt(q.get(k)):>10}" for _, k in QUOTA_GROUP_KEYS) + f"  {judged}")
        w("")
        # the verdict that decides scoring (``is_approved``: the release may refuse a run flagged approved)
        w(f"model {run.version}: {'approved' if run.is_approved else 'NOT approved'} by the release gate")
        for reason in ev["reasons"] or []:
            w(f"  - {reason}")
        if not run.is_approved and ev.get("as_of"):
            w("  scoring falls back to the rule baseline until a model is approved")


def _fmt(value, pct=False, integer=False):
    if value is None:
        return "-"
    if integer:
        return f"{int(value):,}"
    return f"{100 * value:.1f} %" if pct else f"{value:.3f}"


def _by_group(groups: dict, key: str) -> dict:
    return {attr: {g: m.get(key) for g, m in res["groups"].items()} for attr, res in groups.items()}


def _evaluation(run) -> dict:
    report = run.report
    out = {"model": run.version, "chosen": report.get("selection", {}).get("chosen"), "approved": run.is_approved,
           "reasons": run.release.get("reasons") or run.reasons}
    bt = report.get("backtest")
    if bt is None:  # a run trained before the time-true backtest: its per-cohort report as it was
        out["cohorts"] = [
            {"held_out_cohort": f["held_out_cohort"], "models": {name: {k: m.get(k) for k in (*EVAL_KEYS, "precision_at_capacity", "recall_at_capacity")}
                                                                    for name, m in f["models"].items()}}
            for f in report.get("folds", [])
        ]
        out["pooled"] = report.get("held_out", {})
        return out
    keys = (*EVAL_KEYS, *OPERATING_KEYS)
    out["as_of"] = bt["as_of_dates"]
    out["cohorts"] = [
        {"held_out_cohort": d["as_of"], "as_of": d["as_of"], "test": d["test"],
         "train": {k: d["train"].get(k) for k in ("rows", "pupils", "positives", "cohorts", "reference_dates")},
         "models": {name: {**{k: m.get(k) for k in keys}, "ece_by_group": _by_group(m.get("groups", {}), "ece"),
                           "recall_by_group": _by_group(m.get("groups", {}), "recall"),
                           **({QUOTA: {**{k: v for k, v in m[QUOTA].items() if k != "groups"},
                                       "recall_by_group": _by_group(m[QUOTA].get("groups", {}), "recall")}}
                              if m.get(QUOTA) else {})}
                    for name, m in d["models"].items()}}
        for d in bt["dates"]
    ]
    out["pooled"] = {name: {k: ({kk: vv for kk, vv in v.items() if kk != "groups"} if k == QUOTA else v)
                            for k, v in m.items() if k != "groups"} for name, m in bt["pooled"].items()}
    out["summary"] = bt["summary"]
    chosen = out["chosen"]
    out["operating_point"] = bt.get("operating_point")
    out["groups"] = (bt["pooled"].get(chosen) or {}).get("groups", {}).get("attributes", {})
    out["groups_" + QUOTA] = ((bt["pooled"].get(chosen) or {}).get(QUOTA) or {}).get("groups", {})
    out["release"] = report.get("release")
    out["skipped"] = bt.get("skipped", [])
    return out


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
