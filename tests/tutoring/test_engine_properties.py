"""Property-based checks of the tutor-matching engine on random small instances (no database):
hard constraints never violated, optimality against brute force, determinism, continuity when
re-matching; and a medium instance against an independent exact solver (HiGHS via scipy.milp)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from leerloopbaan.tutoring.engine import (
    Need,
    Rules,
    Tutor,
    Waiting,
    Weights,
    eligible_pairs,
    explain_ineligible,
    match,
    rematch,
    score_pairs,
)
from leerloopbaan.tutoring.engine.eligibility import (
    candidate_pairs,
    grid_violations,
    pair_violations,
    violation_counts,
)
from leerloopbaan.tutoring.engine.encode import encode

AGES = ("primary", "lower_secondary", "upper_secondary")
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _age(level: int) -> str:
    return AGES[0] if level <= 6 else AGES[1] if level <= 8 else AGES[2]


small_set = st.frozensets
loc = st.one_of(st.none(), *[st.tuples(st.integers(0, 3).map(float), st.integers(0, 3).map(float))] * 6)


def often(value, *others):
    """A strategy that mostly draws ``value`` (so that most pairs are eligible and tutors are contested)."""
    return st.sampled_from([value] * 4 + list(others))


@st.composite
def needs_st(draw, n_max=7):
    n = draw(st.integers(2, n_max))
    out = []
    for i in range(n):
        level = draw(st.integers(4, 9))
        out.append(Need(
            id=10 + i * 3, subject=draw(often("maths", "dutch")), level=level, age_group=_age(level),
            languages=draw(often(frozenset({"nl"}), frozenset({"en"}), frozenset({"nl", "en"}))),
            home_language=draw(st.sampled_from([None, "ar", "en"])), language_support=draw(often(False, True)),
            slots=draw(small_set(st.integers(0, 2), min_size=1)),
            modes=draw(often(frozenset({"online", "offline"}), frozenset({"online"}), frozenset({"offline"}))),
            location=draw(loc), district=draw(st.sampled_from(["A", "B", "C"])), priority=draw(st.integers(1, 3)),
            school=draw(st.sampled_from([None, 1, 2])), pupil=500 + i,
            asked=draw(st.sampled_from([None, None, frozenset({1}), frozenset({2}), frozenset({1, 2}), frozenset()])),
            waiting_days=draw(st.sampled_from([0, 0, 10, 35, 120])),
        ))
    return out


rules_st = st.builds(Rules, open=st.booleans(), age_groups=st.sampled_from([frozenset(), frozenset({AGES[1]})]),
                     subjects=st.sampled_from([frozenset(), frozenset({"maths"})]),
                     districts=st.sampled_from([frozenset(), frozenset({"A", "B"})]))


@st.composite
def tutors_st(draw, n_needs, t_max=4):
    m = draw(often(2, 1, 3, t_max))
    out = []
    for j in range(m):
        lo = draw(often(1, 3, 5, 7))
        hi = draw(often(12, max(lo, 6), max(lo, 8)))
        out.append(Tutor(
            id=100 + j * 7, subjects=draw(often(("maths", "dutch"), ("dutch", "maths"), ("maths",), ("dutch",))),
            min_level=lo, max_level=hi, age_groups=draw(often(frozenset(AGES), frozenset(AGES[:2]))),
            languages=draw(often(frozenset({"nl", "en"}), frozenset({"nl"}), frozenset({"nl", "ar"}),
                                 frozenset({"en", "ar"}))),
            language_support=draw(st.booleans()), slots=draw(small_set(st.integers(0, 2), min_size=2)),
            modes=draw(often(frozenset({"online", "offline"}), frozenset({"online"}), frozenset({"offline"}))),
            location=draw(loc), travel_km=float(draw(st.integers(2, 4))), capacity=draw(often(1, 2, 3)),
            quality=draw(st.sampled_from([None, 0.0, 0.25, 0.5, 1.0])), initiative=draw(st.sampled_from([None, 1, 2])),
            conflict_schools=draw(often(frozenset(), frozenset({1}))),
            conflict_pupils=draw(often(frozenset(), *[frozenset({500 + i}) for i in range(n_needs)])),
        ))
    return out


@st.composite
def instances(draw):
    needs = draw(needs_st())
    tutors = draw(tutors_st(len(needs)))
    if draw(st.integers(0, 3)) == 0:
        tutors[0] = dataclasses.replace(tutors[0], eligible=False)
    pairs = [(n.id, t.id) for n in needs for t in tutors]
    fixed_needs = draw(st.lists(st.sampled_from(needs), max_size=2, unique_by=lambda n: n.id))
    fixed = [(n.id, draw(st.sampled_from(tutors)).id) for n in fixed_needs]
    never = draw(st.lists(st.sampled_from(pairs), max_size=3))
    init_cap = draw(st.one_of(st.none(), st.fixed_dictionaries({1: st.integers(0, 3)})))
    weights = draw(st.sampled_from([Weights(), Weights(1, 1, 1, 1, 1), Weights(0, 0, 3, 0, 1)]))
    rules = draw(st.one_of(st.none(), st.fixed_dictionaries({1: rules_st}), st.fixed_dictionaries({1: rules_st, 2: rules_st})))
    return needs, tutors, {"fixed": fixed, "never": never, "initiative_capacity": init_cap, "weights": weights,
                           "initiative_rules": rules}


def _waited(needs, ids) -> int:
    return sum(Waiting().points(n.waiting_days) for n in needs if n.id in ids)


def _tier_prefix(tiers: list[int]) -> list[int]:
    return [sum(1 for t in tiers if t <= k) for k in (1, 2, 3)]


def _balance(needs: list[Need], matched_ids: set[int], s: int = 100) -> int:
    sizes, matched = {}, {}
    for n in needs:
        sizes[n.district] = sizes.get(n.district, 0) + 1
        matched[n.district] = matched.get(n.district, 0) + (n.id in matched_ids)
    return sum((s * k) // sizes[d] for d in sizes for k in range(1, matched[d] + 1))


def _check_constraints(needs, tutors, res, fixed, never, initiative_capacity, rules=None):
    by_need = {n.id: n for n in needs}
    by_tutor = {t.id: t for t in tutors}
    fixed_set, never_set = set(fixed), set(never)
    seen = [a.need for a in res.assignments]
    assert len(seen) == len(set(seen))
    assert fixed_set <= {(a.need, a.tutor) for a in res.assignments}
    load, fixed_load, init_load = {}, {}, {}
    for a in res.assignments:
        load[a.tutor] = load.get(a.tutor, 0) + 1
        i = by_tutor[a.tutor].initiative
        init_load[i] = init_load.get(i, 0) + 1
        assert sum(a.criteria.values()) == a.score and 0 <= a.score <= 100
        if a.fixed:
            fixed_load[a.tutor] = fixed_load.get(a.tutor, 0) + 1
            assert a.violations == explain_ineligible(by_need[a.need], by_tutor[a.tutor], rules)
        else:
            assert explain_ineligible(by_need[a.need], by_tutor[a.tutor], rules) == []
            assert (a.need, a.tutor) not in never_set
    for t, k in load.items():
        assert k <= max(by_tutor[t].capacity, fixed_load.get(t, 0))
    n_fixed_init = {}
    for _, t in fixed:
        i = by_tutor[t].initiative
        n_fixed_init[i] = n_fixed_init.get(i, 0) + 1
    for i, cap in (initiative_capacity or {}).items():
        assert init_load.get(i, 0) <= max(cap, n_fixed_init.get(i, 0))
    # every need is either assigned or explained
    assert sorted(seen + [u.need for u in res.unmatched]) == sorted(by_need)
    ni, _ = eligible_pairs(needs, tutors, never=never, initiative_rules=rules)  # agrees with explain_ineligible
    has_eligible = {needs[i].id for i in ni.tolist()}
    for u in res.unmatched:
        assert (u.reason == "no_eligible_tutor") == (u.need not in has_eligible)
        assert u.reason in ("no_eligible_tutor", "tutors_full", "initiative_full")


@PROFILE
@given(instances())
def test_no_hard_constraint_is_ever_violated(inst):
    needs, tutors, kw = inst
    res = match(needs, tutors, **kw)
    _check_constraints(needs, tutors, res, kw["fixed"], kw["never"], kw["initiative_capacity"], kw["initiative_rules"])


def brute_force(needs, tutors, fixed, never, initiative_capacity, weights, initiative_rules=None):
    """Best lexicographic tuple (tier-1 count, tier-1..2, tier-1..3, quality + waiting points, -balance)
    over all assignments that contain the fixed pairs, respect the places left and the hard constraints
    (the initiatives' rules among them)."""
    ni, tj = eligible_pairs(needs, tutors, never=never, initiative_rules=initiative_rules)
    scores = score_pairs(needs, tutors, ni, tj, weights=weights)
    fixed_needs = {n for n, _ in fixed}
    options = {i: [] for i, n in enumerate(needs) if n.id not in fixed_needs}
    pair_score = {}
    for i, j, s in zip(ni.tolist(), tj.tolist(), scores.tolist(), strict=True):
        if i in options:
            options[i].append(j)
        pair_score[(i, j)] = s
    idx_n = {n.id: i for i, n in enumerate(needs)}
    idx_t = {t.id: j for j, t in enumerate(tutors)}
    fixed_idx = [(idx_n[n], idx_t[t]) for n, t in fixed]
    fixed_scores = score_pairs(needs, tutors, [i for i, _ in fixed_idx], [j for _, j in fixed_idx], weights=weights)
    cap = [t.capacity for t in tutors]
    icap = dict(initiative_capacity or {})
    for (_, j) in fixed_idx:
        cap[j] -= 1
        i = tutors[j].initiative
        if i in icap:
            icap[i] -= 1
    free = sorted(options)
    best = None
    for choice in itertools.product(*[[None, *options[i]] for i in free]):
        used, iused = {}, {}
        ok = True
        for j in choice:
            if j is None:
                continue
            used[j] = used.get(j, 0) + 1
            if used[j] > cap[j]:
                ok = False
                break
            ini = tutors[j].initiative
            if ini in icap:
                iused[ini] = iused.get(ini, 0) + 1
                if iused[ini] > icap[ini]:
                    ok = False
                    break
        if not ok:
            continue
        pairs = [(i, j) for i, j in zip(free, choice, strict=True) if j is not None]
        tiers = [needs[i].priority for i, _ in pairs] + [needs[i].priority for i, _ in fixed_idx]
        quality = sum(pair_score[p] for p in pairs) + int(fixed_scores.sum())
        matched = {needs[i].id for i, _ in pairs} | {needs[i].id for i, _ in fixed_idx}
        key = (*_tier_prefix(tiers), quality + _waited(needs, matched), -_balance(needs, matched))
        if best is None or key > best:
            best = key
    return best


@PROFILE
@given(instances())
def test_the_result_is_the_lexicographic_optimum(inst):
    needs, tutors, kw = inst
    res = match(needs, tutors, **kw)
    matched = {a.need for a in res.assignments}
    ours = (*_tier_prefix([n.priority for n in needs if n.id in matched]),
            sum(a.score for a in res.assignments) + _waited(needs, matched), -_balance(needs, matched))
    assert list(ours) == res.objective["lexicographic"]
    assert ours == brute_force(needs, tutors, kw["fixed"], kw["never"], kw["initiative_capacity"], kw["weights"],
                               kw["initiative_rules"])


@PROFILE
@given(instances(), st.randoms(use_true_random=False))
def test_same_input_same_output_whatever_the_order(inst, rnd):
    needs, tutors, kw = inst
    a = match(needs, tutors, **kw)
    needs2, tutors2 = list(needs), list(tutors)
    rnd.shuffle(needs2)
    rnd.shuffle(tutors2)
    b = match(needs2, tutors2, **{**kw, "fixed": kw["fixed"][::-1], "never": kw["never"][::-1]})
    assert a.assignments == b.assignments and a.unmatched == b.unmatched
    assert a.objective == b.objective and a.warnings == b.warnings


@PROFILE
@given(instances(), st.data())
def test_rematch_never_moves_an_unaffected_need(inst, data):
    needs, tutors, kw = inst
    kw = {**kw, "fixed": []}
    current = match(needs, tutors, **kw).by_need()
    leaving = data.draw(st.lists(st.sampled_from([t.id for t in tutors]), max_size=2))
    res = rematch(needs, tutors, current=current, leaving=leaving, **kw)
    now = res.by_need()
    for n, t in current.items():
        if t not in leaving:
            assert now[n] == t
    assert not set(now.values()) & set(leaving)
    assert res.stats["affected"] == sorted(n for n, t in current.items() if t in leaving)
    _check_constraints(needs, [t for t in tutors if t.id not in leaving], res, [], kw["never"],
                       kw["initiative_capacity"], kw["initiative_rules"])


@PROFILE
@given(instances())
def test_the_three_eligibility_implementations_agree(inst):
    needs, tutors, kw = inst
    enc = encode(needs, tutors, initiative_rules=kw["initiative_rules"])
    n, m = len(enc.needs), len(enc.tutors)
    ni, tj = candidate_pairs(enc)
    fast = np.zeros((n, m), dtype=bool)
    fast[ni, tj] = True
    rows = np.arange(n)
    pv = pair_violations(enc, np.repeat(rows, m), np.tile(np.arange(m), n))
    gv = grid_violations(enc, rows)
    for code in pv:
        assert (pv[code].reshape(n, m) == gv[code]).all(), code
    ok = ~np.any(np.stack([gv[c] for c in gv]), axis=0)
    assert (ok == fast).all()
    counts = violation_counts(enc, rows)  # the explanations' counts without the grid
    assert list(counts) == list(gv)
    for code in gv:
        assert (counts[code] == gv[code].sum(axis=1)).all(), code
    for a, b in itertools.product(range(n), range(m)):
        codes = explain_ineligible(enc.need_objs[a], enc.tutor_objs[b], kw["initiative_rules"])
        assert codes == [c for c in gv if gv[c][a, b]]
        # the column encoding of the rules agrees with their reference definition
        ini = enc.tutor_objs[b].initiative
        admitted = ini is None or (kw["initiative_rules"] or {}).get(ini, Rules()).admits(enc.need_objs[a], ini)
        assert ("initiative" in codes) == (not admitted)


# --- a medium instance against an independent exact solver ------------------------------------------

def _medium(seed: int, n: int = 200, m: int = 90):
    rng = random.Random(seed)
    needs = [Need(id=i, subject=rng.choice(["maths", "dutch", "french"]), level=(lv := rng.randint(3, 10)),
                  age_group=_age(lv), languages=frozenset({"nl"}) | ({"en"} if rng.random() < .3 else set()),
                  home_language=rng.choice([None, None, "ar", "tr", "en"]), language_support=rng.random() < .15,
                  slots=frozenset(rng.sample(range(8), rng.randint(1, 3))),
                  modes=frozenset(rng.choice([["offline"], ["online"], ["online", "offline"]])),
                  location=(rng.uniform(0, 10), rng.uniform(0, 10)), district=rng.choice("NESWC"),
                  priority=rng.choice([1, 2, 3, 3, 3]), school=rng.randint(1, 5), pupil=1000 + i)
             for i in range(1, n + 1)]
    tutors = []
    for j in range(1, m + 1):
        lo = rng.randint(2, 9)
        tutors.append(Tutor(
            id=j, subjects=tuple(rng.sample(["maths", "dutch", "french"], rng.randint(1, 2))), min_level=lo,
            max_level=min(12, lo + rng.randint(1, 4)), age_groups=frozenset(AGES),
            languages=frozenset({"nl"}) | set(rng.sample(["en", "ar", "tr"], rng.randint(0, 2))),
            language_support=rng.random() < .4, slots=frozenset(rng.sample(range(8), rng.randint(2, 5))),
            modes=frozenset(rng.choice([["offline"], ["online"], ["online", "offline"]])),
            location=(rng.uniform(0, 10), rng.uniform(0, 10)), travel_km=rng.choice([2.0, 3.0, 5.0]),
            capacity=rng.randint(1, 3), quality=rng.choice([None, 0.3, 0.6, 0.9]), initiative=rng.choice([1, 2]),
            conflict_schools=frozenset({rng.randint(1, 5)}) if rng.random() < .1 else frozenset()))
    return needs, tutors


def milp_lexicographic(needs, tutors, fixed, initiative_capacity):
    """Three exact MILPs (HiGHS): max tier rewards, then max quality, then min balance."""
    ni, tj = eligible_pairs(needs, tutors)
    idx_n = {x.id: i for i, x in enumerate(needs)}
    idx_t = {x.id: j for j, x in enumerate(tutors)}
    fixed_pairs = {(idx_n[a], idx_t[b]) for a, b in fixed}
    pairs = sorted(set(zip(ni.tolist(), tj.tolist(), strict=True)) | fixed_pairs)
    pi = np.array([p[0] for p in pairs])
    pj = np.array([p[1] for p in pairs])
    q = score_pairs(needs, tutors, pi, pj).astype(float)
    reward = np.array([4 - needs[i].priority for i in pi], dtype=float)
    districts = sorted({x.district for x in needs})
    size = {d: sum(1 for x in needs if x.district == d) for d in districts}
    # balance variables z[d, k] (k-th matched need of d), costs floor(100 k / n_d)
    z = [(d, k) for d in districts for k in range(1, size[d] + 1)]
    zc = np.array([(100 * k) // size[d] for d, k in z], dtype=float)
    nx, nz = len(pairs), len(z)
    n_n, n_t = len(needs), len(tutors)
    ks = np.arange(nx)
    t_init = np.array([-1 if t.initiative is None else t.initiative for t in tutors])
    n_dist = np.array([districts.index(x.district) for x in needs])
    z_dist = np.array([districts.index(d) for d, _ in z])
    inits = sorted(initiative_capacity)
    in_init = np.isin(t_init[pj], inits)
    # rows: one per need (<= 1), per tutor (<= capacity), per capped initiative, per district (sum x - sum z = 0)
    rows = np.r_[pi, n_n + pj, n_n + n_t + np.searchsorted(inits, t_init[pj][in_init]),
                 n_n + n_t + len(inits) + n_dist[pi], n_n + n_t + len(inits) + z_dist]
    cols = np.r_[ks, ks, ks[in_init], ks, nx + np.arange(nz)]
    vals = np.r_[np.ones(2 * nx + int(in_init.sum()) + nx), -np.ones(nz)]
    r = n_n + n_t + len(inits) + len(districts)
    lo = np.zeros(r)
    hi = np.r_[np.ones(n_n), [t.capacity for t in tutors], [initiative_capacity[i] for i in inits],
               np.zeros(len(districts))]
    lb = np.zeros(nx + nz)
    lb[[k for k, p in enumerate(pairs) if p in fixed_pairs]] = 1
    bounds = Bounds(lb, np.ones(nx + nz))
    integrality = np.ones(nx + nz)

    def solve(c, extra):
        a = coo_matrix((vals, (rows, cols)), shape=(r, nx + nz)).tocsr()
        cons = [LinearConstraint(a, lo, hi), *extra]
        out = milp(c, constraints=cons, integrality=integrality, bounds=bounds, options={"mip_rel_gap": 0})
        assert out.success, out.message
        return out

    c1 = np.r_[-reward, np.zeros(nz)]
    s1 = solve(c1, [])
    l1 = round(-s1.fun)
    c2 = np.r_[-q, np.zeros(nz)]
    s2 = solve(c2, [LinearConstraint(c1[None, :], -l1, -l1)])
    l2 = round(-s2.fun)
    c3 = np.r_[np.zeros(nx), zc]
    s3 = solve(c3, [LinearConstraint(c1[None, :], -l1, -l1), LinearConstraint(c2[None, :], -l2, -l2)])
    x = np.round(s3.x[:nx]).astype(bool)
    tiers = [needs[i].priority for i in pi[x]]
    return (*_tier_prefix(tiers), int(q[x].sum()), -round(s3.fun))


@pytest.mark.parametrize("seed", [1, 2])
def test_medium_instance_matches_an_independent_exact_solver(seed):
    needs, tutors = _medium(seed)
    rng = random.Random(seed)
    ni, tj = eligible_pairs(needs, tutors)
    picks = rng.sample(range(len(ni)), 4)
    fixed = list({needs[ni[k]].id: (needs[ni[k]].id, tutors[tj[k]].id) for k in picks}.values())
    init_cap = {1: 40}
    res = match(needs, tutors, fixed=fixed, initiative_capacity=init_cap)
    assert res.stats["mean_eligible_per_need"] > 3
    assert tuple(res.objective["lexicographic"]) == milp_lexicographic(needs, tutors, fixed, init_cap)
    _check_constraints(needs, tutors, res, fixed, [], init_cap)
