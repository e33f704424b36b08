"""The effect engine on synthetic data where the true effect is known."""

import datetime
import random

from leerloopbaan.care.engine.effects import Unit, evaluate, interval, match, oki_bin

D = datetime.date(2024, 11, 1)


def synthetic(effect_b: float, *, seed: int = 7, n_treated: int = 60, n_pool: int = 400, effect_c: float = 0.0):
    rng = random.Random(seed)

    def unit(i, treated):
        grade = rng.choice(["S2", "S3", "S4"])
        oki = rng.choice([0, 1, 2, 3])
        risk = min(max(rng.gauss(0.5 if treated else 0.4, 0.15), 0), 1)
        pre_b = max(0.0, 4 * risk + rng.gauss(0, 1))
        trend = 0.5 * risk  # everybody's absence drifts up with risk: the comparison must remove it
        post_b = pre_b + trend + rng.gauss(0, 0.8) + (effect_b if treated else 0)
        pre_z, post_z = rng.uniform(0, 2), rng.uniform(0, 2)
        pre_r, post_r = risk, risk + rng.gauss(0, 0.05)
        c = 1.0 if rng.random() < 0.2 + (effect_c if treated else 0) else 0.0
        return Unit(id=i, grade=grade, oki=oki, risk=risk, date=D,
                    pre={"b_per_month": pre_b, "z_per_month": pre_z, "risk": pre_r},
                    post={"b_per_month": post_b, "z_per_month": post_z, "risk": post_r, "c_attest": c})

    treated = [unit(i, True) for i in range(n_treated)]
    pool = [unit(1000 + i, False) for i in range(n_pool)]
    return treated, pool


def test_known_effect_is_recovered():
    treated, pool = synthetic(-2.0)
    result = evaluate(treated, pool)
    b = result.estimates["b_per_month"]
    assert result.matched >= 40 and b.n == result.matched
    assert b.covers(-2.0)
    assert not b.covers(0.0)
    assert abs(b.effect + 2) < 0.5


def test_no_effect_is_covered_by_the_interval():
    for seed in (1, 2, 3):
        treated, pool = synthetic(0.0, seed=seed)
        result = evaluate(treated, pool)
        for name in ("b_per_month", "z_per_month", "risk", "c_attest"):
            assert result.estimates[name].covers(0.0), (seed, name, result.estimates[name])


def test_matching_is_exact_on_grade_and_oki_bin_and_within_the_caliper():
    treated, pool = synthetic(0.0)
    pairs, unmatched = match(treated, pool, caliper=0.05)
    assert pairs
    for p in pairs:
        assert p.treated.grade == p.control.grade
        assert oki_bin(p.treated.oki) == oki_bin(p.control.oki)
        assert abs(p.treated.risk - p.control.risk) <= 0.05 + 1e-9
    controls = [p.control.id for p in pairs]
    assert len(controls) == len(set(controls))  # without replacement
    assert len(pairs) + len(unmatched) == len(treated)
    assert oki_bin(3) == oki_bin(2) == "2+" and oki_bin(None) == "?"


def test_deterministic_and_ties_by_id():
    treated, pool = synthetic(-1.0)
    assert evaluate(treated, pool) == evaluate(list(reversed(treated)), list(reversed(pool)))
    t = Unit(id=1, grade="S3", oki=0, risk=0.5)
    a, b = Unit(id=30, grade="S3", oki=0, risk=0.52), Unit(id=20, grade="S3", oki=0, risk=0.48)
    pairs, _ = match([t], [a, b])
    assert pairs[0].control.id == 20


def test_unmatched_are_counted():
    t1 = Unit(id=1, grade="S3", oki=1, risk=0.5, date=D)
    t2 = Unit(id=2, grade="S3", oki=1, risk=0.9)  # nothing near
    t3 = Unit(id=3, grade="S4", oki=1, risk=0.5)  # other grade
    t4 = Unit(id=4, grade="S3", oki=1, risk=0.51, date=D)  # the only near candidate is taken by t1
    t5 = Unit(id=5, grade="S3", oki=1, risk=0.5, date=D)
    late = Unit(id=11, grade="S3", oki=1, risk=0.5, date=D + datetime.timedelta(days=200))  # too far in time
    pool = [Unit(id=10, grade="S3", oki=1, risk=0.52), Unit(id=1, grade="S3", oki=1, risk=0.5), late]
    result = evaluate([t1, t2, t3, t4, t5], pool)
    assert (result.treated, result.matched, result.unmatched) == (5, 1, 4)


def test_interval_small_samples():
    assert interval([]) == (None, None, None)
    assert interval([1.0]) == (1.0, None, None)
    mean, low, high = interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and low < 2.0 < high
