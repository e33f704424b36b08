"""Disclosure control on a city-sized table: the outflow of one school year by school (250 schools,
Antwerp's count), with district and network margins and the city total.

Times in one run (a) ``Release.publish()`` (primary and complementary suppression, and the proof by
integer programming that no suppressed count can be worked out) and (b) the plain proof that solves
two integer programmes (smallest, largest) for every suppressed count of the published table, the
reference a straightforward implementation would pay once. Goal: (a) < 2 s for the table, and (a)/(b)
below 1 (publishing, with its search for complements, costs less than one naive proof).

    .venv/bin/python benchmarks/disclosure.py [schools]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def release_for(schools: int, seed: int = 3):
    from leerloopbaan.kernel.disclosure import Release

    rng = np.random.default_rng(seed)
    release = Release("outflow by school")
    districts = {s: f"d{rng.integers(0, 9)}" for s in range(schools)}
    networks = {s: f"n{rng.integers(0, 3)}" for s in range(schools)}
    for s in range(schools):
        n = int(rng.choice([0, 1, 2, 3, 4, *rng.integers(5, 200, 12)]))
        u = int(rng.binomial(n, 0.2))
        release.count(("u", s), u)
        release.count(("q", s), n - u, displayed=False)
        release.total(("n", s), [("u", s), ("q", s)])
    for part in ("u", "q", "n"):
        release.total((part, "city"), [(part, s) for s in range(schools)], displayed=part != "q")
        for name, of in (("district", districts), ("network", networks)):
            groups = sorted(set(of.values()))
            for g in groups:
                release.total((part, name, g), [(part, s) for s in range(schools) if of[s] == g], displayed=part != "q")
            release.relate((part, "city"), [(part, name, g) for g in groups])
    return release


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerloopbaan.settings")
    import django

    django.setup()
    schools = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    release = release_for(schools)
    t0 = time.perf_counter()
    published = release.publish()
    publish = time.perf_counter() - t0
    t0 = time.perf_counter()
    bounds = published.proof()
    naive = time.perf_counter() - t0
    assert all(low < high for low, high in bounds.values())
    print(f"schools: {schools}, counts: {len(release.counts)}, relations: {len(release.relations)}, "
          f"suppressed: {len(published.suppressed)}")
    print(f"publish (suppress, complements, proof): {publish:.2f} s")
    print(f"reference, naive proof of the result (2 solves per suppressed count): {naive:.2f} s")
    print(f"ratio: {publish / naive:.2f}")


if __name__ == "__main__":
    main()
