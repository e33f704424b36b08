"""Tutor-matching engine on hand-made instances: every hard constraint, the ranked objective,
fixed / never / keep, capacities, explanations, re-matching and input validation (no database)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from leerloopbaan.tutoring.engine import (
    CRITERIA,
    HARD_CONSTRAINTS,
    SLOTS,
    Need,
    Tutor,
    Weights,
    eligible_pairs,
    explain_ineligible,
    match,
    rematch,
    score_pairs,
    slot_label,
)
from leerloopbaan.tutoring.engine import solve as solve_module

ALL_AGES = frozenset({"primary", "lower_secondary", "upper_secondary"})


def need(id: int, **kw) -> Need:
    base = dict(subject="maths", level=5, age_group="primary", languages=frozenset({"nl"}), slots=frozenset({1}),
                modes=frozenset({"online"}), district="A", priority=3)
    base.update(kw)
    return Need(id=id, **base)


def tutor(id: int, **kw) -> Tutor:
    base = dict(subjects=("maths",), min_level=1, max_level=12, age_groups=ALL_AGES, languages=frozenset({"nl"}),
                slots=frozenset({1}), modes=frozenset({"online"}), capacity=1)
    base.update(kw)
    return Tutor(id=id, **base)


ONLY_QUALITY = Weights(subject=0, level=0, distance=0, language=0, quality=1)


# --- hard constraints ---------------------------------------------------------------------------

def test_a_plain_pair_is_matched():
    res = match([need(1)], [tutor(10)])
    assert res.by_need() == {1: 10}
    assert res.unmatched == [] and res.warnings == []
    assert explain_ineligible(need(1), tutor(10)) == []


OFFLINE = dict(modes=frozenset({"offline"}))
VIOLATIONS = [
    ("not_eligible", {}, dict(eligible=False)),
    ("subject", {}, dict(subjects=("dutch", "french"))),
    ("age_group", {}, dict(age_groups=frozenset({"upper_secondary"}))),
    ("level", {}, dict(min_level=7, max_level=12)),
    ("level", dict(level=9, age_group="upper_secondary"), dict(min_level=1, max_level=8)),
    ("language", {}, dict(languages=frozenset({"fr", "en"}))),
    ("language_support", dict(language_support=True), dict(language_support=False)),
    ("slots", dict(slots=frozenset({0, 3})), dict(slots=frozenset({1, 2}))),
    ("slots", dict(slots=frozenset()), {}),
    ("mode", dict(modes=frozenset({"offline"}), location=(0.0, 0.0)), dict(modes=frozenset({"online"}))),
    ("distance", dict(location=(0.0, 0.0), **OFFLINE), dict(location=(6.0, 0.0), travel_km=5.0, **OFFLINE)),
    ("distance", dict(location=None, **OFFLINE), dict(location=(1.0, 0.0), **OFFLINE)),
    ("distance", dict(location=(0.0, 0.0), **OFFLINE), dict(location=None, **OFFLINE)),
    ("conflict_school", dict(school=7), dict(conflict_schools=frozenset({7, 8}))),
    ("conflict_pupil", dict(pupil=70), dict(conflict_pupils=frozenset({70}))),
]


@pytest.mark.parametrize(("code", "need_kw", "tutor_kw"), VIOLATIONS)
def test_every_hard_constraint_blocks_the_pair(code, need_kw, tutor_kw):
    n, t = need(1, **need_kw), tutor(10, **tutor_kw)
    assert explain_ineligible(n, t) == [code]
    ni, tj = eligible_pairs([n], [t])
    assert len(ni) == 0 and len(tj) == 0
    res = match([n], [t])
    assert res.assignments == []
    [u] = res.unmatched
    assert u.need == 1 and u.reason == "no_eligible_tutor"
    assert u.detail[code] == 1 and u.detail["eligible_tutors"] == 0 and u.detail["tutors"] == 1


@pytest.mark.parametrize(("need_kw", "tutor_kw"), [
    (dict(location=(0.0, 0.0), **OFFLINE), dict(location=(3.0, 4.0), travel_km=5.0, **OFFLINE)),  # exactly 5 km
    (dict(location=(0.0, 0.0)), dict(location=(60.0, 0.0), travel_km=5.0)),      # online: distance irrelevant
    (dict(modes=frozenset({"online", "offline"}), location=None), dict(modes=frozenset({"online", "offline"}))),
    (dict(school=7, pupil=70), dict(conflict_schools=frozenset({8}), conflict_pupils=frozenset({71}))),
    (dict(languages=frozenset({"nl", "fr"})), dict(languages=frozenset({"fr"}))),
    (dict(language_support=True), dict(language_support=True)),
    (dict(level=7, age_group="lower_secondary"), dict(min_level=7, max_level=7,
                                                      age_groups=frozenset({"lower_secondary"}))),
])
def test_allowed_pairs_are_matched(need_kw, tutor_kw):
    assert explain_ineligible(need(1, **need_kw), tutor(10, **tutor_kw)) == []
    assert match([need(1, **need_kw)], [tutor(10, **tutor_kw)]).by_need() == {1: 10}


def test_several_violations_are_all_listed_in_order():
    n = need(1, slots=frozenset({5}), language_support=True, school=3)
    t = tutor(10, eligible=False, subjects=("dutch",), conflict_schools=frozenset({3}))
    assert explain_ineligible(n, t) == ["not_eligible", "subject", "language_support", "slots", "conflict_school"]
    assert set(explain_ineligible(n, t)) <= set(HARD_CONSTRAINTS)


def test_unmatched_detail_counts_tutors_per_failing_constraint():
    n = need(1, slots=frozenset({2}))
    tutors = [tutor(10, slots=frozenset({3})), tutor(11, subjects=("dutch",), slots=frozenset({3})),
              tutor(12, eligible=False)]
    [u] = match([n], tutors).unmatched
    assert u.reason == "no_eligible_tutor"
    assert u.detail == {"tutors": 3, "eligible_tutors": 0, "slots": 3, "subject": 1, "not_eligible": 1}


# --- capacities ---------------------------------------------------------------------------------

def test_tutor_capacity_is_respected_and_the_rest_reads_tutors_full():
    res = match([need(1), need(2), need(3)], [tutor(10, capacity=2)])
    assert len(res.assignments) == 2 and all(a.tutor == 10 for a in res.assignments)
    [u] = res.unmatched
    assert u.reason == "tutors_full" and u.detail == {"eligible_tutors": 1, "full": 1}


def test_a_full_tutor_is_eligible_but_takes_nobody():
    res = match([need(1)], [tutor(10, capacity=0)])
    assert res.assignments == []
    assert res.unmatched[0].reason == "tutors_full"


def test_initiative_capacity_limits_the_matches_of_its_tutors():
    tutors = [tutor(10, initiative=7), tutor(11, initiative=7), tutor(12, initiative=8, subjects=("dutch",))]
    needs = [need(1), need(2), need(3, subject="dutch")]
    res = match(needs, tutors, initiative_capacity={7: 1, 8: 5})
    got = res.by_need()
    assert len([n for n in got if n in (1, 2)]) == 1 and got[3] == 12
    [u] = res.unmatched
    assert u.reason == "initiative_full" and u.detail["initiatives"] == [7]
    assert match(needs, tutors).objective["matched"] == 3


# --- the ranked objective ------------------------------------------------------------------------

def test_priority_before_quality():
    # need 3 (tier 3) would score 100, need 1 (tier 1) only 0, but tier 1 comes first
    tutors = [tutor(10, languages=frozenset({"nl", "ar"}))]
    needs = [need(1, priority=1), need(3, priority=3, home_language="ar")]
    res = match(needs, tutors, weights=Weights(subject=0, level=0, distance=0, language=1, quality=0))
    assert res.by_need() == {1: 10}
    assert res.assignments[0].score == 0
    assert res.objective["matched_by_priority"] == {1: 1, 2: 0, 3: 0}


def test_priority_never_costs_a_match():
    """Tier 1 is matched AND the count is maximal; quality then chooses among those solutions.

    Tutors A (10, slot 1) and B (11, slot 2) have one place each. Need 1 (tier 1) fits both, need 2
    (tier 3) only A, need 3 (tier 3) only B. Two matches is the maximum and every maximum includes
    need 1 plus one tier-3 need -- rewarding tier 1 never trades away a match. Need 1 scores 100 with
    A (shared home language) and 0 with B, so level 2 picks {1: A, 3: B}.
    """
    w = Weights(subject=0, level=0, distance=0, language=1, quality=0)
    tutors = [tutor(10, slots=frozenset({1}), languages=frozenset({"nl", "ar"})), tutor(11, slots=frozenset({2}))]
    needs = [need(1, priority=1, slots=frozenset({1, 2}), home_language="ar"), need(2, slots=frozenset({1})),
             need(3, slots=frozenset({2}))]
    res = match(needs, tutors, weights=w)
    assert res.objective["matched"] == 2
    assert res.objective["matched_by_priority"] == {1: 1, 2: 0, 3: 1}
    assert res.objective["lexicographic"][:3] == [1, 1, 2]
    assert res.by_need() == {1: 10, 3: 11}
    # without the home-language bonus need 1 moves to B and need 2 takes A: still one tier 1 and two matches
    res = match([dataclasses.replace(needs[0], home_language=None), *needs[1:]], tutors, weights=ONLY_QUALITY)
    assert res.objective["matched_by_priority"] == {1: 1, 2: 0, 3: 1}


def test_a_tier_one_need_wins_a_contested_tutor_with_the_lowest_score():
    t = tutor(10, languages=frozenset({"nl", "ar"}))
    needs = [need(1, priority=2, home_language="ar"), need(2, priority=1), need(3, priority=2, home_language="ar")]
    res = match(needs, [t], weights=Weights(subject=0, level=0, distance=0, language=1, quality=0))
    assert res.by_need() == {2: 10}
    assert res.objective["matched_by_priority"] == {1: 1, 2: 0, 3: 0}


def test_quality_is_maximised_globally_not_greedily():
    w = Weights(subject=0, level=0, distance=0, language=50, quality=50)
    a = tutor(10, quality=1.0, languages=frozenset({"nl", "ar", "tr"}))
    b = tutor(11, quality=0.8, languages=frozenset({"nl", "ar"}))
    n1, n2 = need(1, home_language="ar"), need(2, home_language="tr")
    scores = score_pairs([n1, n2], [a, b], [0, 0, 1, 1], [0, 1, 0, 1], weights=w)
    assert scores.tolist() == [100, 90, 100, 40]
    res = match([n1, n2], [a, b], weights=w)
    assert res.by_need() == {1: 11, 2: 10}  # 90 + 100 beats the greedy 100 + 40
    assert res.objective["quality"] == 190


def test_district_balance_breaks_ties_evenly():
    needs = [need(1, district="North"), need(2, district="North"), need(3, district="South"),
             need(4, district="South")]
    res = match(needs, [tutor(10, capacity=2)])
    got = res.by_need()
    assert len(got) == 2
    assert {n.district for n in needs if n.id in got} == {"North", "South"}
    assert res.objective["balance"] == 100  # floor(100 * 1 / 2) per district


def test_district_balance_uses_the_matched_share_per_district():
    needs = [need(i, district="Big") for i in range(1, 5)] + [need(5, district="Small")]
    res = match(needs, [tutor(10, capacity=2)])
    # 2 of 4 in Big (shares 1/2 and 0) is more even than 1 of 4 and 1 of 1 (1/4 and 1)
    assert len(res.by_need()) == 2 and set(res.by_need()) <= {1, 2, 3, 4}
    assert res.objective["balance"] == 25 + 50


def test_quality_comes_before_district_balance():
    t = tutor(10, capacity=2, languages=frozenset({"nl", "ar"}))
    needs = [need(1, district="North", home_language="ar"), need(2, district="North", home_language="ar"),
             need(3, district="South"), need(4, district="South")]
    res = match(needs, [t])
    assert sorted(res.by_need()) == [1, 2]


# --- fixed, never, keep ----------------------------------------------------------------------------

def test_fixed_pairs_are_always_in_and_use_the_place():
    needs = [need(1), need(2, priority=1)]
    res = match(needs, [tutor(10)], fixed=[(1, 10)])
    assert res.by_need() == {1: 10}
    assert res.assignments[0].fixed and not res.assignments[0].kept
    assert res.unmatched[0].need == 2 and res.unmatched[0].reason == "tutors_full"


def test_a_fixed_pair_breaking_a_rule_is_kept_with_a_warning():
    res = match([need(1, slots=frozenset({4}))], [tutor(10)], fixed=[(1, 10)])
    [a] = res.assignments
    assert (a.need, a.tutor, a.fixed, a.violations) == (1, 10, True, ["slots"])
    assert any("breaks hard constraints: slots" in w for w in res.warnings)


def test_fixed_pairs_over_capacity_and_unknown_ids_are_warned():
    res = match([need(1), need(2)], [tutor(10)], fixed=[(1, 10), (2, 10)])
    assert res.by_need() == {1: 10, 2: 10}
    assert any("exceed" in w for w in res.warnings)
    res = match([need(1)], [tutor(10)], fixed=[(3, 10)])
    assert res.by_need() == {1: 10} and any("not among the needs" in w for w in res.warnings)


def test_a_need_fixed_to_two_tutors_is_refused():
    with pytest.raises(ValueError, match="fixed to two tutors"):
        match([need(1)], [tutor(10), tutor(11)], fixed=[(1, 10), (1, 11)])


def test_never_pairs_are_not_proposed():
    res = match([need(1)], [tutor(10), tutor(11, quality=0.0)], never=[(1, 10)], weights=ONLY_QUALITY)
    assert res.by_need() == {1: 11}
    res = match([need(1)], [tutor(10)], never=[(1, 10)])
    assert res.assignments == []
    assert res.unmatched[0].reason == "no_eligible_tutor" and res.unmatched[0].detail["never"] == 1
    assert len(eligible_pairs([need(1)], [tutor(10)], never=[(1, 10)])[0]) == 0


def test_fixed_beats_never_with_a_warning():
    res = match([need(1)], [tutor(10)], fixed=[(1, 10)], never=[(1, 10)])
    assert res.by_need() == {1: 10} and any("never" in w for w in res.warnings)


def test_keep_holds_a_pair_even_against_a_better_one():
    better, worse = tutor(10, quality=1.0), tutor(11, quality=0.0)
    assert match([need(1)], [better, worse], weights=ONLY_QUALITY).by_need() == {1: 10}
    res = match([need(1)], [better, worse], weights=ONLY_QUALITY, keep={1: 11})
    assert res.by_need() == {1: 11} and res.assignments[0].kept


def test_a_kept_pair_that_now_breaks_a_rule_is_reassigned():
    res = match([need(1)], [tutor(10, eligible=False), tutor(11)], keep={1: 10})
    assert res.by_need() == {1: 11}
    assert any("now breaks hard constraints (not_eligible)" in w for w in res.warnings)


# --- re-matching -------------------------------------------------------------------------------

def test_rematch_keeps_every_unaffected_pair_and_moves_only_the_affected():
    tutors = [tutor(10, quality=0.2, capacity=2), tutor(11, quality=0.5), tutor(12, quality=1.0, capacity=2)]
    needs = [need(i) for i in range(1, 6)]
    current = {1: 10, 2: 10, 3: 11, 4: 12}  # need 5 waits; a fresh run would put more needs with tutor 12
    res = rematch(needs, tutors, current=current, leaving=[11], weights=ONLY_QUALITY)
    got = res.by_need()
    assert {n: got[n] for n in (1, 2, 4)} == {1: 10, 2: 10, 4: 12}
    assert got.get(3) == 12 or got.get(5) == 12
    assert len(got) == 4 and 11 not in got.values()
    assert res.stats["affected"] == [3]
    assert all(a.kept for a in res.assignments if a.need in (1, 2, 4))


def test_rematch_refuses_an_explicit_keep():
    with pytest.raises(TypeError):
        rematch([need(1)], [tutor(10)], current={}, leaving=[], keep={1: 10})


# --- explanations and scores -----------------------------------------------------------------------

def test_a_perfect_pair_scores_100_with_all_points_and_facts():
    n = need(1, level=5, home_language="ar", modes=frozenset({"offline"}), location=(1.0, 1.0),
             slots=frozenset({1, 4, 7}), priority=1, district="Deurne")
    t = tutor(10, subjects=("maths", "dutch"), min_level=1, max_level=8, languages=frozenset({"nl", "ar"}),
              modes=frozenset({"offline"}), location=(1.0, 1.0), quality=1.0, slots=frozenset({4, 7, 9}))
    [a] = match([n], [t]).assignments
    assert a.score == 100 and sum(a.criteria.values()) == 100
    assert a.criteria == {"subject": 25, "level": 20, "distance": 20, "language": 15, "quality": 20}
    assert a.mode == "offline"
    assert a.details == {"distance_km": 0.0, "mode": "offline", "shared_slots": [4, 7], "subject_rank": 1,
                         "home_language": True, "tutor_quality": 1.0, "priority": 1, "district": "Deurne",
                         "waiting_days": 0, "waiting_points": 0}


def test_criteria_points_follow_the_documented_fractions():
    n = need(1, level=7, age_group="lower_secondary", modes=frozenset({"offline", "online"}), location=(0.0, 0.0))
    t = tutor(10, subjects=("dutch", "maths"), min_level=5, max_level=8, modes=frozenset({"offline", "online"}),
              location=(1.0, 0.0), travel_km=4.0, quality=None)
    [a] = match([n], [t]).assignments
    # subject 2nd -> 1/2; level headroom (8 - 7 + 1) / 3; offline 1 - 1/4 = 0.75 beats online 0.5
    assert a.criteria == {"subject": 13, "level": 13, "distance": 15, "language": 0, "quality": 10}
    assert a.score == sum(a.criteria.values()) == 51
    assert a.mode == "offline" and a.details["tutor_quality"] is None and a.details["subject_rank"] == 2
    far = dataclasses.replace(t, location=(3.0, 0.0))  # offline 0.25 < online 0.5 -> proposed online
    [b] = match([n], [far]).assignments
    assert b.mode == "online" and b.criteria["distance"] == 10


def test_initiative_weights_apply_to_their_tutors():
    n = need(1)
    tutors = [tutor(10, initiative=1, quality=0.5), tutor(11, initiative=2, quality=0.5)]
    res = match([n, need(2)], tutors, initiative_weights={2: Weights(0, 0, 0, 0, 1)})
    crit = {a.tutor: a.criteria for a in res.assignments}
    assert crit[11] == {"subject": 0, "level": 0, "distance": 0, "language": 0, "quality": 50}
    assert crit[10]["subject"] == 25


def test_weights_are_normalised_to_100():
    assert Weights().max_points() == {"subject": 25, "level": 20, "distance": 20, "language": 15, "quality": 20}
    assert Weights(1, 1, 1, 1, 1).max_points() == dict.fromkeys(CRITERIA, 20)
    assert Weights(1, 1, 1, 0, 0).max_points() == {"subject": 34, "level": 33, "distance": 33, "language": 0,
                                                   "quality": 0}
    assert sum(Weights(3, 7, 11, 0, 2).max_points().values()) == 100


@pytest.mark.parametrize("w", [Weights(-1, 1, 1, 1, 1), Weights(0, 0, 0, 0, 0), Weights(1.5, 1, 1, 1, 1),
                               Weights(True, 0, 0, 0, 0)])
def test_bad_weights_are_refused(w):
    with pytest.raises(ValueError):
        match([need(1)], [tutor(10)], weights=w)
    with pytest.raises(ValueError):
        match([need(1)], [tutor(10, initiative=3)], initiative_weights={3: w})


@pytest.mark.parametrize(("needs", "tutors"), [
    ([need(1, level=13)], [tutor(10)]),
    ([need(1, age_group="adult")], [tutor(10)]),
    ([need(1, slots=frozenset({21}))], [tutor(10)]),
    ([need(1, priority=0)], [tutor(10)]),
    ([need(1), need(1)], [tutor(10)]),
    ([need(1)], [tutor(10, capacity=4)]),
    ([need(1)], [tutor(10, min_level=5, max_level=4)]),
    ([need(1)], [tutor(10, quality=1.5)]),
    ([need(1)], [tutor(10), tutor(10)]),
])
def test_bad_input_is_refused(needs, tutors):
    with pytest.raises(ValueError):
        match(needs, tutors)


def test_int64_headroom_is_checked(monkeypatch):
    monkeypatch.setattr(solve_module, "INT64_HEADROOM", 1000)
    with pytest.raises(ValueError, match="too large"):
        match([need(i) for i in range(1, 30)], [tutor(10)])


def test_slot_labels():
    assert list(SLOTS) == list(range(21))
    assert slot_label(0) == "Monday morning" and slot_label(4) == "Tuesday afternoon"
    assert slot_label(20) == "Sunday evening"
    with pytest.raises(ValueError):
        slot_label(21)


def test_result_is_independent_of_input_order():
    rng = np.random.default_rng(3)
    needs = [need(i, slots=frozenset({int(rng.integers(3))}), district="AB"[i % 2], priority=1 + i % 3)
             for i in range(1, 13)]
    tutors = [tutor(100 + j, slots=frozenset({0, 1, 2}) - {j % 3}, capacity=1 + j % 2, quality=j / 10)
              for j in range(5)]
    a = match(needs, tutors)
    b = match(needs[::-1], tutors[::-1])
    assert a.by_need() == b.by_need() and a.objective == b.objective
    assert [x.need for x in a.assignments] == sorted(x.need for x in a.assignments)


def test_eligible_pairs_index_the_given_sequences():
    needs = [need(5, subject="dutch"), need(2)]
    tutors = [tutor(30, subjects=("dutch",)), tutor(20)]
    ni, tj = eligible_pairs(needs, tutors)
    assert list(zip(ni.tolist(), tj.tolist(), strict=True)) == [(0, 0), (1, 1)]
    assert score_pairs(needs, tutors, ni, tj).tolist() == [
        a.score for a in sorted(match(needs, tutors).assignments, key=lambda a: -a.need)]


def test_objective_reports_every_level():
    res = match([need(1, priority=1), need(2, priority=2), need(3)], [tutor(10, capacity=3)])
    ob = res.objective
    assert ob["matched"] == 3 and ob["matched_by_priority"] == {1: 1, 2: 1, 3: 1}
    assert ob["lexicographic"] == [1, 2, 3, ob["quality"], -ob["balance"]]
    sc = ob["scales"]
    assert ob["value"] == -sc["tier"] * (3 + 2 + 1) - sc["quality"] * ob["quality"] + ob["balance"]
    assert set(res.stats["seconds"]) == {"eligibility", "scoring", "solve", "explain"}


def test_the_result_is_plain_json():
    needs = [need(1, modes=frozenset({"offline"}), location=(0.0, 0.0), priority=1), need(2), need(3, subject="x")]
    tutors = [tutor(10, modes=frozenset({"offline", "online"}), location=(1.0, 1.0), quality=0.7, capacity=1)]
    res = match(needs, tutors, fixed=[(2, 10)])
    text = json.dumps({"assignments": [dataclasses.asdict(a) for a in res.assignments],
                       "unmatched": [dataclasses.asdict(u) for u in res.unmatched],
                       "objective": res.objective, "stats": res.stats, "warnings": res.warnings})
    assert json.loads(text)["objective"]["matched"] == 1
