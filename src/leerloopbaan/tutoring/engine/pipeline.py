"""``match`` and ``rematch``: eligibility, scoring, solving and explanations end to end."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .eligibility import candidate_pairs, never_keys, pair_violations
from .encode import encode
from .explain import assignments as build_assignments
from .explain import unmatched as build_unmatched
from .model import (
    DEFAULT_WAITING,
    DEFAULT_WEIGHTS,
    HARD_CONSTRAINTS,
    MatchResult,
    Need,
    Rules,
    Tutor,
    Waiting,
    Weights,
)
from .scoring import PairScores, score_arrays
from .solve import FlowProblem, balance_penalty, solve, tier_rewards


def _pairs(items: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out = set()
    for item in items:
        a, b = item
        out.add((int(a), int(b)))
    return sorted(out)


def match(
    needs: Sequence[Need],
    tutors: Sequence[Tutor],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    initiative_weights: Mapping[int, Weights] | None = None,
    initiative_capacity: Mapping[int, int] | None = None,
    initiative_rules: Mapping[int, Rules] | None = None,
    waiting: Waiting = DEFAULT_WAITING,
    fixed: Iterable[tuple[int, int]] = (),
    never: Iterable[tuple[int, int]] = (),
    keep: Mapping[int, int] | None = None,
) -> MatchResult:
    """The globally optimal matching; see the package docstring for the objective and the rules."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    weights.validate()
    waiting.validate()
    for w in (initiative_weights or {}).values():
        w.validate()
    enc = encode(needs, tutors, weights=weights, initiative_weights=initiative_weights,
                 initiative_rules=initiative_rules)
    na, ta = enc.needs, enc.tutors
    n_needs, n_tutors = len(na), len(ta)
    need_row = {int(i): r for r, i in enumerate(na.ids.tolist())}
    tutor_row = {int(i): r for r, i in enumerate(ta.ids.tolist())}
    warnings: list[str] = []
    never_list = _pairs(never)
    never_set = set(never_list)
    keep = dict(keep or {})

    # --- initiative capacities: places for the needs of this call per initiative code, -1 = unlimited
    init_cap = np.full(len(enc.initiatives), -1, dtype=np.int64)
    for k, v in (initiative_capacity or {}).items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"initiative_capacity[{k!r}] must be an integer >= 0, got {v!r}")
        if k in enc.initiatives:
            init_cap[enc.initiatives.index(k)] = v

    # --- fixed pairs (coordinator): always in the result
    fixed_list = _pairs(fixed)
    seen: dict[int, int] = {}
    for a, b in fixed_list:
        if a in seen:
            raise ValueError(f"need {a} is fixed to two tutors ({seen[a]} and {b})")
        seen[a] = b
    f_rows, f_tut = [], []
    for a, b in fixed_list:
        if a not in need_row:
            warnings.append(f"fixed pair (need {a}, tutor {b}): need {a} is not among the needs; ignored")
        elif b not in tutor_row:
            warnings.append(f"fixed pair (need {a}, tutor {b}): tutor {b} is not among the tutors; ignored")
        else:
            if (a, b) in never_set:
                warnings.append(f"fixed pair (need {a}, tutor {b}) is also excluded by 'never'; the fixed pair wins")
            f_rows.append(need_row[a])
            f_tut.append(tutor_row[b])
    fi = np.array(f_rows, dtype=np.int64)
    fj = np.array(f_tut, dtype=np.int64)
    f_viol = pair_violations(enc, fi, fj)
    fixed_violations = [[c for c in HARD_CONSTRAINTS if f_viol[c][k]] for k in range(len(fi))]
    for k, codes in enumerate(fixed_violations):
        if codes:
            warnings.append(f"fixed pair (need {na.ids[fi[k]]}, tutor {ta.ids[fj[k]]}) breaks hard constraints: "
                            + ", ".join(codes))
    used = np.bincount(fj, minlength=n_tutors).astype(np.int64)
    for r in np.flatnonzero(used > ta.capacity).tolist():
        warnings.append(f"tutor {ta.ids[r]}: {used[r]} fixed pairs exceed the {ta.capacity[r]} place(s) left")
    fixed_kept = np.array([keep.get(int(na.ids[a])) == int(ta.ids[b]) for a, b in zip(fi, fj, strict=True)],
                          dtype=bool)
    init_used = np.zeros(len(enc.initiatives), dtype=np.int64)
    codes = ta.initiative[fj]
    np.add.at(init_used, codes[codes >= 0], 1)
    for c in np.flatnonzero((init_cap >= 0) & (init_used > init_cap)).tolist():
        warnings.append(f"initiative {enc.initiatives[c]}: {init_used[c]} fixed pairs exceed its "
                        f"{init_cap[c]} place(s) left")

    # --- continuity: keep current pairs that are still allowed
    fixed_needs = {int(na.ids[r]) for r in fi.tolist()}
    cand = []
    for a, b in sorted(keep.items()):
        a, b = int(a), int(b)
        if a in fixed_needs or a not in need_row:
            continue
        if b not in tutor_row:
            warnings.append(f"need {a}: current tutor {b} is not available; re-assigned")
        elif (a, b) in never_set:
            warnings.append(f"need {a}: current tutor {b} is excluded by 'never'; re-assigned")
        else:
            cand.append((need_row[a], tutor_row[b]))
    ki = np.array([c[0] for c in cand], dtype=np.int64)
    kj = np.array([c[1] for c in cand], dtype=np.int64)
    k_viol = pair_violations(enc, ki, kj)
    k_bad = np.any(np.stack([k_viol[c] for c in HARD_CONSTRAINTS]), axis=0) if len(ki) else np.zeros(0, bool)
    keep_mask = np.zeros(len(ki), dtype=bool)
    for k in range(len(ki)):
        a, b = int(na.ids[ki[k]]), int(ta.ids[kj[k]])
        if k_bad[k]:
            codes_k = [c for c in HARD_CONSTRAINTS if k_viol[c][k]]
            warnings.append(f"need {a}: current tutor {b} now breaks hard constraints ({', '.join(codes_k)}); "
                            f"re-assigned")
        elif used[kj[k]] >= ta.capacity[kj[k]]:
            warnings.append(f"need {a}: current tutor {b} has no place left; re-assigned")
        elif (c := ta.initiative[kj[k]]) >= 0 and 0 <= init_cap[c] <= init_used[c]:
            warnings.append(f"need {a}: initiative {enc.initiatives[c]} of current tutor {b} has no capacity "
                            f"left; re-assigned")
        else:
            keep_mask[k] = True
            used[kj[k]] += 1
            if c >= 0:
                init_used[c] += 1
    ki, kj = ki[keep_mask], kj[keep_mask]

    tutor_left = np.maximum(ta.capacity - used, 0)
    init_left = np.where(init_cap >= 0, np.maximum(init_cap - init_used, 0), -1)
    taken = np.zeros(n_needs, dtype=bool)
    taken[fi] = True
    taken[ki] = True
    free_rows = np.flatnonzero(~taken)
    nk = never_keys(enc, never_list)
    pi, pj = candidate_pairs(enc, free_rows, nk)
    seconds["eligibility"] = time.perf_counter() - clock

    # --- scoring
    clock = time.perf_counter()
    sc = score_arrays(enc, pi, pj)
    seconds["scoring"] = time.perf_counter() - clock

    # --- solving
    clock = time.perf_counter()
    t_init = ta.initiative[pj]
    usable = tutor_left[pj] > 0
    if len(init_left):
        usable &= (t_init < 0) | (init_left[np.maximum(t_init, 0)] != 0)
    top = max(3, int(na.priority.max(initial=3)))
    reward = tier_rewards(na.priority, top)
    wait = np.minimum(waiting.cap, (waiting.per_week * na.waiting) // 7).astype(np.int64)
    pre_rows = np.concatenate([fi, ki])
    n_districts = len(na.districts)
    sizes = np.bincount(na.district, minlength=n_districts)
    done = np.bincount(na.district[pre_rows], minlength=n_districts)
    problem = FlowProblem(
        n_needs=n_needs, n_tutors=n_tutors, pair_need=pi[usable], pair_tutor=pj[usable],
        pair_score=sc.score[usable] + wait[pi[usable]], reward=reward, district=na.district, district_size=sizes,
        district_done=done, tutor_cap=tutor_left, tutor_init=ta.initiative, init_cap=init_left, reward_max=top)
    sol = solve(problem)
    scales = sol.scales
    scales.tier_reward = {t: top + 1 - t for t in range(1, top + 1)}
    chosen = np.flatnonzero(usable)[sol.selected]
    si, sj = pi[chosen], pj[chosen]
    seconds["solve"] = time.perf_counter() - clock

    # --- explanations and objective
    clock = time.perf_counter()
    tutor_after = tutor_left - np.bincount(sj, minlength=n_tutors)
    init_after = init_left.copy()
    sel_codes = ta.initiative[sj]
    np.add.at(init_after, sel_codes[sel_codes >= 0], -1)
    init_after = np.where(init_left >= 0, init_after, -1)
    rows_all = np.concatenate([fi, ki, si])
    tut_all = np.concatenate([fj, kj, sj])
    all_scores = PairScores.concat([score_arrays(enc, np.concatenate([fi, ki]), np.concatenate([fj, kj])),
                                    sc.take(chosen)])
    nf, nkp = len(fi), len(ki)
    is_fixed = np.r_[np.ones(nf, bool), np.zeros(nkp + len(si), bool)]
    is_kept = np.r_[fixed_kept, np.ones(nkp, bool), np.zeros(len(si), bool)]
    viols = fixed_violations + [[] for _ in range(nkp + len(si))]
    result_assign = build_assignments(enc, rows_all, tut_all, all_scores, fixed=is_fixed, kept=is_kept,
                                      violations=viols, waiting_points=wait[rows_all])
    order = np.argsort(rows_all, kind="stable")
    result_assign = [result_assign[k] for k in order.tolist()]
    matched_free = np.zeros(n_needs, dtype=bool)
    matched_free[si] = True
    lost = free_rows[~matched_free[free_rows]]
    result_unmatched = build_unmatched(enc, lost, pi, pj, tutor_after, init_after, never_list)

    s = scales.balance_resolution
    tiers = na.priority[rows_all]
    by_tier = {t: int((tiers == t).sum()) for t in sorted(set(range(1, 4)) | set(na.priority.tolist()))}
    quality = int(all_scores.score.sum())
    waited = int(wait[rows_all].sum())
    matched_per_district = np.bincount(na.district[rows_all], minlength=n_districts)
    balance = balance_penalty(matched_per_district, sizes, s)
    rewards = int(reward[rows_all].sum())
    value = -scales.tier * rewards - scales.quality * (quality + waited) + balance
    # self-check: the chosen pairs have the optimal costs of both stages
    stage1 = -sol.stage1_weight * int(reward[si].sum()) - int(sc.score[chosen].sum()) - int(wait[si].sum())
    stage2 = balance - balance_penalty(done, sizes, s)
    if stage1 != sol.stage1_cost or (sol.stage2_cost is not None and stage2 != sol.stage2_cost):
        raise RuntimeError(f"objective mismatch: stage costs {sol.stage1_cost}, {sol.stage2_cost} != "
                           f"recomputed {stage1}, {stage2}")
    cumulative, acc = [], 0
    for t in range(1, top + 1):
        acc += by_tier.get(t, 0)
        cumulative.append(acc)
    objective = {
        "matched": int(len(rows_all)),
        "matched_by_priority": by_tier,
        "quality": quality,
        "waiting": waited,
        "balance": balance,
        "value": value,
        "lexicographic": [*cumulative, quality + waited, -balance],
        "scales": {"tier": scales.tier, "quality": scales.quality, "balance_resolution": s,
                   "tier_reward": scales.tier_reward, "waiting_per_week": waiting.per_week,
                   "waiting_cap": waiting.cap},
    }
    seconds["explain"] = time.perf_counter() - clock
    stats = {
        "needs": n_needs, "tutors": n_tutors, "fixed": nf, "kept": nkp, "free_needs": int(len(free_rows)),
        "eligible_pairs": int(len(pi)), "mean_eligible_per_need": float(len(pi) / max(1, len(free_rows))),
        "nodes": sol.n_nodes, "arcs": sol.n_arcs, "bellman_ford_rounds": sol.bellman_ford_rounds, "seconds": seconds,
    }
    return MatchResult(result_assign, result_unmatched, objective, stats, warnings)


def rematch(needs: Sequence[Need], tutors: Sequence[Tutor], *, current: Mapping[int, int], leaving: Iterable[int],
            **kwargs) -> MatchResult:
    """Re-match after tutors left: every need whose tutor stays keeps it; only the needs of the leaving
    tutors and still-unmatched needs are (re-)assigned (``match`` with ``keep``)."""
    if "keep" in kwargs:
        raise TypeError("rematch() derives 'keep' from 'current'; do not pass it")
    gone = {int(t) for t in leaving}
    need_ids = {n.id for n in needs}
    keep = {int(n): int(t) for n, t in current.items() if int(t) not in gone and int(n) in need_ids}
    result = match(needs, [t for t in tutors if t.id not in gone], keep=keep, **kwargs)
    result.stats["affected"] = sorted(int(n) for n, t in current.items() if int(t) in gone and int(n) in need_ids)
    return result
