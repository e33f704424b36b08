"""Explanations: criteria and facts for every assignment, a reason for every unmatched need."""

from __future__ import annotations

import numpy as np

from .eligibility import CHUNK, grid_violations, never_keys
from .encode import OFFLINE, ONLINE, Encoded
from .model import CRITERIA, Assignment, Unmatched
from .scoring import PairScores

_SLOT_LISTS: dict[int, list[int]] = {}


def _slots(mask: int) -> list[int]:
    got = _SLOT_LISTS.get(mask)
    if got is None:
        got = _SLOT_LISTS[mask] = [s for s in range(21) if mask >> s & 1]
    return list(got)


def assignments(enc: Encoded, ni: np.ndarray, tj: np.ndarray, sc: PairScores, *, fixed: np.ndarray,
                kept: np.ndarray, violations: list[list[str]] | None = None,
                waiting_points: np.ndarray | None = None) -> list[Assignment]:
    """One Assignment per pair (need row ni[k], tutor row tj[k]) with its points and facts (the waiting
    points are no part of the 0..100 score: they are the need's, whoever the tutor)."""
    n, t = enc.needs, enc.tutors
    common = (n.modes[ni] & t.modes[tj]).tolist()
    need_modes = n.modes[ni].tolist()
    shared = (n.slots[ni] & t.slots[tj]).tolist()
    points = sc.points.tolist()
    scores = sc.score.tolist()
    ranks = sc.rank.tolist()
    dist = np.round(sc.distance, 1).tolist()
    offline = sc.offline.tolist()
    home = sc.home.tolist()
    reviewed = t.reviewed[tj].tolist()
    quality = t.quality[tj].tolist()
    priority = n.priority[ni].tolist()
    district = [enc.needs.districts[d] for d in n.district[ni].tolist()]
    need_ids = n.ids[ni].tolist()
    waited = n.waiting[ni].tolist()
    wpoints = [0] * len(ni) if waiting_points is None else np.asarray(waiting_points).tolist()
    tutor_ids = t.ids[tj].tolist()
    fixed_l, kept_l = fixed.tolist(), kept.tolist()
    out = []
    for k in range(len(need_ids)):
        if offline[k]:
            mode = "offline"
        elif common[k] & ONLINE:
            mode = "online"
        elif common[k] & OFFLINE:
            mode = "offline"          # a fixed pair out of the travel radius
        else:
            mode = "online" if need_modes[k] & ONLINE else "offline"
        d = dist[k]
        out.append(Assignment(
            need=need_ids[k], tutor=tutor_ids[k], score=scores[k],
            criteria=dict(zip(CRITERIA, points[k], strict=True)),
            details={
                "distance_km": None if d != d else d,
                "mode": mode,
                "shared_slots": _slots(shared[k]),
                "subject_rank": ranks[k] or None,
                "home_language": home[k],
                "tutor_quality": quality[k] if reviewed[k] else None,
                "priority": priority[k],
                "district": district[k],
                "waiting_days": waited[k],
                "waiting_points": wpoints[k],
            },
            mode=mode, fixed=fixed_l[k], kept=kept_l[k],
            violations=list(violations[k]) if violations is not None else [],
        ))
    return out


def _no_eligible_details(enc: Encoded, rows: np.ndarray, never: np.ndarray) -> dict[int, dict]:
    """Per need row: how many tutors fail each hard constraint (and how many only 'never' excludes)."""
    m = len(enc.tutors)
    out: dict[int, dict] = {}
    step = max(1, CHUNK // max(1, m))
    for c0 in range(0, len(rows), step):
        r = rows[c0:c0 + step]
        v = grid_violations(enc, r)
        counts = {code: mask.sum(axis=1) for code, mask in v.items()}
        bad = np.zeros((len(r), m), dtype=bool)
        for mask in v.values():
            bad |= mask
        excluded = np.zeros(len(r), dtype=np.int64)
        if len(never):
            i, j = np.nonzero(~bad)
            hit = np.isin(r[i] * m + j, never)
            excluded = np.bincount(i[hit], minlength=len(r))
        for k, row in enumerate(r.tolist()):
            detail: dict = {"tutors": m, "eligible_tutors": 0}
            detail.update({code: int(c[k]) for code, c in counts.items() if c[k]})
            if excluded[k]:
                detail["never"] = int(excluded[k])
            out[row] = detail
    return out


def unmatched(enc: Encoded, rows: np.ndarray, pair_need: np.ndarray, pair_tutor: np.ndarray,
              tutor_left: np.ndarray, init_left: np.ndarray, never: list[tuple[int, int]]) -> list[Unmatched]:
    """Reasons for the free needs ``rows`` that got no tutor.

    ``pair_need``/``pair_tutor`` are all eligible pairs of the free needs (sorted by need row),
    ``tutor_left``/``init_left`` the places left after the solve (-1 = unlimited initiative).
    """
    t = enc.tutors
    if not len(rows):
        return []
    starts = np.searchsorted(pair_need, rows, side="left")
    ends = np.searchsorted(pair_need, rows, side="right")
    none = _no_eligible_details(enc, rows[starts == ends], never_keys(enc, never))
    out = []
    for row, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True):
        need_id = int(enc.needs.ids[row])
        if e == s:
            out.append(Unmatched(need_id, "no_eligible_tutor", none[row]))
            continue
        tutors = pair_tutor[s:e]
        has_place = tutor_left[tutors] > 0
        codes = t.initiative[tutors]
        init_full = np.zeros(len(tutors), dtype=bool)
        if len(init_left):
            lim = init_left[np.maximum(codes, 0)]
            init_full = (codes >= 0) & (lim == 0)
        detail = {"eligible_tutors": int(len(tutors)), "full": int((~has_place).sum())}
        if (has_place & init_full).any() and not (has_place & ~init_full).any():
            detail["initiatives"] = sorted(int(enc.initiatives[c]) for c in set(codes[has_place & init_full].tolist()))
            out.append(Unmatched(need_id, "initiative_full", detail))
        else:
            out.append(Unmatched(need_id, "tutors_full", detail))
    return out
