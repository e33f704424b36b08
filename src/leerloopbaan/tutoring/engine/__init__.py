"""Tutor-matching engine: pupils' tutoring needs to screened and trained tutors (pure Python, no Django).

    result = match(needs, tutors, weights=Weights(), initiative_capacity={7: 40},
                   initiative_weights={7: Weights(...)}, initiative_rules={7: Rules(open=True)},
                   waiting=Waiting(per_week=2, cap=20),
                   fixed=[(need_id, tutor_id)], never=[(need_id, tutor_id)])
    result.assignments     # Assignment(need, tutor, score, criteria, details, mode, fixed, kept)
    result.unmatched       # Unmatched(need, reason, detail)
    result = rematch(needs, tutors, current=published.by_need(), leaving=[tutor_id])

Modules: ``model`` (records), ``encode`` (column arrays), ``eligibility`` (hard constraints),
``scoring`` (0..100 match quality), ``solve`` (min-cost flow), ``explain``, ``pipeline`` (match, rematch).

Hard constraints (a pair is *eligible* when none is violated; see ``HARD_CONSTRAINTS``)
    tutor screened and trained; teaches the subject; works with the age group; level within the
    tutor's range; a common tutoring language; Dutch language support offered when the pupil needs it;
    a common weekly slot; a common mode, and if offline is the only common mode, the pupil within the
    tutor's travel radius (known locations); no conflict of interest (school or pupil); the tutor's
    initiative takes the pupil (``Rules``: the school asked it -- ``Need.asked`` -- or it is ``open``,
    and the need's age group, subject and district pass its conditions; a tutor without an
    initiative takes anyone); never-pairs excluded. Capacity: a tutor takes at most ``capacity``
    (0..3) needs of this call; the tutors of an initiative together at most ``initiative_capacity[i]``.

One solve for many initiatives
    Each initiative keeps its own tutors (``Tutor.initiative``), weights (``initiative_weights``: its
    pairs' scores), rules (``initiative_rules``: a hard constraint of its pairs) and capacity
    (``initiative_capacity``: a constraint on its tutors together); a need gets at most one tutor of
    all of them. So one call is one matching for the whole city.

Capacity semantics
    ``Tutor.capacity`` and ``initiative_capacity`` count the places available to the needs passed in
    this call: fixed and kept pairs use them. The caller subtracts only the active matches of pupils
    who are *not* passed in (so without ``keep`` the initiative capacity is the number of new
    matches; ``rematch`` callers give the places of the current matches back).

Objective (ranked, lexicographic; maximise each level, then the next)
    1. matched needs by priority tier: the tier-1 count, then the tier-1+2 count, ..., the total count;
    2. match quality and waiting: the sum of the 0..100 scores of all pairs (see ``scoring``) plus
       the waiting points of the matched needs, ``min(cap, per_week * waiting_days // 7)`` each
       (``Waiting``; 2 a week, at most 20 by default): within what level 1 allows, a long wait
       outweighs a better pair by up to ``cap`` points;
    3. district balance: minimise ``P = sum_d sum_{k=1..m_d} floor(S * k / n_d)`` where ``m_d`` of the
       ``n_d`` needs of district ``d`` are matched and ``S`` = 100 (the balance resolution). ``P`` is
       convex in each ``m_d`` with marginal cost ``~ S * m_d / n_d``, so with a given total the matched
       share ``m_d / n_d`` is spread as evenly as possible over the districts.
    Above all these sits continuity: fixed pairs are always in, kept pairs stay (see below).

One integer objective (reported as ``objective["value"]``): minimise ``-A * L1 - B * Q + P`` with
    ``L1 = sum of R(tier)`` over matched needs, ``R(t) = top + 1 - t`` (3, 2, 1 for tiers 1..3);
    ``Q`` the summed scores plus waiting points; ``B = Pb + 1``, ``A = B * Qb + Pb + 1``, where ``Qb``
    (the sum over free needs of their best pair score plus their waiting points) bounds ``Q`` and
    ``Pb`` (the sum of all balance costs the free needs can add) bounds ``P`` of any feasible
    solution. All terms are integers. ``objective["quality"]`` reports the scores and
    ``objective["waiting"]`` the waiting points; ``lexicographic`` holds their sum at level 2.

Proof that the levels never trade off
    (i) Weights. Let F, G be feasible with L1(F) > L1(G). Then L1(F) - L1(G) >= 1 and
        value(F) - value(G) <= -A + B * Qb + Pb = -1 < 0, so F is better whatever Q and P are. If
        L1(F) = L1(G) and Q(F) > Q(G), value(F) - value(G) <= -B + Pb = -1 < 0. Hence minimising the
        value maximises L1, then Q among those, then minimises P among those: it IS the ranked order.
    (ii) Tiers. The sets of free needs that can be matched together are the independent sets of a
        matroid: a transversal matroid (bipartite matching with tutor capacities), or, with
        initiative capacities, a gammoid (needs routed by disjoint unit paths through the
        need -> tutor -> initiative -> sink network, arcs of capacity c split into c parallel paths).
        L1 gives every need a positive weight that is strictly larger for a better tier. In a matroid,
        a maximum-weight independent set B is "Gale-optimal": |B n T_1..t| = rank(T_1..t) for every t
        (T_1..t = needs of tiers 1..t). Otherwise some independent I in T_1..t has |I| > |B n T_1..t|;
        by augmentation an e in I \\ B extends B n T_1..t, and the unique circuit of B + e contains
        an f in B outside T_1..t, so B - f + e is independent and heavier (w(e) > w(f) > 0):
        a contradiction. So maximising L1 maximises the tier-1 count, the tier-1+2 count, ... and
        the total count all at once -- any strictly decreasing positive rewards give this; none of
        them ever buys a higher tier with fewer matches or the other way round.

How it is solved (``solve``): exactly, with small costs only
    1. Level 1 by (ii): the optimum matches exactly r_k = max-flow(needs of tiers <= k) needs of
       tiers <= k, for every k (OR-Tools max flow, one per tier).
    2. Level 2: a min-cost flow with costs -(score + waiting points) (<= 100 + cap) on a network that forces these counts
       (a chain source = X_3 -> X_2 -> X_1 with lower bounds r_2, r_1, each X_k feeding the needs of
       tier k). Its optimum is optimal for min ``-A1 * L1 - Q`` (A1 = Qb + 1, argument (i) without P).
    3. Level 3 over exactly the optima of step 2: node potentials (shortest-path distances in the
       residual graph, Bellman-Ford) are an optimal dual of that problem, and by complementary
       slackness a flow is optimal iff it avoids the arcs of positive reduced cost and saturates
       those of negative reduced cost; a min-cost flow on the zero-reduced-cost arcs plus the
       district layer (parallel unit arcs with non-decreasing costs, used cheapest-first, so their
       cost is exactly P) minimises P among them.
    The result minimises the single value above; the benchmark checks this against an
    independent one-flow solve with the full weights (which takes about twice as long: its arc
    costs near 1e13 make OR-Tools' cost scaling run ~25 phases instead of ~8).
    Int64 headroom: we require ``A1 * R(1) * (nodes + 1) <= 2**60`` (this bounds the potentials of
    step 3, and is what a one-flow solve of levels 1-2 would need) and raise ``ValueError`` otherwise;
    about 1.6e11 for the 22,000 x 11,000 benchmark. The reported value is a Python integer.

Fixed and kept pairs (continuity)
    Fixed pairs (coordinator) are put in first, even when they break a hard constraint or exceed a
    capacity (then ``warnings`` and ``Assignment.violations`` say so; a fixed pair also beats
    ``never``). Kept pairs (``keep``; ``rematch`` keeps every need whose tutor stays) follow in need
    id order while they are still allowed (tutor present, eligible, not in ``never``, a place left);
    otherwise a warning says why the need is re-assigned. Both reduce the places left (tutor and
    initiative); the rest is solved on the residual graph, with the district
    balance counting on from the pre-assigned needs. Optimality: put "number of pre-assigned pairs
    kept" as level 0 above the objective. Keeping all of them is feasible (they fit the capacities),
    so every level-0 optimum keeps them all; they contribute constants to levels 1-3, and the
    remaining choices are exactly the residual problem, whose optimum the flow finds. So the result is
    the lexicographic optimum with continuity on top, and no unaffected pupil ever changes tutor.

Determinism
    Needs and tutors are sorted by id, every array and arc list is built in that order, and OR-Tools'
    cost-scaling solver is deterministic for a given arc order: the same input gives the same output.
    Among equally good solutions the tie is broken by that order (not by any randomness).

Explanations
    Every assignment carries its points per criterion (summing to its score) and the facts behind
    them (distance, mode, shared slots, subject rank, home language, tutor quality, priority).
    Every unmatched need gets a reason: ``no_eligible_tutor`` (detail: how many tutors fail each hard
    constraint -- ``initiative``: their initiative's rules do not take the pupil --, plus ``never``),
    ``tutors_full`` (all eligible tutors' places are taken by needs the
    optimum preferred) or ``initiative_full`` (eligible tutors have places but their initiatives have
    no new matches left).
"""

from .eligibility import eligible_pairs, explain_ineligible
from .model import (
    AGE_GROUPS,
    CRITERIA,
    DAYS,
    HARD_CONSTRAINTS,
    MODES,
    PARTS,
    SLOTS,
    Assignment,
    MatchResult,
    Need,
    Rules,
    Tutor,
    Unmatched,
    Waiting,
    Weights,
    slot_label,
)
from .pipeline import match, rematch
from .scoring import score_pairs

__all__ = [
    "AGE_GROUPS", "CRITERIA", "DAYS", "HARD_CONSTRAINTS", "MODES", "PARTS", "SLOTS", "Assignment", "MatchResult",
    "Need", "Rules", "Tutor", "Unmatched", "Waiting", "Weights", "eligible_pairs", "explain_ineligible", "match", "rematch",
    "score_pairs", "slot_label",
]
