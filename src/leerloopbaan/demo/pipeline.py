"""The demo's data pipeline: generate the synthetic city as import files, then import them through
the real import (no back door). Later modules add their steps here (train, score, match, ...)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from leerloopbaan.kernel import clock


def city_dir(*, pupils: int, seed: int) -> Path:
    return settings.DATA_DIR / "demo-city" / f"seed{seed}-pupils{pupils}"


def load_city(*, pupils: int, seed: int, progress=print) -> dict:
    """Generate the city's files (once per size and seed) and import them with the real importer.

    Importing the same files again changes nothing, so running the demo twice is cheap and safe.
    """
    from leerloopbaan.demo.generator import generate_city
    from leerloopbaan.registry.importer import import_paths

    out = city_dir(pupils=pupils, seed=seed)
    marker = out / "complete"
    if not marker.exists():
        progress(f"generating a synthetic city of {pupils:,} pupils (seed {seed})")
        generate_city(out, pupils=pupils, seed=seed, progress=progress)
        marker.write_text("ok\n")
    if _already_imported(out / "import"):
        progress("the demo city is already imported (same files): skipping the import")
        return train_and_score(progress=progress)
    progress("importing the city through the import (validation, pseudonyms, bulk writes)")
    result = import_paths([out / "import"], user=None, source="demo", progress=progress)
    if not result.ok:
        raise RuntimeError("the demo city was refused by the import:\n" + result.report_text()[:4000])
    from leerloopbaan.registry.history import estimate_record_times

    # the synthetic city simulates years of use: its history was known as it happened
    estimate_record_times(recorded_before=clock.now())
    return {"import": result, **train_and_score(progress=progress)}


def _already_imported(folder: Path) -> bool:
    """True when the last demo import took exactly these files (by SHA-256): importing them again
    would change nothing, so a second `leerloopbaan demo` starts serving at once."""
    import hashlib

    from leerloopbaan.registry.models import ImportRun

    last = ImportRun.objects.filter(source="demo", status=ImportRun.Status.DONE).order_by("-pk").first()
    if last is None:
        return False
    hashes = {}
    for path in sorted(folder.glob("*.csv")):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        hashes[path.name] = digest.hexdigest()
    return hashes == {f["name"]: f["sha256"] for f in last.files}


def train_and_score(*, progress=print) -> dict:
    """Train the early warning model once per city and score today's pupils."""

    from leerloopbaan.ews.models import ModelRun, RiskScore
    from leerloopbaan.ews.services import NoTrainingData, active_run, ews_score, ews_train

    frames = None
    if not ModelRun.objects.exists():
        from leerloopbaan.ews.loading import load_frames

        progress("loading the registry for the early warning model")
        frames = load_frames()  # once, for training and for today's scores
        progress("training the early warning model (time-true backtest, release gate)")
        trained = ews_train(progress=progress, frames=frames)
        progress(f"model {trained.version}: {'approved' if trained.is_approved else 'not approved'}")
    # what scores is the approved model or, without one, the rule baseline: never an unapproved run
    try:
        run = active_run()
    except NoTrainingData as exc:
        progress(f"no early warning scores: {exc}")
        return {"model": None}
    if run.is_baseline:
        progress("no approved model: the scores come from the rule baseline")
    today = clock.today()
    if not RiskScore.objects.filter(model_run=run, reference_date=today).exists():
        progress(f"scoring the pupils enrolled on {today} with {run.version}")
        ews_score(reference_date=today, run=run, frames=frames)
    return {"model": run.version}
