"""The pseudonymised release of a city-sized register (registry.pseudonymised.generalise): 103,000 pupils
(Antwerp's count), 250 schools, birth year following the grade, nine districts and outside.

Times in one run (a) ``generalise()`` (the ladder, the lowest level per pupil, the merging of groups)
and (b) the reference: one pandas groupby counting the groups of the ungeneralised five values, the
least any check of the smallest group pays. Goal: (a) < 2 s, and the ratio (a)/(b) printed beside it.
Also prints how many pupils are shown at each level of the ladder and the smallest group.

    .venv/bin/python benchmarks/pseudonymised.py [pupils]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

GRADES = ["K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "S1", "S2", "S3", "S4", "S5", "S6"]
DISTRICTS = ["Antwerpen", "Berchem", "Berendrecht-Zandvliet-Lillo", "Borgerhout", "Deurne", "Ekeren", "Hoboken",
             "Merksem", "Wilrijk", "outside", ""]


def population(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grade = rng.integers(0, len(GRADES), n)
    delay = rng.choice([0, 0, 0, 1, 2], n)
    school = np.where(grade < 9, rng.integers(0, 170, n), rng.integers(170, 250, n))
    district = rng.choice(len(DISTRICTS), n, p=[.37, .075, .02, .09, .15, .045, .08, .09, .075, .0025, .0025])
    return pd.DataFrame({
        "birth_year": 2023 - 3 - grade - delay, "birth_quarter": rng.integers(1, 5, n),
        "sex": rng.choice(["M", "F", "X"], n, p=[.505, .494, .001]), "district": np.array(DISTRICTS, dtype=object)[district],
        "school": school.astype(str), "grade": np.array(GRADES, dtype=object)[grade],
    })


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerloopbaan.settings")
    import django

    django.setup()
    from leerloopbaan.registry.pseudonymised import HIDDEN, LEVELS, generalise, smallest_group

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 103_000
    frame = population(n)
    t0 = time.perf_counter()
    shown = generalise(frame)
    took = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = frame.groupby(["birth_year", "birth_quarter", "sex", "district", "school", "grade"], sort=False).size()
    reference = time.perf_counter() - t0
    print(f"pupils: {n}, unique on the raw five values: {(raw == 1).sum() / n:.1%}")
    print(f"generalise: {took:.2f} s; reference, one groupby of the raw values: {reference:.3f} s; ratio: {took / reference:.0f}")
    print("pupils per level:", np.bincount(shown["level"], minlength=LEVELS).tolist(),
          f"school shown: {(shown['school'] != HIDDEN).mean():.1%}, smallest group: {smallest_group(shown)}")


if __name__ == "__main__":
    main()
