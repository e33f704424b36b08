"""Needs and tutors as column arrays (sorted by id), with validation.

Categorical fields become small integer codes or bitmasks so that eligibility and scoring are
numpy broadcasts: slots are a 21-bit ``int32`` mask, modes a 2-bit mask (1 online, 2 offline),
age groups a 3-bit mask, languages a ``uint64`` mask with one bit per language that occurs among
the needs or the tutors (several 64-bit words if there are more than 64 of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .model import (
    AGE_GROUPS,
    CRITERIA,
    DEFAULT_WEIGHTS,
    MAX_CAPACITY,
    MODES,
    NEUTRAL_QUALITY,
    NO_RULES,
    SLOTS,
    Need,
    Rules,
    Tutor,
    Weights,
)

AGE_CODE = {a: i for i, a in enumerate(AGE_GROUPS)}
MODE_BIT = {"online": 1, "offline": 2}
ONLINE, OFFLINE = 1, 2


@dataclass
class NeedArrays:
    ids: np.ndarray          # int64, ascending
    subject: np.ndarray      # int32 code into subjects
    level: np.ndarray        # int16
    age: np.ndarray          # int8 code into AGE_GROUPS
    lang: np.ndarray         # (n, W) uint64 language mask
    home: np.ndarray         # int32 language code of the home language, -1 = none / spoken by no one
    support: np.ndarray      # bool
    slots: np.ndarray        # int32 mask
    modes: np.ndarray        # int8 mask
    x: np.ndarray            # float64 km, NaN = unknown
    y: np.ndarray
    district: np.ndarray     # int32 code into districts
    priority: np.ndarray     # int64 tier
    school: np.ndarray       # int32 code into conflict schools, -1 = no conflict possible
    pupil: np.ndarray        # int32 code into conflict pupils, -1 = no conflict possible
    admit: np.ndarray        # (n, K + 1) bool: column c, the rules of initiative code c admit the need; column K (no
                             # initiative) is all True
    waiting: np.ndarray      # int64 days waited
    districts: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class TutorArrays:
    ids: np.ndarray          # int64, ascending
    min_level: np.ndarray
    max_level: np.ndarray
    age_mask: np.ndarray     # int8
    lang: np.ndarray         # (m, W) uint64
    support: np.ndarray
    slots: np.ndarray
    modes: np.ndarray
    x: np.ndarray
    y: np.ndarray
    travel: np.ndarray       # float64 km
    capacity: np.ndarray     # int64
    quality: np.ndarray      # float64, unreviewed = NEUTRAL_QUALITY
    reviewed: np.ndarray     # bool
    eligible: np.ndarray     # bool
    initiative: np.ndarray   # int64 code into Encoded.initiatives, -1 = none
    subj_keys: np.ndarray    # sorted int64 keys tutor_row * n_subjects + subject code
    subj_rank: np.ndarray    # int16 rank (1 = strongest) aligned with subj_keys
    by_subject: dict[int, tuple[np.ndarray, np.ndarray]]  # subject code -> (tutor rows, ranks)
    conflict_school_keys: np.ndarray  # sorted int64 keys tutor_row * n_school_codes + school code
    conflict_pupil_keys: np.ndarray
    has_conflict_school: np.ndarray  # bool: the tutor has at least one conflict school
    has_conflict_pupil: np.ndarray
    max_points: np.ndarray   # (m, 5) int64 points of a perfect pair per criterion (tutor's initiative weights)
    init_col: np.ndarray     # int64 column of NeedArrays.admit: the initiative code, K without one
    no_init: np.ndarray      # bool: the tutor has no initiative (no rules apply)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Encoded:
    needs: NeedArrays
    tutors: TutorArrays
    subjects: tuple[str, ...]
    languages: tuple[str, ...]
    n_school_codes: int
    n_pupil_codes: int
    initiatives: tuple[int, ...]
    all_admitted: bool       # every need is admitted by every initiative (the rules exclude no pair)
    need_order: np.ndarray   # need_order[row] = position in the caller's sequence
    tutor_order: np.ndarray
    need_objs: list[Need]    # sorted by id
    tutor_objs: list[Tutor]


_MODE_SET = frozenset(MODES)
_SLOT_SET = frozenset(SLOTS)
_AGE_SET = frozenset(AGE_GROUPS)


def _check_need(n: Need) -> None:
    if n.level not in range(1, 13):
        raise ValueError(f"need {n.id}: level must be 1..12, got {n.level!r}")
    if n.age_group not in AGE_CODE:
        raise ValueError(f"need {n.id}: unknown age group {n.age_group!r}")
    if not _MODE_SET.issuperset(n.modes):
        raise ValueError(f"need {n.id}: unknown modes {sorted(set(n.modes) - _MODE_SET)}")
    if not _SLOT_SET.issuperset(n.slots):
        raise ValueError(f"need {n.id}: slots must be in 0..20")
    if isinstance(n.priority, bool) or not isinstance(n.priority, int) or n.priority < 1:
        raise ValueError(f"need {n.id}: priority must be an integer tier >= 1, got {n.priority!r}")
    if isinstance(n.waiting_days, bool) or not isinstance(n.waiting_days, int) or n.waiting_days < 0:
        raise ValueError(f"need {n.id}: waiting_days must be an integer >= 0, got {n.waiting_days!r}")


def _check_tutor(t: Tutor) -> None:
    if not (1 <= t.min_level <= t.max_level <= 12):
        raise ValueError(f"tutor {t.id}: need 1 <= min_level <= max_level <= 12")
    if not _AGE_SET.issuperset(t.age_groups):
        raise ValueError(f"tutor {t.id}: unknown age groups {sorted(set(t.age_groups) - _AGE_SET)}")
    if not _MODE_SET.issuperset(t.modes):
        raise ValueError(f"tutor {t.id}: unknown modes {sorted(set(t.modes) - _MODE_SET)}")
    if not _SLOT_SET.issuperset(t.slots):
        raise ValueError(f"tutor {t.id}: slots must be in 0..20")
    if isinstance(t.capacity, bool) or not isinstance(t.capacity, int) or not 0 <= t.capacity <= MAX_CAPACITY:
        raise ValueError(f"tutor {t.id}: capacity must be 0..{MAX_CAPACITY} remaining places, got {t.capacity!r}")
    if t.quality is not None and not 0.0 <= t.quality <= 1.0:
        raise ValueError(f"tutor {t.id}: quality must be in 0..1 or None, got {t.quality!r}")
    if not t.travel_km >= 0:
        raise ValueError(f"tutor {t.id}: travel_km must be >= 0, got {t.travel_km!r}")


def _mask(values, bits: dict) -> int:
    m = 0
    for v in values:
        m |= bits[v]
    return m


def _slot_mask(slots) -> int:
    m = 0
    for s in slots:
        m |= 1 << s
    return m


def _lang_matrix(sets: list, code: dict[str, int], words: int) -> np.ndarray:
    out = np.zeros((len(sets), words), dtype=np.uint64)
    if not sets:
        return out
    rows, cols = [], []
    for r, langs in enumerate(sets):
        for lang in langs:
            c = code.get(lang)
            if c is not None:
                rows.append(r)
                cols.append(c)
    if rows:
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        np.bitwise_or.at(out, (r, c // 64), np.left_shift(np.uint64(1), (c % 64).astype(np.uint64)))
    return out


def _xy(locs: list) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([np.nan if p is None else float(p[0]) for p in locs], dtype=np.float64)
    y = np.array([np.nan if p is None else float(p[1]) for p in locs], dtype=np.float64)
    return x, y


def encode(
    needs: Sequence[Need],
    tutors: Sequence[Tutor],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    initiative_weights: Mapping[int, Weights] | None = None,
    initiative_rules: Mapping[int, Rules] | None = None,
) -> Encoded:
    """Validate and encode; rows are sorted by id (duplicate ids raise ``ValueError``)."""
    need_order = np.array(sorted(range(len(needs)), key=lambda i: needs[i].id), dtype=np.int64)
    tutor_order = np.array(sorted(range(len(tutors)), key=lambda i: tutors[i].id), dtype=np.int64)
    ns = [needs[i] for i in need_order]
    ts = [tutors[i] for i in tutor_order]
    for a, b in zip(ns, ns[1:], strict=False):
        if a.id == b.id:
            raise ValueError(f"duplicate need id {a.id}")
    for a, b in zip(ts, ts[1:], strict=False):
        if a.id == b.id:
            raise ValueError(f"duplicate tutor id {a.id}")
    for n in ns:
        _check_need(n)
    for t in ts:
        _check_tutor(t)
    base_points = weights.max_points()
    init_points = {k: w.max_points() for k, w in (initiative_weights or {}).items()}

    subjects = tuple(sorted({n.subject for n in ns} | {s for t in ts for s in t.subjects}))
    subj_code = {s: i for i, s in enumerate(subjects)}
    need_langs = {x for n in ns for x in n.languages}
    tutor_langs = {x for t in ts for x in t.languages}
    languages = tuple(sorted(need_langs & tutor_langs | ({n.home_language for n in ns} - {None}) & tutor_langs))
    lang_code = {x: i for i, x in enumerate(languages)}
    words = max(1, (len(languages) + 63) // 64)
    schools = sorted({s for t in ts for s in t.conflict_schools})
    school_code = {s: i for i, s in enumerate(schools)}
    pupils = sorted({p for t in ts for p in t.conflict_pupils})
    pupil_code = {p: i for i, p in enumerate(pupils)}
    districts = tuple(sorted({n.district for n in ns}))
    district_code = {d: i for i, d in enumerate(districts)}
    initiatives = tuple(sorted({t.initiative for t in ts if t.initiative is not None}))
    init_code = {k: i for i, k in enumerate(initiatives)}
    for k, r in (initiative_rules or {}).items():
        r.validate(k)

    nx, ny = _xy([n.location for n in ns])
    na = NeedArrays(
        ids=np.array([n.id for n in ns], dtype=np.int64),
        subject=np.array([subj_code[n.subject] for n in ns], dtype=np.int32),
        level=np.array([n.level for n in ns], dtype=np.int16),
        age=np.array([AGE_CODE[n.age_group] for n in ns], dtype=np.int8),
        lang=_lang_matrix([n.languages for n in ns], lang_code, words),
        home=np.array([lang_code.get(n.home_language, -1) if n.home_language else -1 for n in ns], dtype=np.int32),
        support=np.array([bool(n.language_support) for n in ns], dtype=bool),
        slots=np.array([_slot_mask(n.slots) for n in ns], dtype=np.int32),
        modes=np.array([_mask(n.modes, MODE_BIT) for n in ns], dtype=np.int8),
        x=nx,
        y=ny,
        district=np.array([district_code[n.district] for n in ns], dtype=np.int32),
        priority=np.array([n.priority for n in ns], dtype=np.int64),
        school=np.array([school_code.get(n.school, -1) if n.school is not None else -1 for n in ns], dtype=np.int32),
        pupil=np.array([pupil_code.get(n.pupil, -1) if n.pupil is not None else -1 for n in ns], dtype=np.int32),
        admit=np.ones((len(ns), 1), dtype=bool),
        waiting=np.array([n.waiting_days for n in ns], dtype=np.int64),
        districts=districts,
    )
    na.admit, all_admitted = _admissions(ns, na, initiatives, init_code, initiative_rules or {}, subj_code, district_code)

    n_subj = max(1, len(subjects))
    keys, ranks = [], []
    by_subject_rows: dict[int, list[int]] = {}
    by_subject_ranks: dict[int, list[int]] = {}
    for row, t in enumerate(ts):
        seen = set()
        for r, s in enumerate(t.subjects, start=1):
            if s in seen:
                continue  # a repeated subject keeps its first (strongest) rank
            seen.add(s)
            c = subj_code[s]
            keys.append(row * n_subj + c)
            ranks.append(r)
            by_subject_rows.setdefault(c, []).append(row)
            by_subject_ranks.setdefault(c, []).append(r)
    keys_arr = np.array(keys, dtype=np.int64)
    ranks_arr = np.array(ranks, dtype=np.int16)
    order = np.argsort(keys_arr, kind="stable")
    cs_keys = np.array(sorted(row * len(schools) + school_code[s] for row, t in enumerate(ts)
                              for s in t.conflict_schools), dtype=np.int64)
    cp_keys = np.array(sorted(row * len(pupils) + pupil_code[p] for row, t in enumerate(ts)
                              for p in t.conflict_pupils), dtype=np.int64)
    t_code = np.array([-1 if t.initiative is None else init_code[t.initiative] for t in ts], dtype=np.int64)
    tx, ty = _xy([t.location for t in ts])
    # points of a perfect pair per tutor: its initiative's row (the last row: the base weights)
    point_rows = np.array([[init_points.get(k, base_points)[c] for c in CRITERIA] for k in initiatives]
                          + [[base_points[c] for c in CRITERIA]], dtype=np.int64)
    max_points = point_rows[np.where(t_code < 0, len(initiatives), t_code)]
    ta = TutorArrays(
        ids=np.array([t.id for t in ts], dtype=np.int64),
        min_level=np.array([t.min_level for t in ts], dtype=np.int16),
        max_level=np.array([t.max_level for t in ts], dtype=np.int16),
        age_mask=np.array([_mask(t.age_groups, {a: 1 << c for a, c in AGE_CODE.items()}) for t in ts], dtype=np.int8),
        lang=_lang_matrix([t.languages for t in ts], lang_code, words),
        support=np.array([bool(t.language_support) for t in ts], dtype=bool),
        slots=np.array([_slot_mask(t.slots) for t in ts], dtype=np.int32),
        modes=np.array([_mask(t.modes, MODE_BIT) for t in ts], dtype=np.int8),
        x=tx,
        y=ty,
        travel=np.array([float(t.travel_km) for t in ts], dtype=np.float64),
        capacity=np.array([t.capacity for t in ts], dtype=np.int64),
        quality=np.array([NEUTRAL_QUALITY if t.quality is None else float(t.quality) for t in ts], dtype=np.float64),
        reviewed=np.array([t.quality is not None for t in ts], dtype=bool),
        eligible=np.array([bool(t.eligible) for t in ts], dtype=bool),
        initiative=t_code,
        subj_keys=keys_arr[order],
        subj_rank=ranks_arr[order],
        by_subject={c: (np.array(by_subject_rows[c], dtype=np.int64), np.array(by_subject_ranks[c], dtype=np.int16))
                    for c in sorted(by_subject_rows)},
        conflict_school_keys=cs_keys,
        conflict_pupil_keys=cp_keys,
        has_conflict_school=np.array([bool(t.conflict_schools) for t in ts], dtype=bool),
        has_conflict_pupil=np.array([bool(t.conflict_pupils) for t in ts], dtype=bool),
        max_points=max_points,
        init_col=np.where(t_code < 0, len(initiatives), t_code),
        no_init=t_code < 0,
    )
    return Encoded(na, ta, subjects, languages, len(schools), len(pupils), initiatives, all_admitted, need_order,
                   tutor_order, ns, ts)


def _admissions(ns: list[Need], na: NeedArrays, initiatives: tuple[int, ...], init_code: dict[int, int],
                rules: Mapping[int, Rules], subj_code: dict[str, int], district_code: dict[str, int],
                ) -> tuple[np.ndarray, bool]:
    """(n, K + 1) bool: column c is True where the rules of initiative code c admit the need (``Rules.admits``,
    applied to whole columns), column K (tutors without an initiative) everywhere; and whether every need is
    admitted everywhere."""
    n, k = len(ns), len(initiatives)
    out = np.ones((n, k + 1), dtype=bool)
    if not k:
        return out, True
    any_asked = np.array([x.asked is None for x in ns], dtype=bool)
    asked = np.zeros((n, k), dtype=bool)
    for r, x in enumerate(ns):
        if x.asked is not None:
            for i in x.asked:
                c = init_code.get(i)
                if c is not None:
                    asked[r, c] = True
    for c, ident in enumerate(initiatives):
        rule = rules.get(ident, NO_RULES)
        ok = any_asked | asked[:, c] | rule.open
        if rule.age_groups:
            ok &= np.isin(na.age, [AGE_CODE[a] for a in rule.age_groups])
        if rule.subjects:
            ok &= np.isin(na.subject, [subj_code[s] for s in rule.subjects if s in subj_code])
        if rule.districts:
            ok &= np.isin(na.district, [district_code[d] for d in rule.districts if d in district_code])
        out[:, c] = ok
    return out, bool(out.all())
