"""Hard constraints: which (need, tutor) pairs may be matched at all.

Three implementations of the same rules, cross-checked by the property tests:

* :func:`candidate_pairs` -- the fast path for whole instances. Needs are grouped in blocks of equal
  (subject, age group); a block is only compared with the screened tutors who teach that subject to
  that age group (so most of the 242M pairs of a city-sized instance are never looked at). Within a
  block, level range, common slot, common language, language support and a common mode are tested
  by numpy broadcasting on bitmasks (in chunks of at most ``CHUNK`` pairs, on ``THREADS`` threads),
  and so are the initiatives' rules (a per-need bitmask of the initiatives that take it, ``Rules``);
  the surviving pairs are then checked one-dimensionally for the travel radius (only where offline
  is the only common mode) and for conflicts of interest. Output sorted by (need, tutor).
* :func:`pair_violations` -- per pair and per constraint: why a coordinator's fixed pair or a kept
  pair breaks a rule, and :func:`explain_ineligible`.
* :func:`grid_violations` -- per constraint for some needs against every tutor: the counts behind
  "no_eligible_tutor".

Capacity is not a pair property: pairs with tutors who have no place left are eligible; the solver
simply cannot use them (an unmatched need then reads "tutors_full", not "no_eligible_tutor").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .encode import OFFLINE, ONLINE, Encoded, encode
from .model import HARD_CONSTRAINTS, Need, Rules, Tutor

CHUNK = 1 << 21
"""Maximum number of (need, tutor) pairs broadcast at once (bounds memory to a few tens of MB)."""
THREADS = min(2, os.cpu_count() or 1)
"""Blocks are checked by this many threads."""


def _overlap2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, W) x (m, W) uint64 masks -> (n, m) bool: any common bit."""
    out = (a[:, None, 0] & b[None, :, 0]) != 0
    for w in range(1, a.shape[1]):
        out |= (a[:, None, w] & b[None, :, w]) != 0
    return out


def _overlap1d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(p, W) x (p, W) -> (p,) bool."""
    return np.any((a & b) != 0, axis=1)


def _distance(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> np.ndarray:
    """Euclidean distance in km; NaN when either location is unknown."""
    n, t = enc.needs, enc.tutors
    return np.hypot(n.x[ni] - t.x[tj], n.y[ni] - t.y[tj])


def _conflicts(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(school conflict, pupil conflict) per pair."""
    n, t = enc.needs, enc.tutors
    out = []
    for codes, n_codes, keys, flag in ((n.school, enc.n_school_codes, t.conflict_school_keys, t.has_conflict_school),
                                       (n.pupil, enc.n_pupil_codes, t.conflict_pupil_keys, t.has_conflict_pupil)):
        bad = np.zeros(len(ni), dtype=bool)
        if n_codes and len(keys):
            sub = np.flatnonzero(flag[tj])
            c = codes[ni[sub]]
            has = c >= 0
            sub, c = sub[has], c[has]
            pos = np.minimum(np.searchsorted(keys, tj[sub] * n_codes + c), len(keys) - 1)
            bad[sub] = keys[pos] == tj[sub] * n_codes + c
        out.append(bad)
    return out[0], out[1]


def not_admitted(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> np.ndarray:
    """Per pair: the rules of the tutor's initiative do not admit the need (see ``Rules``)."""
    if enc.all_admitted:
        return np.zeros(len(ni), dtype=bool)
    return ~enc.needs.admit[ni, enc.tutors.init_col[tj]]


def _not_admitted2d(enc: Encoded, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(len(r), len(c)) bool: the rules of tutor c's initiative do not admit need r."""
    if enc.all_admitted:
        return np.zeros((len(r), len(c)), dtype=bool)
    return ~enc.needs.admit[r][:, enc.tutors.init_col[c]]


def subject_rank(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> np.ndarray:
    """Rank of the need's subject in the tutor's list (1 = strongest), 0 = not taught."""
    t = enc.tutors
    if len(t.subj_keys) == 0 or len(ni) == 0:
        return np.zeros(len(ni), dtype=np.int16)
    key = tj.astype(np.int64) * max(1, len(enc.subjects)) + enc.needs.subject[ni]
    pos = np.minimum(np.searchsorted(t.subj_keys, key), len(t.subj_keys) - 1)
    return np.where(t.subj_keys[pos] == key, t.subj_rank[pos], 0).astype(np.int16)


def never_keys(enc: Encoded, never: Iterable[tuple[int, int]]) -> np.ndarray:
    """Sorted keys ``need_row * n_tutors + tutor_row`` of the excluded pairs (unknown ids are ignored)."""
    n_ids, t_ids = enc.needs.ids, enc.tutors.ids
    pairs = np.array(sorted(set(never)), dtype=np.int64).reshape(-1, 2)
    if not len(pairs) or not len(n_ids) or not len(t_ids):
        return np.zeros(0, dtype=np.int64)
    a = np.minimum(np.searchsorted(n_ids, pairs[:, 0]), len(n_ids) - 1)
    b = np.minimum(np.searchsorted(t_ids, pairs[:, 1]), len(t_ids) - 1)
    ok = (n_ids[a] == pairs[:, 0]) & (t_ids[b] == pairs[:, 1])
    return np.unique(a[ok] * len(t_ids) + b[ok])


def candidate_pairs(enc: Encoded, need_rows: np.ndarray | None = None,
                    never: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All eligible (need row, tutor row) pairs, sorted by need row then tutor row.

    ``need_rows`` restricts the needs (default: all); ``never`` holds keys from :func:`never_keys`.
    """
    n, t = enc.needs, enc.tutors
    rows = np.arange(len(n), dtype=np.int64) if need_rows is None else np.asarray(need_rows, dtype=np.int64)
    tasks: list[tuple[np.ndarray, np.ndarray]] = []
    if len(rows) and len(t):
        block_key = n.subject[rows].astype(np.int64) * 8 + n.age[rows]
        order = np.lexsort((rows, block_key))
        rows, block_key = rows[order], block_key[order]
        starts = np.flatnonzero(np.r_[True, block_key[1:] != block_key[:-1]])
        ends = np.r_[starts[1:], len(rows)]
        for s, e in zip(starts, ends, strict=True):
            subj, age = int(block_key[s] // 8), int(block_key[s] % 8)
            if subj not in t.by_subject:
                continue
            cand = t.by_subject[subj][0]
            cand = cand[t.eligible[cand] & (((t.age_mask[cand] >> age) & 1) == 1)]
            if not len(cand):
                continue
            step = max(1, CHUNK // len(cand))
            for c0 in range(s, e, step):
                tasks.append((rows[c0:min(e, c0 + step)], cand))
    if not tasks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(tasks) > 1 and THREADS > 1:
        # numpy releases the GIL in the broadcasts; results come back in task order (deterministic)
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            found = list(pool.map(lambda task: _block(enc, *task), tasks))
    else:
        found = [_block(enc, *task) for task in tasks]
    keys = np.concatenate([i for i, _ in found]) * len(t) + np.concatenate([j for _, j in found])
    if never is not None and len(never):
        keys = keys[~np.isin(keys, never)]
    keys.sort()
    return keys // len(t), keys % len(t)


def _block(enc: Encoded, r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, t = enc.needs, enc.tutors
    lvl = n.level[r][:, None]
    m = (t.min_level[c][None, :] <= lvl) & (lvl <= t.max_level[c][None, :])
    m &= (n.slots[r][:, None] & t.slots[c][None, :]) != 0
    m &= (n.modes[r][:, None] & t.modes[c][None, :]) != 0
    m &= _overlap2d(n.lang[r], t.lang[c])
    sup = n.support[r]
    if sup.any():
        m &= ~sup[:, None] | t.support[c][None, :]
    if not enc.all_admitted:
        m &= n.admit[r][:, t.init_col[c]]
    ii, jj = np.nonzero(m)
    ni, tj = r[ii], c[jj]
    # travel radius, only where offline is the only common mode
    common = n.modes[ni] & t.modes[tj]
    offline_only = np.flatnonzero((common & ONLINE) == 0)
    keep = np.ones(len(ni), dtype=bool)
    if len(offline_only):
        a, b = ni[offline_only], tj[offline_only]
        keep[offline_only] = _distance(enc, a, b) <= t.travel[b]
    cs, cp = _conflicts(enc, ni, tj)
    keep &= ~(cs | cp)
    return ni[keep], tj[keep]


def pair_violations(enc: Encoded, ni: np.ndarray, tj: np.ndarray) -> dict[str, np.ndarray]:
    """For each hard-constraint code, a bool array over the pairs: the pair violates it."""
    n, t = enc.needs, enc.tutors
    common = n.modes[ni] & t.modes[tj]
    cs, cp = _conflicts(enc, ni, tj)
    with np.errstate(invalid="ignore"):
        out_of_range = ~(_distance(enc, ni, tj) <= t.travel[tj])
    v = {
        "not_eligible": ~t.eligible[tj],
        "subject": subject_rank(enc, ni, tj) == 0,
        "age_group": ((t.age_mask[tj] >> n.age[ni]) & 1) == 0,
        "level": (n.level[ni] < t.min_level[tj]) | (n.level[ni] > t.max_level[tj]),
        "language": ~_overlap1d(n.lang[ni], t.lang[tj]),
        "language_support": n.support[ni] & ~t.support[tj],
        "slots": (n.slots[ni] & t.slots[tj]) == 0,
        "mode": common == 0,
        "distance": (common == OFFLINE) & out_of_range,
        "conflict_school": cs,
        "conflict_pupil": cp,
        "initiative": not_admitted(enc, ni, tj),
    }
    assert tuple(v) == HARD_CONSTRAINTS
    return v


def grid_violations(enc: Encoded, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Like :func:`pair_violations` for every tutor: each code maps to a (len(rows), n_tutors) bool array.

    Broadcasts need columns against whole tutor columns (no per-pair gathers), for the explanations
    of needs without any eligible tutor.
    """
    n, t = enc.needs, enc.tutors
    m = len(t)
    r = np.asarray(rows, dtype=np.int64)
    teaches = np.zeros((max(1, len(enc.subjects)), m), dtype=bool)
    for code, (trows, _) in t.by_subject.items():
        teaches[code, trows] = True
    common = n.modes[r][:, None] & t.modes[None, :]
    with np.errstate(invalid="ignore"):
        d = np.hypot(n.x[r][:, None] - t.x[None, :], n.y[r][:, None] - t.y[None, :])
        out_of_range = ~(d <= t.travel[None, :])
    lvl = n.level[r][:, None]
    cs = np.zeros((len(r), m), dtype=bool)
    cp = np.zeros((len(r), m), dtype=bool)
    cols = np.flatnonzero(t.has_conflict_school | t.has_conflict_pupil)
    if len(cols):
        a, b = _conflicts(enc, np.repeat(r, len(cols)), np.tile(cols, len(r)))
        cs[:, cols] = a.reshape(len(r), len(cols))
        cp[:, cols] = b.reshape(len(r), len(cols))
    v = {
        "not_eligible": np.broadcast_to(~t.eligible[None, :], (len(r), m)),
        "subject": ~teaches[n.subject[r]],
        "age_group": ((t.age_mask[None, :] >> n.age[r][:, None]) & 1) == 0,
        "level": (lvl < t.min_level[None, :]) | (lvl > t.max_level[None, :]),
        "language": ~_overlap2d(n.lang[r], t.lang),
        "language_support": n.support[r][:, None] & ~t.support[None, :],
        "slots": (n.slots[r][:, None] & t.slots[None, :]) == 0,
        "mode": common == 0,
        "distance": (common == OFFLINE) & out_of_range,
        "conflict_school": cs,
        "conflict_pupil": cp,
        "initiative": _not_admitted2d(enc, r, np.arange(m)),
    }
    assert tuple(v) == HARD_CONSTRAINTS
    return v


def violation_counts(enc: Encoded, rows: np.ndarray) -> dict[str, np.ndarray]:
    """For each hard-constraint code, how many tutors each need row violates it with: the row sums of
    :func:`grid_violations`, computed without the (rows x tutors) grid wherever a constraint depends on a
    few need values only (counts per subject, age group, level, mode, slot mask, language mask,
    initiative column) -- for the explanations of needs without any eligible tutor."""
    n, t = enc.needs, enc.tutors
    m = len(t)
    r = np.asarray(rows, dtype=np.int64)
    out: dict[str, np.ndarray] = {}

    def per_value(values: np.ndarray, count_of) -> np.ndarray:
        uniq, inverse = np.unique(values, axis=0, return_inverse=True)
        return np.array([count_of(u) for u in uniq], dtype=np.int64)[inverse.reshape(-1)]

    out["not_eligible"] = np.full(len(r), int((~t.eligible).sum()), dtype=np.int64)
    teaches = np.zeros(max(1, len(enc.subjects)), dtype=np.int64)
    for code, (trows, _) in t.by_subject.items():
        teaches[code] = len(np.unique(trows))
    out["subject"] = m - teaches[n.subject[r]]
    out["age_group"] = per_value(n.age[r], lambda a: int((((t.age_mask >> a) & 1) == 0).sum()))
    out["level"] = per_value(n.level[r], lambda lv: int(((lv < t.min_level) | (lv > t.max_level)).sum()))
    out["language"] = per_value(n.lang[r], lambda mask: int((~np.any((t.lang & mask[None, :]) != 0, axis=1)).sum()))
    out["language_support"] = np.where(n.support[r], int((~t.support).sum()), 0).astype(np.int64)
    out["slots"] = per_value(n.slots[r], lambda mask: int(((t.slots & mask) == 0).sum()))
    out["mode"] = per_value(n.modes[r], lambda mode: int(((t.modes & mode) == 0).sum()))
    far = np.zeros(len(r), dtype=np.int64)
    step = max(1, (CHUNK >> 3) // max(1, m))  # small chunks: the temporaries stay in the cache
    for c0 in range(0, len(r), step):
        rr = r[c0:c0 + step]
        common = n.modes[rr][:, None] & t.modes[None, :]
        with np.errstate(invalid="ignore"):
            d = np.hypot(n.x[rr][:, None] - t.x[None, :], n.y[rr][:, None] - t.y[None, :])
            far[c0:c0 + step] = ((common == OFFLINE) & ~(d <= t.travel[None, :])).sum(axis=1)
    out["distance"] = far
    for code, codes, n_codes, keys in (("conflict_school", n.school, enc.n_school_codes, t.conflict_school_keys),
                                       ("conflict_pupil", n.pupil, enc.n_pupil_codes, t.conflict_pupil_keys)):
        per_code = np.bincount(keys % max(1, n_codes), minlength=max(1, n_codes)) if len(keys) else np.zeros(max(1, n_codes), np.int64)
        c = codes[r]
        out[code] = np.where(c >= 0, per_code[np.maximum(c, 0)], 0).astype(np.int64)
    if enc.all_admitted:
        out["initiative"] = np.zeros(len(r), dtype=np.int64)
    else:
        per_col = np.bincount(t.init_col, minlength=len(enc.initiatives) + 1)
        out["initiative"] = (~n.admit[r] * per_col[None, :]).sum(axis=1).astype(np.int64)
    return {code: out[code] for code in HARD_CONSTRAINTS}


def explain_ineligible(need: Need, tutor: Tutor, initiative_rules: Mapping[int, Rules] | None = None) -> list[str]:
    """Codes (see ``HARD_CONSTRAINTS``) of the hard constraints the pair violates; [] = eligible.

    Capacity, initiative capacity and "never" exclusions are not pair properties and are not listed.
    """
    enc = encode([need], [tutor], initiative_rules=initiative_rules)
    v = pair_violations(enc, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
    return [code for code in HARD_CONSTRAINTS if v[code][0]]


def eligible_pairs(needs: Sequence[Need], tutors: Sequence[Tutor], never: Iterable[tuple[int, int]] = (),
                   initiative_rules: Mapping[int, Rules] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eligible pairs as (index into ``needs``, index into ``tutors``), ordered by those indices.

    Hard constraints only (plus ``never``; the initiatives' ``Rules``); capacities are not looked at.
    """
    enc = encode(needs, tutors, initiative_rules=initiative_rules)
    ni, tj = candidate_pairs(enc, never=never_keys(enc, never))
    a, b = enc.need_order[ni], enc.tutor_order[tj]
    order = np.lexsort((b, a))
    return a[order], b[order]
