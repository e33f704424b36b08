"""`leerloopbaan ews train|score|evaluate` (shared/spec/cli.md)."""

from __future__ import annotations

import csv
import datetime
import json
import sys

from django.core.management.base import CommandError

from leerloopbaan.ews import services
from leerloopbaan.kernel.access import UnitOfWorkCommand

EVAL_KEYS = ("auc", "average_precision", "precision_at_top", "recall_at_top", "ece")


class Command(UnitOfWorkCommand):
    help = "Early warning: train the model, score pupils on a date, show the latest validation."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("train", help="train on every cohort with a known outcome, with temporal validation")
        score = sub.add_parser("score", help="score every pupil enrolled in secondary on a date, as CSV")
        score.add_argument("--date", required=True, help="reference date YYYY-MM-DD")
        score.add_argument("--out", help="write the CSV to this file instead of stdout")
        evaluate = sub.add_parser("evaluate", help="the latest validation, per held-out cohort, beside the baselines")
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
        header = f"{'cohort':<8}{'model':<16}" + "".join(f"{k:>20}" for k in EVAL_KEYS)
        self.stdout.write(header)
        for fold in ev["cohorts"]:
            for name, metrics in fold["models"].items():
                self.stdout.write(f"{fold['held_out_cohort']!s:<8}{name:<16}" + "".join(f"{_fmt(metrics.get(k)):>20}" for k in EVAL_KEYS))


def _fmt(value):
    return "-" if value is None else f"{value:.3f}"


def _evaluation(run) -> dict:
    report = run.report
    return {
        "model": run.version,
        "chosen": report.get("selection", {}).get("chosen"),
        "approved": run.is_approved,
        "reasons": run.release.get("reasons") or run.reasons,
        "cohorts": [
            {"held_out_cohort": f["held_out_cohort"], "models": {name: {k: m.get(k) for k in (*EVAL_KEYS, "precision_at_capacity", "recall_at_capacity")}
                                                                    for name, m in f["models"].items()}}
            for f in report.get("folds", [])
        ],
        "pooled": report.get("held_out", {}),
    }


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
