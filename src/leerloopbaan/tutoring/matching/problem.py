"""The adapter between the database and the pure matching engine (``tutoring.engine``).

One matching for the city: every run solves ONE problem over all active initiatives. It turns the
city's waiting ``TutoringNeed`` rows and the ACTIVE tutors of every active initiative into the
engine's ``Need`` and ``Tutor`` values, each initiative with its own weights (its pairs' scores),
rules (which pupils its tutors may take: ``Initiative.rules`` -> ``engine.Rules``, with the
initiatives each need asked) and capacity (a constraint), runs ``match`` or ``rematch``, and hands
the result back for ``matching.services`` to store as one ``MatchRun`` per initiative it writes.

- A coordinator's run writes its own initiative's draft only. The open proposals of the other
  initiatives' drafts stay as they are: their needs are not in the problem (a pupil has at most one
  proposal in the city) and their tutors' and initiatives' places count as taken. The city run
  (``initiative=None``) replaces every draft, so nothing is held.

- Locations are approximate: a fixed table of district centres of Antwerp (km east and north of the
  Grote Markt) and of the city's postcodes. No geocoding, no addresses.
- A tutor's remaining capacity is ``capacity`` minus their active matches and the places held by
  other drafts; an initiative's is its ``capacity`` (if set) minus its active matches whose needs are
  not in the problem (a re-match passes the kept matches in: they take their places once, in the
  engine) and minus its places held by other drafts.
- Waiting days: since the need was entered or its last match ended (``waiting_days``); the engine's
  waiting term rewards them. The priority tiers are the service's (it reads the EWS bands).
- Quality is the tutor's peer-review quality (0..1), from ``selectors_tutors.tutor_quality`` when
  the tutor journey provides it, else the mean peer-review score rescaled here.
- Conflicts of interest: the tutor's ``conflict_schools`` and the pupils of their "never again"
  exclusions.

Nothing here writes, reads for a user or audits: callers are services that do both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Max

from leerloopbaan.kernel import clock
from leerloopbaan.registry.models import District
from leerloopbaan.tutoring.models import (
    AgeGroup,
    Initiative,
    Match,
    MatchExclusion,
    MatchRun,
    Mode,
    PeerReview,
    Tutor,
    TutoringNeed,
)

# Approximate centres of Antwerp's districts, in km east (x) and north (y) of the Grote Markt.
DISTRICT_CENTRES: dict[str, tuple[float, float]] = {
    District.ANTWERPEN: (0.0, 0.0),
    District.BERCHEM: (2.3, -2.6),
    District.BORGERHOUT: (2.6, -0.6),
    District.DEURNE: (5.0, 0.3),
    District.MERKSEM: (2.6, 4.2),
    District.EKEREN: (3.3, 8.8),
    District.HOBOKEN: (-1.6, -5.2),
    District.WILRIJK: (1.0, -6.3),
    District.BZL: (-2.5, 16.5),
}

# Postcodes of the city, with a centre where a postcode is finer than its district.
POSTCODE_CENTRES: dict[str, tuple[float, float]] = {
    "2000": (0.0, 0.0),       # historic centre
    "2018": (1.4, -1.4),      # Zurenborg, Centraal station
    "2020": (-0.4, -2.9),     # Kiel
    "2030": (1.0, 3.8),       # port, Luchtbal
    "2040": DISTRICT_CENTRES[District.BZL],
    "2050": (-2.1, 0.6),      # Linkeroever
    "2060": (1.6, 1.2),       # Antwerpen-Noord
    "2100": DISTRICT_CENTRES[District.DEURNE],
    "2140": DISTRICT_CENTRES[District.BORGERHOUT],
    "2170": DISTRICT_CENTRES[District.MERKSEM],
    "2180": DISTRICT_CENTRES[District.EKEREN],
    "2600": DISTRICT_CENTRES[District.BERCHEM],
    "2610": DISTRICT_CENTRES[District.WILRIJK],
    "2660": DISTRICT_CENTRES[District.HOBOKEN],
}

DAYS = 7
PARTS = 3
ALL_MODES = frozenset({Mode.ONLINE.value, Mode.OFFLINE.value})
DEFAULT_WEIGHTS = {"subject": 25, "level": 20, "distance": 20, "language": 15, "quality": 20}
WAITING_PER_WEEK = 2
"""The waiting term (``engine.Waiting``): a matched need earns 2 points per week waited on top of its pair's
0..100 score (the quality level of the objective), ..."""
WAITING_CAP = 20
"""... at most 20 (reached after ten weeks): a long wait outweighs a pair up to 20 points better, no more."""


def location_of(*, district: str = "", postcode: str = "") -> tuple[float, float] | None:
    """Approximate (x_km, y_km) from a postcode (preferred) or a district; None when unknown or outside."""
    if postcode and postcode in POSTCODE_CENTRES:
        return POSTCODE_CENTRES[postcode]
    return DISTRICT_CENTRES.get(district)


def distance_km(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    if a is None or b is None:
        return None
    return math.hypot(a[0] - b[0], a[1] - b[1])


def level_of_grade(grade: str) -> int | None:
    """The engine's level (P1..P6 = 1..6, S1..S6 = 7..12; S7 counts as 12) of a registry grade; None for kindergarten."""
    grade = (grade or "").upper()
    if grade.startswith("P") and grade[1:].isdigit():
        return max(1, min(6, int(grade[1:])))
    if grade.startswith("S") and grade[1:].isdigit():
        return max(7, min(12, 6 + int(grade[1:])))
    return None


def age_group_of(level: int) -> str:
    if level <= 6:
        return AgeGroup.PRIMARY
    return AgeGroup.LOWER_SECONDARY if level <= 8 else AgeGroup.UPPER_SECONDARY


def weights_of(initiative: Initiative | None, overrides: dict | None = None) -> dict[str, int]:
    """The criteria weights: the defaults, then the initiative's own, then ``overrides`` (integers, known keys only)."""
    out = dict(DEFAULT_WEIGHTS)
    for source in ((initiative.weights if initiative else None) or {}, overrides or {}):
        for key, value in source.items():
            if key in out and value is not None:
                out[key] = int(value)
    return out


def engine():
    """The engine module (imported late: it is a separate, pure package)."""
    from leerloopbaan.tutoring import engine as mod

    return mod


# --- quality -----------------------------------------------------------------------------------

def tutor_quality(tutor_ids: Iterable[int]) -> dict[int, float | None]:
    """Peer-review quality 0..1 per tutor (None without reviews): the tutor journey's, or the mean score here."""
    ids = list(tutor_ids)
    try:
        from leerloopbaan.tutoring.tutors.selectors import tutor_quality as journey_quality
    except ImportError:
        journey_quality = None
    if journey_quality is not None:
        return dict(journey_quality(ids))
    return _mean_review_quality(ids)


def _mean_review_quality(ids: list[int]) -> dict[int, float | None]:
    means = dict(PeerReview.objects.filter(tutor_id__in=ids).values("tutor_id").annotate(m=Avg("score")).values_list("tutor_id", "m"))
    return {i: (None if means.get(i) is None else round((float(means[i]) - 1) / 4, 4)) for i in ids}


# --- DB -> engine ------------------------------------------------------------------------------

def engine_need(need: TutoringNeed, *, asked: Iterable[int] | None = None, priority: int | None = None,
                waiting_days: int = 0):
    """The engine's need; ``asked``: the initiatives the school asked (None: any initiative may take it)."""
    e = engine()
    school = need.school
    return e.Need(
        id=need.pk, subject=need.subject, level=need.level, age_group=need.age_group,
        languages=frozenset(need.languages or ["nl"]), home_language=need.home_language or None,
        language_support=need.language_support, slots=frozenset(int(s) for s in (need.slots or [])),
        modes=frozenset(need.modes or ALL_MODES),
        location=location_of(district=need.district) or location_of(district=school.district, postcode=school.postcode),
        district=need.district or school.district, priority=need.priority if priority is None else int(priority),
        school=need.school_id, pupil=need.pupil_id, asked=None if asked is None else frozenset(asked),
        waiting_days=max(0, int(waiting_days)),
    )


def active_counts(tutor_ids: Iterable[int]) -> dict[int, int]:
    rows = Match.objects.filter(tutor_id__in=list(tutor_ids), status=Match.Status.ACTIVE).values("tutor_id").annotate(n=Count("pk"))
    return {r["tutor_id"]: r["n"] for r in rows}


def engine_tutor(tutor: Tutor, *, remaining: int, quality: float | None, conflict_pupils: Iterable[int] = (),
                 conflict_schools: Iterable[int] | None = None):
    e = engine()
    schools = conflict_schools if conflict_schools is not None else tutor.conflict_schools.values_list("pk", flat=True)
    return e.Tutor(
        id=tutor.pk, subjects=tuple(tutor.subjects or ()), min_level=tutor.min_level, max_level=tutor.max_level,
        age_groups=frozenset(tutor.age_groups or ()), languages=frozenset(tutor.languages or ["nl"]),
        language_support=tutor.language_support, slots=frozenset(int(s) for s in (tutor.slots or [])),
        modes=frozenset(tutor.modes or ALL_MODES), location=location_of(district=tutor.district, postcode=tutor.postcode),
        travel_km=float(tutor.travel_km), capacity=max(0, min(3, remaining)), quality=quality,
        eligible=tutor.status == Tutor.Status.ACTIVE, initiative=tutor.initiative_id,
        conflict_schools=frozenset(schools), conflict_pupils=frozenset(conflict_pupils),
    )


def exclusions_of(tutor_ids: Iterable[int]) -> dict[int, set[int]]:
    """"Never again": tutor id -> pupil ids."""
    out: dict[int, set[int]] = {}
    for tutor_id, pupil_id in MatchExclusion.objects.filter(tutor_id__in=list(tutor_ids)).values_list("tutor_id", "pupil_id"):
        out.setdefault(tutor_id, set()).add(pupil_id)
    return out


def engine_tutors(tutors: list[Tutor], *, count_active: bool = True, held: dict[int, int] | None = None) -> list:
    """Engine tutors for these rows; ``count_active``: capacity is what is left after their active matches
    (and the ``held`` places: open proposals of drafts this run leaves as they are)."""
    held = held or {}
    ids = [t.pk for t in tutors]
    quality = tutor_quality(ids)
    active = active_counts(ids) if count_active else {}
    excluded = exclusions_of(ids)
    schools: dict[int, set[int]] = {i: set() for i in ids}
    for tutor_id, school_id in Tutor.conflict_schools.through.objects.filter(tutor_id__in=ids).values_list("tutor_id", "school_id"):
        schools[tutor_id].add(school_id)
    return [engine_tutor(t, remaining=t.capacity - active.get(t.pk, 0) - held.get(t.pk, 0), quality=quality.get(t.pk),
                         conflict_pupils=excluded.get(t.pk, ()),
                         conflict_schools=schools[t.pk]) for t in tutors]


def initiative_remaining(initiative: Initiative) -> int | None:
    """New matches the initiative can still take (its capacity minus its active matches); None: no limit."""
    if initiative.capacity is None:
        return None
    used = Match.objects.filter(tutor__initiative=initiative, status=Match.Status.ACTIVE).count()
    return max(0, initiative.capacity - used)


def rules_of(initiative: Initiative | None):
    """The engine's ``Rules`` of an initiative (``Initiative.rules``; {}: only the needs that asked it)."""
    e = engine()
    r = (initiative.rules if initiative is not None else None) or {}
    return e.Rules(open=bool(r.get("open", False)), age_groups=frozenset(r.get("age_groups") or ()),
                   subjects=frozenset(r.get("subjects") or ()), districts=frozenset(r.get("districts") or ()))


def asked_of(need_ids: Iterable[int]) -> dict[int, set[int]]:
    """Need id -> the initiatives its school asked."""
    ids = list(need_ids)
    out: dict[int, set[int]] = {i: set() for i in ids}
    through = TutoringNeed.initiatives.through.objects
    for start in range(0, len(ids), 2000):
        for need_id, initiative_id in through.filter(tutoringneed_id__in=ids[start:start + 2000]).values_list(
                "tutoringneed_id", "initiative_id"):
            out[need_id].add(initiative_id)
    return out


def waiting_days_of(needs: Iterable[TutoringNeed], today) -> dict[int, int]:
    """Need id -> days waited: since it was entered, or since its last match ended (as the pages show)."""
    needs = list(needs)
    ids = [n.pk for n in needs]
    ended: dict[int, object] = {}
    for start in range(0, len(ids), 2000):
        rows = (Match.objects.filter(need_id__in=ids[start:start + 2000], status=Match.Status.ENDED, ended_on__isnull=False)
                .values("need_id").annotate(last=Max("ended_on")).values_list("need_id", "last"))
        ended.update(rows)
    out = {}
    for n in needs:
        since = clock.date_of(n.created_at)
        if ended.get(n.pk) and ended[n.pk] > since:
            since = ended[n.pk]
        out[n.pk] = max(0, (today - since).days)
    return out


@dataclass
class Problem:
    """What one run feeds the engine, and what it needs to store the result."""

    initiative: Initiative | None          # the draft this run writes; None: the city run writes every initiative's
    weights: dict[str, int]                # the run's weights for ``initiative``'s tutors (the others use their own)
    initiatives: dict[int, Initiative]     # every initiative in the solve (their tutors, weights, rules, capacity)
    needs: dict[int, TutoringNeed]
    tutors: dict[int, Tutor]
    asked: dict[int, set[int]] = field(default_factory=dict)      # need -> initiatives asked
    waiting_days: dict[int, int] = field(default_factory=dict)
    priority: dict[int, int] = field(default_factory=dict)        # need -> tier of this run (set by the service)
    held: dict[int, int] = field(default_factory=dict)            # tutor -> places held by other drafts' proposals
    held_initiative: dict[int, int] = field(default_factory=dict)  # initiative -> places held by other drafts
    held_needs: dict[int, int] = field(default_factory=dict)      # need -> initiative whose draft proposes it
    fixed: list[tuple[int, int]] = field(default_factory=list)
    never: list[tuple[int, int]] = field(default_factory=list)
    current: dict[int, int] = field(default_factory=dict)
    leaving: set[int] = field(default_factory=set)

    def weights_of(self, initiative_id: int) -> dict[str, int]:
        if self.initiative is not None and initiative_id == self.initiative.pk:
            return self.weights
        return weights_of(self.initiatives.get(initiative_id))


def _never_pairs(needs: dict[int, TutoringNeed], tutor_ids: Iterable[int], extra: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    by_pupil: dict[int, list[int]] = {}
    for n in needs.values():
        by_pupil.setdefault(n.pupil_id, []).append(n.pk)
    pairs = set(extra)
    for tutor_id, pupils in exclusions_of(tutor_ids).items():
        for pupil_id in pupils:
            pairs.update((need_id, tutor_id) for need_id in by_pupil.get(pupil_id, ()))
    return sorted((n, t) for n, t in pairs if n in needs)


def build_problem(initiative: Initiative | None, *, weights: dict[str, int], fixed: Iterable[tuple[int, int]] = (),
                  never: Iterable[tuple[int, int]] = (), rematch: bool = False, today=None) -> Problem:
    """The city-wide problem of a run: every waiting need of the city, the active tutors of every active
    initiative. ``initiative``: the run writes its draft only, so the open proposals of the other drafts
    are held (see the module docstring); None: the city run. ``rematch``: the initiative's active matches
    are passed in as ``current`` (kept), with the pupils whose tutor of the initiative left."""
    today = today or clock.today()
    initiatives = {i.pk: i for i in Initiative.objects.filter(active=True).order_by("pk")}
    if initiative is not None:
        initiatives.setdefault(initiative.pk, initiative)
    held_needs: dict[int, int] = {}
    held: dict[int, int] = {}
    held_initiative: dict[int, int] = {}
    if initiative is not None:
        rows = (Match.objects.filter(status=Match.Status.PROPOSED, run__status=MatchRun.Status.DRAFT)
                .exclude(run__initiative=initiative).values_list("need_id", "tutor_id", "tutor__initiative_id"))
        for need_id, tutor_id, initiative_id in rows:
            held_needs[need_id] = initiative_id
            held[tutor_id] = held.get(tutor_id, 0) + 1
            held_initiative[initiative_id] = held_initiative.get(initiative_id, 0) + 1
    needs = {n.pk: n for n in TutoringNeed.objects.filter(status=TutoringNeed.Status.WAITING).exclude(pk__in=list(held_needs))
             .select_related("school").order_by("pk")}
    current: dict[int, int] = {}
    leaving: set[int] = set()
    tutors = {t.pk: t for t in Tutor.objects.filter(initiative__in=list(initiatives), status=Tutor.Status.ACTIVE).order_by("pk")}
    if rematch and initiative is not None:
        active = list(Match.objects.filter(tutor__initiative=initiative, status=Match.Status.ACTIVE).select_related("need", "need__school"))
        for m in active:
            needs[m.need_id] = m.need
            current[m.need_id] = m.tutor_id
        # the pupils whose tutor left: their last match ended for that reason and they wait again
        left = (Match.objects.filter(tutor__initiative=initiative, status=Match.Status.ENDED, end_reason=Match.EndReason.TUTOR_LEFT,
                                     need_id__in=[n for n in needs if n not in current])
                .exclude(tutor__status=Tutor.Status.ACTIVE).order_by("ended_on", "pk").values_list("need_id", "tutor_id"))
        for need_id, tutor_id in left:
            current[need_id] = tutor_id
            leaving.add(tutor_id)
        tutors.update({t.pk: t for t in Tutor.objects.filter(pk__in=leaving)})
    fixed = [(n, t) for n, t in fixed if n in needs and t in tutors]
    return Problem(initiative=initiative, weights=weights, initiatives=initiatives, needs=needs, tutors=tutors,
                   asked=asked_of(needs), waiting_days=waiting_days_of(needs.values(), today), held=held,
                   held_initiative=held_initiative, held_needs=held_needs, fixed=fixed, never=_never_pairs(needs, tutors, never),
                   current=current, leaving=leaving)


def build_rematch_problem(initiative: Initiative, *, weights: dict[str, int], today=None) -> Problem:
    """The city-wide problem of a re-match of ``initiative`` after tutors left (``build_problem`` with ``rematch``)."""
    return build_problem(initiative, weights=weights, rematch=True, today=today)


def initiative_places(problem: Problem) -> dict[int, int]:
    """Initiative id -> places for the needs of this call, for the initiatives with a capacity: the capacity
    minus the active matches whose needs are NOT passed in (a kept match of a re-match is passed in and
    takes its place in the engine: counted once) and minus the places held by other drafts."""
    capped = [k for k, i in problem.initiatives.items() if i.capacity is not None]
    if not capped:
        return {}
    kept = [n for n, t in problem.current.items() if t not in problem.leaving]
    used = dict(Match.objects.filter(tutor__initiative_id__in=capped, status=Match.Status.ACTIVE).exclude(need_id__in=kept)
                .values("tutor__initiative_id").annotate(n=Count("pk")).values_list("tutor__initiative_id", "n"))
    return {k: max(0, problem.initiatives[k].capacity - used.get(k, 0) - problem.held_initiative.get(k, 0)) for k in capped}


def run_engine(problem: Problem, *, rematch: bool = False):
    """Run the engine on a problem (one solve for the city); returns its ``MatchResult``."""
    e = engine()
    needs = [engine_need(n, asked=problem.asked.get(n.pk, ()), priority=problem.priority.get(n.pk),
                         waiting_days=problem.waiting_days.get(n.pk, 0)) for n in problem.needs.values()]
    tutors = engine_tutors(list(problem.tutors.values()), count_active=True, held=problem.held)
    if rematch:
        # the current matches are part of the problem: their places are given back to the tutors
        give_back: dict[int, int] = {}
        for tutor_id in problem.current.values():
            give_back[tutor_id] = give_back.get(tutor_id, 0) + 1
        tutors = [_with_capacity(t, min(3, t.capacity + give_back.get(t.id, 0))) if t.id not in problem.leaving else t for t in tutors]
    kwargs = {
        "weights": e.Weights(**DEFAULT_WEIGHTS), "never": problem.never, "initiative_capacity": initiative_places(problem),
        "initiative_weights": {k: e.Weights(**problem.weights_of(k)) for k in problem.initiatives},
        "initiative_rules": {k: rules_of(i) for k, i in problem.initiatives.items()},
        "waiting": e.Waiting(per_week=WAITING_PER_WEEK, cap=WAITING_CAP),
    }
    if rematch:
        return e.rematch(needs, tutors, current=dict(problem.current), leaving=sorted(problem.leaving), **kwargs)
    return e.match(needs, tutors, fixed=list(problem.fixed), **kwargs)


def _with_capacity(tutor, capacity: int):
    import dataclasses

    return dataclasses.replace(tutor, capacity=capacity)


def explain_pair(need: TutoringNeed, tutor: Tutor) -> list[str]:
    """The hard rules this pair breaks (engine codes; "initiative": its rules do not take the pupil), empty when
    the engine could propose it."""
    e = engine()
    rules = {tutor.initiative_id: rules_of(tutor.initiative)}
    return list(e.explain_ineligible(engine_need(need, asked=asked_of([need.pk])[need.pk]), engine_tutors([tutor], count_active=True)[0],
                                     rules))


def explain_for_tutors(need: TutoringNeed, tutors: list[Tutor], *, used: dict[int, int] | None = None) -> dict[int, list[str]]:
    """For a coordinator choosing a tutor by hand: per tutor, the hard rules the pair would break, plus
    "never" ("never again") and "capacity" (no place left after their active matches and ``used`` places)."""
    used = used or {}
    e = engine()
    en = engine_need(need, asked=asked_of([need.pk])[need.pk])
    rules = {t.initiative_id: rules_of(t.initiative) for t in tutors}
    out = {}
    for t in engine_tutors(tutors, count_active=True):
        codes = list(e.explain_ineligible(en, t, rules))
        if need.pupil_id in t.conflict_pupils and "conflict_pupil" in codes:
            codes[codes.index("conflict_pupil")] = "never"
        if t.capacity - used.get(t.id, 0) <= 0:
            codes.append("capacity")
        out[t.id] = codes
    return out


def score_pair(need: TutoringNeed, tutor: Tutor, *, weights: dict[str, int]):
    """The engine's assignment for this pair forced (a coordinator's override), or None if it cannot score it."""
    e = engine()
    t = engine_tutors([tutor], count_active=True)[0]
    t = _with_capacity(t, max(1, t.capacity))
    try:
        result = e.match([engine_need(need)], [t], weights=e.Weights(**weights), fixed=[(need.pk, tutor.pk)])
    except Exception:  # noqa: BLE001 - an override must still be possible when the engine refuses the pair
        return None
    return next((a for a in result.assignments if a.need == need.pk and a.tutor == tutor.pk), None)


def assignment_ids(a) -> tuple[int, int]:
    """(need id, tutor id) of an engine assignment, whether it carries ids or the engine's objects."""
    need = a.need if isinstance(a.need, int) else a.need.id
    tutor = a.tutor if isinstance(a.tutor, int) else a.tutor.id
    return need, tutor


def unmatched_id(u) -> int:
    return u.need if isinstance(u.need, int) else u.need.id


def slot_label_grid() -> list[tuple[int, list[int]]]:
    """[(day, [slot per part])] for the availability grid."""
    return [(d, [d * PARTS + p for p in range(PARTS)]) for d in range(DAYS)]


__all__ = [
    "DISTRICT_CENTRES", "POSTCODE_CENTRES", "DEFAULT_WEIGHTS", "Problem", "location_of", "distance_km", "level_of_grade", "age_group_of",
    "weights_of", "tutor_quality", "engine_need", "engine_tutor", "engine_tutors", "build_problem", "build_rematch_problem", "run_engine",
    "explain_pair", "explain_for_tutors", "score_pair", "assignment_ids", "unmatched_id", "initiative_remaining", "active_counts",
    "slot_label_grid", "rules_of", "asked_of", "waiting_days_of", "initiative_places",
]
