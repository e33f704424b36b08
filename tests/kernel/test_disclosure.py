"""kernel.disclosure: small counts suppressed, complements chosen so that nothing can be worked out,
checked by an attacker written apart from the module's own proof."""

from __future__ import annotations

import random

import pytest

from leerloopbaan.kernel import disclosure
from leerloopbaan.kernel.disclosure import HIDDEN, SHOWN, SMALL, Release
from tests.kernel.attacker import attack, pinned


def one_way(values: dict, name="t") -> Release:
    release = Release(name)
    for k, v in values.items():
        release.count(k, v)
    release.total("total", list(values))
    return release


def test_counts_from_one_to_four_are_suppressed_zero_and_five_are_shown():
    release = Release()
    for n in range(0, 7):
        release.count(n, n)
    pub = release.publish()
    assert [pub[n].state for n in range(7)] == [SHOWN, SMALL, SMALL, SMALL, SMALL, SHOWN, SHOWN]
    assert str(pub[3]) == "<5" and pub[3].value is None and pub[5].value == 5


def test_a_single_small_cell_beside_a_total_gets_a_complement():
    pub = one_way({"a": 3, "b": 40, "c": 12}).publish()
    assert pub["a"].small and pub["c"].hidden and pub["b"].shown and pub["total"].shown
    assert pinned(pub) == []


def test_the_naive_complement_is_not_enough_when_the_reader_knows_a_hidden_cell_is_at_least_five():
    # total 26 = a (1) + b (5) + c (20): hiding b leaves a + b = 6 with b >= 5, so a = 1.
    release = one_way({"a": 1, "b": 5, "c": 20})
    states = {"a": SMALL, "b": HIDDEN, "c": SHOWN, "total": SHOWN}
    assert release.pinned(states) == ["a", "b"]
    pub = release.publish()
    assert pinned(pub) == [] and pub["a"].small
    low, high = pub.proof()["a"]
    assert low < high


def test_two_small_cells_protect_each_other_only_when_their_sum_does_not_pin_them():
    pub = one_way({"a": 1, "b": 1, "c": 30}).publish()  # a + b = 2 pins both to 1
    assert pinned(pub) == []
    pub = one_way({"a": 2, "b": 3, "c": 30}).publish()  # a + b = 5: a in 1..4, not pinned
    assert pub["c"].shown and pinned(pub) == []


def test_rates_are_shown_only_when_numerator_and_denominator_are():
    release = Release()
    release.count("n", 40)
    release.count("u", 3)
    release.count("q", 37, displayed=False)
    release.relate("n", ["u", "q"])
    release.ratio("rate", "u", "n")
    pub = release.publish()
    assert pub["u"].small and pub["rate"].value is None and not pub["rate"].shown
    assert pub["n"].shown and pinned(pub) == []
    # the complement is the count the page does not print
    assert pub["q"].hidden and not pub.any_hidden


def test_a_two_way_table_with_margins():
    # rows: districts, columns: unqualified / qualified; margins on both sides
    cells = {("d1", "u"): 2, ("d1", "q"): 30, ("d2", "u"): 12, ("d2", "q"): 25, ("d3", "u"): 9, ("d3", "q"): 40}
    release = Release("two-way")
    for k, v in cells.items():
        release.count(k, v)
    for d in ("d1", "d2", "d3"):
        release.total(("n", d), [(d, "u"), (d, "q")])
    for c in ("u", "q"):
        release.total(("all", c), [(d, c) for d in ("d1", "d2", "d3")])
    release.total(("all", "n"), [("n", d) for d in ("d1", "d2", "d3")])
    release.relate(("all", "n"), [("all", "u"), ("all", "q")])
    pub = release.publish()
    assert pub[("d1", "u")].small
    assert pinned(pub) == []
    assert sum(1 for k in release.counts if pub[k].hidden) >= 3  # one per row and column at least


def test_statistics_follow_their_group():
    release = Release()
    release.count("scored", 3)
    release.statistic("mean", 0.4, over="scored")
    pub = release.publish()
    assert pub["mean"].value is None


def test_inconsistent_relations_are_refused():
    release = Release("bad")
    release.count("a", 3)
    release.count("t", 9)
    with pytest.raises(disclosure.DisclosureError):
        release.relate("t", ["a"])


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_leave_nothing_pinned(seed):
    rng = random.Random(seed)
    rows, cols = rng.randint(2, 6), rng.randint(2, 4)
    release = Release(f"random {seed}")
    for r in range(rows):
        for c in range(cols):
            release.count((r, c), rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 30, 80]))
    for r in range(rows):
        release.total(("row", r), [(r, c) for c in range(cols)])
    for c in range(cols):
        release.total(("col", c), [(r, c) for r in range(rows)])
    release.total("all", [("row", r) for r in range(rows)])
    release.relate("all", [("col", c) for c in range(cols)])
    pub = release.publish()
    assert pinned(pub) == []
    for key, value in release.counts.items():
        if disclosure.is_small(value):
            assert not pub[key].shown
    # the module's own proof agrees with the attacker
    for key, (low, high) in pub.proof().items():
        assert low < high, key
    assert set(attack(pub)) == set(pub.suppressed)


def test_the_attacker_takes_a_hidden_cell_with_nothing_shown_above_it_as_unbounded():
    # every count of the relation suppressed: a hidden total has no upper bound on the page
    release = Release("uncapped")
    release.count("a", 1)
    release.count("b", 5)
    release.total("total", ["a", "b"])
    states = {"a": SMALL, "b": HIDDEN, "total": HIDDEN}
    pub = disclosure.Published(release, states)
    found = attack(pub)
    assert found["total"][1] == float("inf") and found["a"] == (1, 4)
    assert pinned(pub) == []


def test_a_reader_who_knows_some_counts_cannot_work_out_the_others():
    # two small schools of one group: 3 + 3 beside 20. An outsider cannot split the 6; staff of
    # the first school know their 3, and so would know the other school's 3.
    outsider = one_way({"a": 3, "b": 3, "c": 20}).publish()
    assert outsider["a"].small and outsider["b"].small and outsider["c"].shown
    assert pinned(outsider) == []
    staff = one_way({"a": 3, "b": 3, "c": 20})
    staff.reader_knows(["a"])
    pub = staff.publish()
    assert pub["a"].value == 3 and pub["b"].small and not pub["c"].shown
    assert pinned(pub) == []
    with pytest.raises(disclosure.DisclosureError):
        staff.reader_knows(["nothing"])
