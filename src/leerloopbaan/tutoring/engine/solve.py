"""The lexicographic objective, solved exactly with OR-Tools' max flow and min-cost flow.

The network of the free needs (arcs in this order, so the same input gives the same arc order)::

    source -> need        capacity 1                                         (reward -A1 * R(tier))
    need -> tutor         capacity 1 per usable eligible pair                (cost -score)
    tutor -> initiative   places left (tutors without a capped initiative go straight to the sink)
    initiative -> sink    places left in the initiative
    source -> sink        bypass, capacity = number of free needs, cost 0

A unit of flow through a need -> tutor arc is a match; min-cost flows are integral (0/1).
With ``A1 = Qb + 1`` the costs in brackets rank (level 1, level 2) lexicographically (argument (i)
of the package docstring without P). It is solved in three steps, all with small costs:

1. Level 1. By Gale-optimality every optimum matches exactly ``r_k`` needs of tiers <= k, where
   ``r_k`` is the max flow when only those needs may enter: one OR-Tools max flow per tier.
2. Level 2. A min-cost flow with costs ``-score`` (<= 100) on a chain network that forces these
   counts: ``source = X_top``, ``X_k -> hub_k -> needs of tier k``, ``X_k -> X_(k-1)`` with lower bound
   ``r_(k-1)``, supply ``r_top``. Its optimum is the lexicographic optimum of levels 1 and 2, hence a
   minimum of the reward network's cost above.
3. Level 3 (district balance), over all optima of step 2. Node potentials ``pi`` for that
   optimum in the reward network are the shortest-path distances in its residual graph (Bellman-
   Ford from a virtual root, vectorised; it would find a negative cycle if the flow were not
   optimal, so it doubles as a certificate). By complementary slackness a flow is optimal exactly
   when it uses no arc of positive reduced cost ``c + pi(tail) - pi(head)`` and saturates every arc
   of negative reduced cost. So step 3 keeps the arcs of zero reduced cost, moves the saturated
   ones into the supplies, drops the rest, inserts the district layer -- ``source -> district d`` as
   unit arcs whose k-th costs ``floor(S * k / n_d)`` (counting on from the pre-assigned needs of d),
   ``district -> need`` in place of ``source -> need`` -- and minimises the balance cost alone.

A single flow with the full weights of ``value`` would need arc costs near 1e13 (25 cost-scaling
phases instead of ~8) and runs about twice as long on the benchmark city; the benchmark solves
that single flow independently and checks that both give the same value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

INT64_HEADROOM = 1 << 60
"""Largest |reward-network arc cost| * (nodes + 1) accepted: it bounds the potentials of step 3 (and
is what OR-Tools' cost scaling would need, it refuses above 2**62); a factor 4 below int64 headroom."""
BALANCE_RESOLUTION = 100
"""S: the k-th matched need of district d costs floor(S * k / n_d) at level 3."""


@dataclass
class Scales:
    """Integer weights under which ``value = -tier * L1 - quality * Q + P`` ranks solutions exactly
    lexicographically (see the package docstring); the value is reported, not solved as one piece."""

    tier: int                   # A
    quality: int                # B
    balance_resolution: int     # S
    tier_reward: dict[int, int] = field(default_factory=dict)


def tier_rewards(priority: np.ndarray, top: int) -> np.ndarray:
    """R(t) = top + 1 - t: positive and strictly decreasing in the tier (tier 1 highest)."""
    return (top + 1 - priority).astype(np.int64)


def balance_costs(k_from: int, k_to: int, n_d: int, s: int) -> np.ndarray:
    """Costs floor(S * k / n_d) of the k-th matched need of a district, k in [k_from, k_to)."""
    k = np.arange(k_from, k_to, dtype=np.int64)
    return (s * k) // max(1, n_d)


def balance_penalty(matched: np.ndarray, sizes: np.ndarray, s: int) -> int:
    """Level 3: sum over districts of sum_{k=1..m_d} floor(S * k / n_d) (convex in each m_d)."""
    return int(sum(int(balance_costs(1, int(m) + 1, int(n), s).sum()) for m, n in zip(matched, sizes, strict=True)))


@dataclass
class FlowProblem:
    n_needs: int                # rows of the whole instance
    n_tutors: int
    pair_need: np.ndarray       # need row per usable eligible pair (sorted by need row, tutor row)
    pair_tutor: np.ndarray
    pair_score: np.ndarray      # 0..100
    reward: np.ndarray          # tier reward per need row (whole instance)
    district: np.ndarray        # district code per need row
    district_size: np.ndarray   # n_d: all needs of the district in this call
    district_done: np.ndarray   # k0_d: pre-assigned (fixed / kept) needs of the district
    tutor_cap: np.ndarray       # places left per tutor row
    tutor_init: np.ndarray      # initiative code per tutor row, -1 none
    init_cap: np.ndarray        # places left per initiative code, -1 = unlimited
    reward_max: int
    balance_resolution: int = BALANCE_RESOLUTION


@dataclass
class FlowSolution:
    selected: np.ndarray        # bool per pair
    scales: Scales
    stage1_weight: int          # A1
    stage1_cost: int            # -A1 * L1 - Q of the free part (steps 1-2)
    stage2_cost: int | None     # balance of the free part (step 3; None: not needed)
    n_nodes: int
    n_arcs: int
    bellman_ford_rounds: int = 0


def _mcf(n_nodes: int, tails, heads, caps, costs, supplies) -> tuple[np.ndarray, int]:
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(np.asarray(tails, dtype=np.int32), np.asarray(heads, dtype=np.int32),
                                              np.asarray(caps, dtype=np.int64), np.asarray(costs, dtype=np.int64))
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), np.asarray(supplies, dtype=np.int64))
    status = flow.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return np.asarray(flow.flows(np.arange(len(tails), dtype=np.int32)), dtype=np.int64), int(flow.optimal_cost())


def _levels_1_2(n_nodes: int, tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, score: np.ndarray,
            tiers: np.ndarray, top: int, n_free: int, n_pairs: int) -> np.ndarray:
    """Flow (0/1) per pair of the lexicographic optimum of levels 1 and 2.

    ``tails/heads/caps`` are the network source -> need (the first ``n_free`` arcs) -> tutor (the next
    ``n_pairs``) -> initiative -> sink, without costs. Level 1: by (ii) the optimum matches exactly
    ``r_k`` = max-flow with the needs of tiers <= k only, for every k; these come from OR-Tools'
    max flow. Level 2: a min-cost flow of costs -score on a chain network that forces those counts:
    source = X_top; X_k -> hub_k -> needs of tier k; X_k -> X_(k-1) with lower bound r_(k-1)
    (so the needs of tiers <= k-1 get exactly r_(k-1) units); supply r_top. All costs are <= 100.
    """
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps)
    need_arcs = np.arange(n_free, dtype=np.int32)
    r = {}
    for k in range(1, top + 1):
        if k > 1 and not (tiers == k).any():
            r[k] = r[k - 1]
            continue
        mf.set_arcs_capacity(need_arcs, (tiers <= k).astype(np.int64))
        status = mf.solve(0, 1)
        if status != max_flow.SimpleMaxFlow.OPTIMAL:
            raise RuntimeError(f"max flow failed with status {status}")
        r[k] = int(mf.optimal_flow())
    total = r[top]
    if total == 0:
        return np.zeros(n_pairs, dtype=np.int64)
    # chain nodes: X_k (k < top) and hub_k, after the network's nodes; X_top is the source (node 0)
    x_node = {top: 0, **{k: n_nodes + k - 1 for k in range(1, top)}}
    hub = {k: n_nodes + top - 1 + k - 1 for k in range(1, top + 1)}
    n_all = n_nodes + 2 * top - 1
    ct, ch, lo, hi = [], [], [], []
    for k in range(top, 0, -1):
        ct.append(x_node[k])
        ch.append(hub[k])
        lo.append(0)
        hi.append(total)
        if k > 1:
            ct.append(x_node[k])
            ch.append(x_node[k - 1])
            lo.append(r[k - 1])
            hi.append(total)
    n_chain = len(ct)
    hub_of = np.array([hub[k] for k in range(1, top + 1)], dtype=np.int64)[tiers - 1]
    t2 = np.concatenate([ct, hub_of, tails[n_free:]]).astype(np.int64)
    h2 = np.concatenate([ch, heads]).astype(np.int64)
    lo2 = np.concatenate([lo, np.zeros(len(tails), dtype=np.int64)]).astype(np.int64)
    hi2 = np.concatenate([hi, caps]).astype(np.int64)
    w2 = np.zeros(len(t2), dtype=np.int64)
    w2[n_chain + n_free:n_chain + n_free + n_pairs] = -score
    sup = np.zeros(n_all, dtype=np.int64)
    sup[0], sup[1] = total, -total
    forced = np.flatnonzero(lo2 > 0)
    np.add.at(sup, t2[forced], -lo2[forced])
    np.add.at(sup, h2[forced], lo2[forced])
    flows, _ = _mcf(n_all, t2, h2, hi2 - lo2, w2, sup)
    return flows[n_chain + n_free:n_chain + n_free + n_pairs] + lo2[n_chain + n_free:n_chain + n_free + n_pairs]


def potentials(n_nodes: int, tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, costs: np.ndarray,
               flows: np.ndarray) -> tuple[np.ndarray, int]:
    """Shortest-path distances from a virtual root (0-cost arcs to every node) in the residual graph.

    Bellman-Ford, relaxing in each round only the arcs leaving nodes improved in the round before.
    Raises RuntimeError on a negative cycle (the flow was not optimal).
    """
    fwd = flows < caps
    bwd = flows > 0
    rt = np.concatenate([tails[fwd], heads[bwd]])
    rh = np.concatenate([heads[fwd], tails[bwd]])
    rc = np.concatenate([costs[fwd], -costs[bwd]])
    order = np.argsort(rt, kind="stable")
    rt, rh, rc = rt[order], rh[order], rc[order]
    indptr = np.searchsorted(rt, np.arange(n_nodes + 1))
    dist = np.zeros(n_nodes, dtype=np.int64)
    frontier = np.arange(n_nodes, dtype=np.int64)
    rounds = 0
    while len(frontier):
        rounds += 1
        if rounds > n_nodes + 1:
            raise RuntimeError("negative cycle in the residual graph: the flow of steps 1-2 is not optimal")
        lo, hi = indptr[frontier], indptr[frontier + 1]
        lengths = hi - lo
        total = int(lengths.sum())
        if total == 0:
            break
        idx = np.repeat(lo - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(total)
        cand = dist[rt[idx]] + rc[idx]
        h = rh[idx]
        better = cand < dist[h]
        if not better.any():
            break
        best = dist.copy()
        np.minimum.at(best, h[better], cand[better])
        frontier = np.flatnonzero(best < dist)
        dist = best
    return dist, rounds


def solve(p: FlowProblem) -> FlowSolution:
    need_rows = np.unique(p.pair_need)
    tutor_rows = np.unique(p.pair_tutor)
    t_init = p.tutor_init[tutor_rows]
    if len(p.init_cap):
        capped = (t_init >= 0) & (p.init_cap[np.maximum(t_init, 0)] >= 0)
    else:
        capped = np.zeros(len(tutor_rows), dtype=bool)
    init_codes = np.unique(t_init[capped])
    dist_of_need = p.district[need_rows]
    districts, free_per_district = np.unique(dist_of_need, return_counts=True)
    s = p.balance_resolution

    # bounds of the lower levels over every feasible flow -> lexicographic weights
    if len(p.pair_need):
        starts = np.flatnonzero(np.r_[True, p.pair_need[1:] != p.pair_need[:-1]])
        q_bound = int(np.maximum.reduceat(p.pair_score, starts).sum())
    else:
        q_bound = 0
    p_bound = sum(int(balance_costs(int(p.district_done[d]) + 1, int(p.district_done[d] + f) + 1,
                                    int(p.district_size[d]), s).sum())
                  for d, f in zip(districts, free_per_district, strict=True))
    b = p_bound + 1
    scales = Scales(tier=b * q_bound + p_bound + 1, quality=b, balance_resolution=s)
    a1 = q_bound + 1

    source, sink = 0, 1
    n_base = 2 + len(districts)                       # district nodes 2.. (used in step 3 only)
    n_node = np.full(p.n_needs, -1, dtype=np.int64)
    n_node[need_rows] = n_base + np.arange(len(need_rows))
    t_node = np.full(p.n_tutors, -1, dtype=np.int64)
    t_node[tutor_rows] = n_base + len(need_rows) + np.arange(len(tutor_rows))
    i_node = np.full(len(p.init_cap), -1, dtype=np.int64)
    i_node[init_codes] = n_base + len(need_rows) + len(tutor_rows) + np.arange(len(init_codes))
    n_nodes = n_base + len(need_rows) + len(tutor_rows) + len(init_codes)
    if a1 * p.reward_max * (n_nodes + 1) > INT64_HEADROOM:   # bounds |potentials| of step 3 as well
        raise ValueError(
            f"instance too large for exact int64 costs: {n_nodes} nodes and quality bound {q_bound} give "
            f"arc costs times (nodes + 1) above 2**60. Split the matching (e.g. by region or initiative).")
    if not len(p.pair_need):
        return FlowSolution(np.zeros(0, dtype=bool), scales, a1, 0, None, n_nodes, 0)

    up = np.full(len(tutor_rows), sink, dtype=np.int64)
    up[capped] = i_node[t_init[capped]]
    n_free, n_pairs = len(need_rows), len(p.pair_need)
    tails = np.concatenate([np.full(n_free, source), n_node[p.pair_need], t_node[tutor_rows],
                            i_node[init_codes], [source]]).astype(np.int64)
    heads = np.concatenate([n_node[need_rows], t_node[p.pair_tutor], up, np.full(len(init_codes), sink),
                            [sink]]).astype(np.int64)
    caps = np.concatenate([np.ones(n_free), np.ones(n_pairs), p.tutor_cap[tutor_rows], p.init_cap[init_codes],
                           [n_free]]).astype(np.int64)
    costs = np.concatenate([-a1 * p.reward[need_rows], -p.pair_score, np.zeros(len(tutor_rows) + len(init_codes) + 1)
                            ]).astype(np.int64)
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[source], supplies[sink] = n_free, -n_free
    pair_arcs = slice(n_free, n_free + n_pairs)
    n_core = n_free + n_pairs + len(tutor_rows) + len(init_codes)   # all arcs but the bypass
    tiers = p.reward_max + 1 - p.reward[need_rows]
    pair_flow = _levels_1_2(n_nodes, tails[:n_core], heads[:n_core], caps[:n_core], p.pair_score, tiers,
                            p.reward_max, n_free, n_pairs)
    # the same solution as a flow of the reward network (needs are arcs 0..n_free-1, the bypass is last)
    flows = np.zeros(len(tails), dtype=np.int64)
    flows[pair_arcs] = pair_flow
    flows[:n_free] = np.bincount(n_node[p.pair_need] - n_base, weights=pair_flow, minlength=n_free).astype(np.int64)
    through = np.bincount(heads[pair_arcs], weights=pair_flow, minlength=n_nodes).astype(np.int64)
    flows[n_free + n_pairs:n_core - len(init_codes)] = through[t_node[tutor_rows]]
    into = np.bincount(up, weights=through[t_node[tutor_rows]], minlength=n_nodes).astype(np.int64)
    flows[n_core - len(init_codes):n_core] = into[i_node[init_codes]]
    flows[-1] = n_free - int(flows[:n_free].sum())
    cost1 = int((flows * costs).sum())
    if s == 0 or len(districts) < 2:   # the balance is then the same for every optimum of steps 1-2
        return FlowSolution(flows[pair_arcs] > 0, scales, a1, cost1, None, n_nodes, len(tails))

    # step 3: restrict to the optimal face of steps 1-2, add the district layer, minimise the balance
    pi, rounds = potentials(n_nodes, tails, heads, caps, costs, flows)
    reduced = costs + pi[tails] - pi[heads]
    lo = np.where(reduced < 0, caps, 0)
    hi = np.where(reduced > 0, 0, caps)
    tails2 = tails.copy()
    d_node = np.full(int(p.district.max(initial=0)) + 1, -1, dtype=np.int64)
    d_node[districts] = 2 + np.arange(len(districts))
    tails2[:n_free] = d_node[dist_of_need]              # source -> need becomes district -> need
    sup2 = supplies.copy()
    forced = np.flatnonzero(lo > 0)
    np.add.at(sup2, tails2[forced], -lo[forced])
    np.add.at(sup2, heads[forced], lo[forced])
    bt, bh, bc = [], [], []
    for d, f in zip(districts, free_per_district, strict=True):
        k0 = int(p.district_done[d])
        c = balance_costs(k0 + 1, k0 + int(f) + 1, int(p.district_size[d]), s)
        bt.append(np.full(len(c), source))
        bh.append(np.full(len(c), d_node[d]))
        bc.append(c)
    free = np.flatnonzero(lo < hi)
    n_bal = int(free_per_district.sum())
    t2 = np.concatenate([*bt, tails2[free]])
    h2 = np.concatenate([*bh, heads[free]])
    c2 = np.concatenate([np.ones(n_bal, dtype=np.int64), (hi - lo)[free]])
    w2 = np.concatenate([*bc, np.zeros(len(free), dtype=np.int64)])
    flows2, cost2 = _mcf(n_nodes, t2, h2, c2, w2, sup2)
    final = lo.copy()
    final[free] += flows2[n_bal:]
    return FlowSolution(final[pair_arcs] > 0, scales, a1, cost1, cost2, n_nodes, len(tails) + len(t2), rounds)
