"""An attacker for published tables, written apart from kernel.disclosure's own proof.

It knows what a reader of the page knows: every shown count, every relation between counts the page
declares (totals and breakdowns), that a ``<5`` cell lies in 1..4 and that a ``×`` cell is 0 or at
least 5 (only non-zero cells are hidden as complements, and zero is always shown). For each suppressed cell it
solves two linear programs (``scipy.optimize.linprog``), the smallest and the largest value the cell
can take, and rounds them inwards to integers: a cell is *pinned* when one integer is left.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
from scipy.optimize import linprog


def bounds_of(known: dict, suppressed: dict, relations: list) -> dict:
    """``known``: key -> shown value; ``suppressed``: key -> (low, high) the page reveals;
    ``relations``: (total, parts) meaning total = sum(parts). Returns key -> (min, max) over the reals,
    rounded inwards to integers."""
    keys = list(suppressed)
    index = {k: i for i, k in enumerate(keys)}
    a_eq, b_eq = [], []
    for total, parts in relations:
        row = np.zeros(len(keys))
        b = 0.0
        for k, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if k in index:
                row[index[k]] += sign
            elif k in known:
                b -= sign * known[k]
            else:
                raise KeyError(f"relation names {k!r}, which is neither shown nor suppressed")
        if row.any():
            a_eq.append(row)
            b_eq.append(b)
        elif abs(b) > 1e-9:
            raise AssertionError(f"the shown figures contradict the relation {total!r}")
    box = [suppressed[k] for k in keys]
    out = {}
    for k in keys:
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(keys))
            c[index[k]] = sign
            res = linprog(c, A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                          bounds=box, method="highs")
            if res.status == 3 and sign < 0:  # unbounded above: nothing on the page caps this cell
                ends.append(math.inf)
                continue
            assert res.status == 0, f"no solution for {k!r}: {res.message}"
            ends.append(res.x[index[k]])
        out[k] = (math.ceil(ends[0] - 1e-6), ends[1] if math.isinf(ends[1]) else math.floor(ends[1] + 1e-6))
    return out


def attack(*published, threshold: int = 5) -> dict:
    """Every suppressed count of the given ``Published`` tables of one page (shared keys are one
    population), with the integer range the attacker pins it to."""
    known, suppressed, relations = {}, {}, []
    for pub in published:
        release = pub.release
        relations.extend(release.relations)
        for key in release.counts:
            figure = pub[key]
            if figure.shown:
                known[key] = figure.value
            elif figure.small:
                suppressed[key] = (1, threshold - 1)
            else:
                suppressed[key] = (threshold, None)
    return bounds_of(known, suppressed, relations)


def pinned(*published, threshold: int = 5) -> list:
    """The suppressed cells the attacker can work out exactly."""
    return [k for k, (low, high) in attack(*published, threshold=threshold).items() if low >= high]


@contextmanager
def releases():
    """Every table published (``Release.publish``) while the block runs, e.g. during one request of
    a page: ``with releases() as got: client.get(url)``, then ``pinned(*got)``. Clear the cache
    first, or a cached page publishes nothing."""
    from leerloopbaan.kernel import disclosure

    got: list = []
    original = disclosure.Release.publish

    def publish(self):
        published = original(self)
        got.append(published)
        return published

    disclosure.Release.publish = publish
    try:
        yield got
    finally:
        disclosure.Release.publish = original


def assert_safe(got: list, *, threshold: int = 5) -> None:
    """A page published at least one table, and the attacker pins no suppressed cell of its tables
    taken together (a key shared by two tables is one population)."""
    assert got, "the page published no table through kernel.disclosure"
    found = pinned(*got, threshold=threshold)
    assert found == [], f"suppressed cells that can be worked out: {found[:5]}"
