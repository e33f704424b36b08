"""Disclosure control: every figure that leaves a school goes through here.

A page (or export) that shows figures about more than one pupil outside their school builds one
``Release``: the counts it shows, the relations between them that a reader can see or infer (a total
is the sum of its parts, the city total of one table is the city total of another), the rates and
shares it derives from them, and any other statistic over a group (a mean). ``Release.publish()``
decides what is shown and returns a ``Published`` table the page renders from; nothing else decides.

The rules (docs/privacy.md, rule 3):

1. **Primary suppression.** A count from 1 to ``threshold() - 1`` (settings.SMALL_CELL_THRESHOLD, 5)
   is shown as ``<5`` (state ``SMALL``). Zero is shown: it names no pupil.
2. **Derived figures.** A rate, share or mean is shown only when every count it is derived from is
   shown (its numerator too: a rate of 3 unqualified out of 40 is a small count).
3. **Complementary suppression.** No suppressed count may be worked out from the other figures of
   the release. The reader is assumed to know every shown count (even one the page only uses for a
   rate), every declared relation, that a ``<5`` cell lies in 1..4 and that a hidden cell (``×``,
   state ``HIDDEN``) is 0 or at least 5 -- the module only hides cells of at least 5 as complements,
   so the reader knows that too. ``publish`` hides complements until, for every suppressed count, the
   smallest and the largest integer values consistent with all of that differ: no suppressed value
   can be pinned to one number. That is proved for each release by integer programming
   (``scipy.optimize.milp``, two solves per suppressed cell, per connected part of the table), not
   assumed from a rule of thumb; the cheap rule "a relation with one suppressed member hides a second
   one" only chooses the first complements.

Keys are any hashable values; one key is one population (e.g. ``("leavers", "2023-2024",
"district", "ANTWERPEN")``), so two tables of one page that show the same population share it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"

Key = Hashable
_BIG = 10**9  # a bound no count reaches; keeps every integer program bounded


def threshold() -> int:
    """The smallest count that may be shown (5): counts from 1 to threshold() - 1 are suppressed."""
    return int(getattr(settings, "SMALL_CELL_THRESHOLD", 5))


def is_small(n: int) -> bool:
    return 0 < n < threshold()


@dataclass(frozen=True)
class Figure:
    """One figure as published: ``value`` is None unless ``state`` is SHOWN."""

    state: str
    value: int | float | None = None

    @property
    def shown(self) -> bool:
        return self.state == SHOWN

    @property
    def small(self) -> bool:
        return self.state == SMALL

    @property
    def hidden(self) -> bool:
        return self.state == HIDDEN

    @property
    def pct(self) -> float | None:
        """A rate or share as a percentage (None when not shown)."""
        return None if self.value is None else 100 * self.value

    def __str__(self) -> str:
        if self.state == SMALL:
            return f"<{threshold()}"
        if self.state == HIDDEN:
            return "×"
        return "" if self.value is None else str(self.value)


class DisclosureError(ValueError):
    """A release that contradicts itself (a relation whose values do not add up)."""


@dataclass
class _Derived:
    of: tuple[Key, ...]
    value: float | None


@dataclass
class Release:
    """The figures of one page or export, before disclosure control."""

    name: str = ""
    counts: dict[Key, int] = field(default_factory=dict)
    displayed: dict[Key, bool] = field(default_factory=dict)
    relations: list[tuple[Key, tuple[Key, ...]]] = field(default_factory=list)
    derived: dict[Key, _Derived] = field(default_factory=dict)
    known: set[Key] = field(default_factory=set)

    # --- declaring ------------------------------------------------------------------------------

    def count(self, key: Key, value: int, *, displayed: bool = True) -> Key:
        """A count of pupils (or of anything that names pupils). ``displayed=False``: the page does
        not print it but it is part of a relation (e.g. the qualified leavers beside the unqualified);
        such a count is a free complement and is still protected when small."""
        value = int(value)
        if value < 0:
            raise DisclosureError(f"{self.name}: count {key!r} is negative ({value})")
        if key in self.counts and self.counts[key] != value:
            raise DisclosureError(f"{self.name}: count {key!r} declared twice with different values "
                                  f"({self.counts[key]} and {value})")
        self.counts[key] = value
        self.displayed[key] = self.displayed.get(key, False) or displayed
        return key

    def total(self, key: Key, parts: Iterable[Key], *, displayed: bool = True) -> Key:
        """A count that is the sum of declared counts (a row or column total, a city total)."""
        parts = tuple(parts)
        self.count(key, sum(self.counts[p] for p in parts), displayed=displayed)
        self.relations.append((key, parts))
        return key

    def relate(self, total: Key, parts: Iterable[Key]) -> None:
        """Declare that a count already declared is the sum of others (a second breakdown of the
        same total, e.g. the city by district and by track)."""
        parts = tuple(parts)
        if self.counts[total] != sum(self.counts[p] for p in parts):
            raise DisclosureError(f"{self.name}: {total!r} is not the sum of its parts")
        self.relations.append((total, parts))

    def ratio(self, key: Key, numerator: Key, denominator: Key) -> Key:
        """A rate or share: shown only when numerator and denominator are shown (and > 0)."""
        d = self.counts[denominator]
        self.derived[key] = _Derived((numerator, denominator), self.counts[numerator] / d if d else None)
        return key

    def statistic(self, key: Key, value: float | None, *, over: Key | list[Key]) -> Key:
        """Any other figure computed from a group (a mean, a median, an estimate): shown only when
        every count it is over (one key, or a list of keys) is shown."""
        self.derived[key] = _Derived(tuple(over) if isinstance(over, list) else (over,), value)
        return key

    def reader_knows(self, keys: Iterable[Key]) -> None:
        """Counts this reader already knows exactly and may see (staff of a school, their own
        school's figures beside the city's): shown as they are, never a complement, and taken as
        known by the proof, so the other figures are protected against what this reader knows."""
        keys = set(keys)
        if keys - self.counts.keys():
            raise DisclosureError(f"{self.name}: the reader cannot know undeclared counts {sorted(map(repr, keys - self.counts.keys()))[:3]}")
        self.known |= keys

    # --- deciding -------------------------------------------------------------------------------

    def publish(self) -> Published:
        states = {k: (SMALL if is_small(v) and k not in self.known else SHOWN) for k, v in self.counts.items()}
        self._complete(states)
        return Published(self, states)

    def _members(self) -> dict[Key, list[int]]:
        by_key: dict[Key, list[int]] = defaultdict(list)
        for i, (total, parts) in enumerate(self.relations):
            for k in (total, *parts):
                by_key[k].append(i)
        return by_key

    def _candidate(self, states: dict[Key, str], keys: Iterable[Key]) -> Key | None:
        """The cheapest complement among ``keys``: a shown count of at least the threshold, not one
        the reader knows; first the one that leaves the fewest other relations with a single
        unknown member (each would need a complement of its own), then one the page does not
        print, then the smallest."""
        options = [k for k in keys if states[k] == SHOWN and self.counts[k] >= threshold() and k not in self.known]
        if not options:
            return None
        members = self._members_cache

        def cascade(k: Key) -> int:
            n = 0
            for i in members.get(k, ()):
                total, parts = self.relations[i]
                if all(states[m] == SHOWN for m in (total, *parts) if m != k):
                    n += 1
            return n

        return min(options, key=lambda k: (cascade(k), self.displayed[k], self.counts[k], repr(k)))

    def _complete(self, states: dict[Key, str]) -> None:
        members = self._members_cache = self._members()
        for _round in range(len(self.counts) + 1):
            # the cheap rule: a relation with exactly one unknown member gets a second one
            changed = True
            while changed:
                changed = False
                for total, parts in self.relations:
                    group = (total, *parts)
                    unknown = [k for k in group if states[k] != SHOWN]
                    if len(unknown) == 1:
                        pick = self._candidate(states, [p for p in parts if p != unknown[0]]) or \
                            self._candidate(states, [k for k in group if k != unknown[0]])
                        if pick is not None:
                            states[pick] = HIDDEN
                            changed = True
            pinned = self.pinned(states)
            if not pinned:
                return
            # the proof found cells that can still be worked out: hide the cheapest neighbour of each,
            # except where a neighbour hidden in this round may already free it; then prove again
            picks: set[Key] = set()
            for k in pinned:
                near = {m for i in members.get(k, ()) for m in (self.relations[i][0], *self.relations[i][1])}
                if near & picks:
                    continue
                # the relation that pins it is the one with the fewest other unknowns: look there first
                pick = None
                for i in sorted(members.get(k, ()), key=lambda i: sum(
                        states[m] != SHOWN for m in (self.relations[i][0], *self.relations[i][1]))):
                    pick = self._candidate(states, [m for m in (self.relations[i][0], *self.relations[i][1]) if m != k])
                    if pick is not None:
                        break
                pick = pick or self._candidate(states, self._component(k, members) - {k})
                if pick is not None:
                    states[pick] = HIDDEN
                    picks.add(pick)
                    if pick not in near:
                        break  # a cell far away: prove again before hiding more
            if not picks:
                if not self.known:
                    raise DisclosureError(f"{self.name}: cannot protect {pinned[0]!r}")
                # nothing left to hide: what pins it is what this reader knows (their own school is
                # the whole city for that figure), so the reader knows it; say it as it is
                for k in pinned:
                    states[k] = SHOWN
        raise DisclosureError(f"{self.name}: complementary suppression did not converge")

    def _component(self, key: Key, members: dict[Key, list[int]]) -> set[Key]:
        seen, todo = {key}, [key]
        while todo:
            k = todo.pop()
            for i in members.get(k, ()):
                for m in (self.relations[i][0], *self.relations[i][1]):
                    if m not in seen:
                        seen.add(m)
                        todo.append(m)
        return seen

    def _programs(self, states: dict[Key, str]):
        """The integer programs of the suppressed counts: one per connected part of the unknowns,
        as (keys, A, b, lower, upper) with A x = b."""
        unknown = [k for k, s in states.items() if s != SHOWN]
        index = {k: i for i, k in enumerate(unknown)}
        rows, rhs = [], []
        for total, parts in self.relations:
            coeffs: dict[int, float] = defaultdict(float)
            constant = 0.0
            for k, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if k in index:
                    coeffs[index[k]] += sign
                else:
                    constant -= sign * self.counts[k]
            coeffs = {i: c for i, c in coeffs.items() if c}
            if coeffs:
                rows.append(coeffs)
                rhs.append(constant)
        parent = list(range(len(unknown)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for row in rows:
            first, *rest = row
            for j in rest:
                parent[find(j)] = find(first)
        groups: dict[int, list[int]] = defaultdict(list)
        for i in range(len(unknown)):
            groups[find(i)].append(i)
        row_groups: dict[int, list[int]] = defaultdict(list)
        for r, row in enumerate(rows):
            row_groups[find(next(iter(row)))].append(r)
        for root, cells in groups.items():
            local = {g: j for j, g in enumerate(cells)}
            a = np.zeros((len(row_groups[root]), len(cells)))
            b = np.array([rhs[r] for r in row_groups[root]])
            for i, r in enumerate(row_groups[root]):
                for g, c in rows[r].items():
                    a[i, local[g]] = c
            keys = [unknown[g] for g in cells]
            lo = np.array([1.0 if states[k] == SMALL else float(threshold()) for k in keys])
            hi = np.array([float(threshold() - 1) if states[k] == SMALL else float(_BIG) for k in keys])
            yield keys, a, b, lo, hi

    @staticmethod
    def _solve(c, a, b, lo, hi):
        from scipy.optimize import Bounds, LinearConstraint, milp

        constraints = [LinearConstraint(a, b, b)] if len(b) else []
        res = milp(c, constraints=constraints, integrality=np.ones(len(c)), bounds=Bounds(lo, hi))
        if res.status != 0:
            raise DisclosureError(f"the figures do not add up ({res.message})")
        return np.round(res.x)

    def bounds(self, states: dict[Key, str]) -> dict[Key, tuple[float, float]]:
        """For every suppressed count: the smallest and largest integer value consistent with every
        shown count, every relation and what the page says of each suppressed cell."""
        out: dict[Key, tuple[float, float]] = {}
        for keys, a, b, lo, hi in self._programs(states):
            for j, k in enumerate(keys):
                c = np.zeros(len(keys))
                c[j] = 1.0
                out[k] = (self._solve(c, a, b, lo, hi)[j], self._solve(-c, a, b, lo, hi)[j])
        return out

    def pinned(self, states: dict[Key, str]) -> list[Key]:
        """The suppressed counts whose value can be worked out (smallest == largest). A cell that
        takes two values in two feasible solutions already found is free; only the others are
        solved for, so a large table costs a few solves, not two per cell."""
        found: list[Key] = []
        for keys, a, b, lo, hi in self._programs(states):
            n = len(keys)
            rng = np.random.default_rng(n)
            pool = [self._solve(rng.normal(size=n), a, b, lo, hi) for _ in range(6)]
            for j, k in enumerate(keys):
                if any(x[j] != pool[0][j] for x in pool[1:]):
                    continue
                c = np.zeros(n)
                c[j] = 1.0
                low, high = self._solve(c, a, b, lo, hi), self._solve(-c, a, b, lo, hi)
                pool += [low, high]
                if low[j] == high[j]:
                    found.append(k)
        return found


class Published:
    """What a page may show: ``published[key]`` is a ``Figure`` for a count or a derived figure."""

    def __init__(self, release: Release, states: dict[Key, str]) -> None:
        self.release = release
        self.states = states

    def __getitem__(self, key: Key) -> Figure:
        r = self.release
        if key in r.counts:
            state = self.states[key]
            return Figure(state, r.counts[key] if state == SHOWN else None)
        d = r.derived[key]
        bases = [self.states[k] for k in d.of]
        if all(s == SHOWN for s in bases) and d.value is not None:
            return Figure(SHOWN, d.value)
        # a derived figure is never "<5" itself: it is hidden with what it comes from
        return Figure(SMALL if SMALL in bases else HIDDEN if HIDDEN in bases else SHOWN, None)

    def get(self, key: Key, default: Figure | None = None) -> Figure | None:
        try:
            return self[key]
        except KeyError:
            return default

    def value(self, key: Key):
        return self[key].value

    @property
    def suppressed(self) -> list[Key]:
        return [k for k, s in self.states.items() if s != SHOWN]

    @property
    def any_hidden(self) -> bool:
        return any(s == HIDDEN and self.release.displayed[k] for k, s in self.states.items())

    def proof(self) -> dict[Key, tuple[float, float]]:
        """Per suppressed count, the range a reader can narrow it to (for tests and the audit)."""
        return self.release.bounds(self.states)


__all__ = ["SHOWN", "SMALL", "HIDDEN", "Figure", "Release", "Published", "DisclosureError", "threshold", "is_small"]
