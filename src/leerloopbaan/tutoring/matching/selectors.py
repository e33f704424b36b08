"""Reads of tutoring needs, matching runs, matches and check-ins (scoped to the acting user, audited).

Who sees what (the scopes start from ``tutoring.access``):

- school staff, CLB worker: the needs of pupils in their ``pupil_scope`` entered for one of their
  schools, pupil by name; the status of those needs and the tutor's first name;
- tutor coordinator: the waiting needs that asked one of their initiatives and the needs matched to
  their initiatives' tutors (pupil by first name, school, needs, the priority's tier, never its
  number); the runs and matches of their initiatives;
- tutor: their ACTIVE matches only, the pupil's first name and needs (never priority, school
  results, EWS, last name or pupil key);
- young person: their own active matches (the tutor's first name), to check in;
- admin: everything, pupils by pseudonym;
- everyone else: none (404).

Every read that shows a pupil is one audit entry naming the pupil keys shown. A row outside the
scope answers 404.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.registry.models import Pupil, PupilAccountLink
from leerloopbaan.registry.selectors import pupil_scope, schools_of
from leerloopbaan.tutoring.access import (
    coordinated_initiatives,
    is_active,
    is_admin,
    is_coordinator,
    is_tutor,
    may_enter_needs,
    tutor_of,
)
from leerloopbaan.tutoring.models import CheckIn, Initiative, Match, MatchRun, Tutor, TutoringNeed

OVERDUE_DAYS = 28
CONCERN_DAYS = 28

# the words pages and forms need (they never import the models)
NeedStatus = TutoringNeed.Status
ConsentBy = TutoringNeed.ConsentBy
MatchStatus = Match.Status
EndReason = Match.EndReason
RunStatus = MatchRun.Status


# --- scopes --------------------------------------------------------------------------------------

def need_scope(user, qs: QuerySet[TutoringNeed] | None = None) -> QuerySet[TutoringNeed]:
    """The rule: every need (of ``qs``) the user may see. ``TutoringNeed.objects.visible_to(user)`` applies
    it; the only way to start a query on TutoringNeed for a user."""
    qs = TutoringNeed.objects.all() if qs is None else qs
    if not is_active(user):
        return qs.none()
    if may_enter_needs(user):
        # pupils in their scope, for a need entered for one of their schools (a school a pupil left
        # does not see what the new school asked for)
        return qs.filter(pupil__in=pupil_scope(user), school__in=schools_of(user))
    if is_coordinator(user):
        # the waiting needs that asked one of their initiatives, the waiting needs the city-wide matching
        # proposes to one of their tutors in a current draft (their initiative's rules take the pupil: the
        # coordinators must review the proposal), and the needs their tutors work or worked with; never the
        # rest of the city's pool. A simulation, a discarded or published draft does not widen the scope.
        initiatives = coordinated_initiatives(user)
        asked = TutoringNeed.initiatives.through.objects.filter(initiative__in=initiatives).values("tutoringneed_id")
        proposed = Match.objects.filter(tutor__initiative__in=initiatives, run__initiative__in=initiatives,
                                        run__status=MatchRun.Status.DRAFT,
                                        status__in=[Match.Status.PROPOSED, Match.Status.REJECTED]).values("need_id")
        mine = Match.objects.filter(tutor__initiative__in=initiatives,
                                    status__in=[Match.Status.ACTIVE, Match.Status.ENDED]).values("need_id")
        return qs.filter(Q(status=TutoringNeed.Status.WAITING, pk__in=asked) | Q(status=TutoringNeed.Status.WAITING, pk__in=proposed)
                         | Q(pk__in=mine))
    if is_tutor(user):
        tutor = tutor_of(user)
        if tutor is None:
            return qs.none()
        return qs.filter(pk__in=Match.objects.filter(tutor=tutor, status=Match.Status.ACTIVE).values("need_id"))
    if is_admin(user):
        return qs
    if user.role in (Role.YOUTH, Role.PARENT):
        # a young person their own needs; a parent their minor children's (registry's custody rule)
        return qs.filter(pupil__in=pupil_scope(user))
    return qs.none()


def run_scope(user) -> QuerySet[MatchRun]:
    """The runs of the initiatives the user coordinates (all for the admin)."""
    if is_coordinator(user) or is_admin(user):
        return MatchRun.objects.filter(initiative__in=coordinated_initiatives(user))
    return MatchRun.objects.none()


def match_scope(user, qs: QuerySet[Match] | None = None) -> QuerySet[Match]:
    """Matches a coordinator manages (their initiatives' tutors; all for the admin)."""
    qs = Match.objects.all() if qs is None else qs
    if is_coordinator(user) or is_admin(user):
        return qs.filter(tutor__initiative__in=coordinated_initiatives(user))
    return qs.none()


def checkin_scope(user, qs: QuerySet[Match] | None = None) -> QuerySet[Match]:
    """ACTIVE matches the user may fill in a check-in for: the tutor (their own), the pupil (an account
    linked to themself) and a teacher (school staff of the school the need was entered for)."""
    qs = Match.objects.all() if qs is None else qs
    active = qs.filter(status=Match.Status.ACTIVE)
    if not is_active(user):
        return qs.none()
    if is_tutor(user):
        tutor = tutor_of(user)
        return active.filter(tutor=tutor) if tutor else qs.none()
    if user.role == Role.YOUTH:
        pupils = PupilAccountLink.objects.filter(user=user, relation=PupilAccountLink.Relation.SELF).values("pupil_id")
        return active.filter(need__pupil_id__in=pupils)
    if user.role == Role.SCHOOL_STAFF:
        return active.filter(need__school__in=schools_of(user))
    return qs.none()


def match_visible(user, qs: QuerySet[Match] | None = None) -> QuerySet[Match]:
    """The rule for seeing a match at all (``Match.objects.visible_to``): a coordinator the matches they
    manage (``match_scope``); a tutor, a young person and a teacher the active matches they may check in
    on (``checkin_scope``); school staff and CLB workers also the matches of the needs they see."""
    qs = Match.objects.all() if qs is None else qs
    if is_coordinator(user) or is_admin(user):
        return match_scope(user, qs)
    if may_enter_needs(user):
        mine = checkin_scope(user, qs).values("pk")
        return qs.filter(Q(pk__in=mine) | Q(need__in=need_scope(user)))
    return checkin_scope(user, qs)


def respondent_of(user, match: Match) -> str | None:
    """Who the user is for this match's check-in: tutor, pupil or teacher (None: not allowed)."""
    if not checkin_scope(user, Match.objects.filter(pk=match.pk)).exists():
        return None
    return {Role.TUTOR: CheckIn.Respondent.TUTOR, Role.YOUTH: CheckIn.Respondent.PUPIL,
            Role.SCHOOL_STAFF: CheckIn.Respondent.TEACHER}.get(user.role)


def askable_initiatives() -> QuerySet[Initiative]:
    """The active initiatives a school can ask for a pupil's tutor (not personal data)."""
    return Initiative.objects.filter(active=True).order_by("name")


def may_see_needs(user) -> bool:
    return may_enter_needs(user) or is_coordinator(user) or is_admin(user)


def may_match(user) -> bool:
    return is_coordinator(user) or is_admin(user)


# --- labels ----------------------------------------------------------------------------------------

def _name(pupil: Pupil):
    try:
        return pupil.name
    except Pupil.name.RelatedObjectDoesNotExist:
        return None


def pupil_label(user, pupil: Pupil) -> str:
    """School staff and CLB: full name; coordinators, tutors, the pupil: first name only; admin: pseudonym."""
    name = _name(pupil)
    if user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER):
        full = f"{name.first_name} {name.last_name}".strip() if name else ""
        return full or pupil.short_key
    if user.role in (Role.TUTOR_COORDINATOR, Role.TUTOR, Role.YOUTH):
        return (name.first_name if name else "") or _("(no first name known)")
    return pupil.short_key


def tutor_label(user, tutor: Tutor) -> str:
    """The admin and the tutor's own coordinators: full name; another initiative's coordinator: only
    that another initiative has the pupil; everyone else: first name."""
    if is_admin(user):
        return f"{tutor.first_name} {tutor.last_name}".strip()
    if is_coordinator(user):
        ids = getattr(user, "_coordinated_initiative_ids", None)
        if ids is None:  # once per request, not once per row
            ids = set(coordinated_initiatives(user).values_list("pk", flat=True))
            user._coordinated_initiative_ids = ids
        if tutor.initiative_id in ids:
            return f"{tutor.first_name} {tutor.last_name}".strip()
        return _("a tutor of another initiative")
    return tutor.first_name


def _audit(user, pupil_keys, purpose: str, tutors=(), **detail):
    """One entry naming the pupils shown and, when tutors are shown by name too, one naming them
    (``tutor:<id>``, as the tutor pages write); joined with the unit of work's other reads."""
    access = access_for(user)
    access.record(subject_type="pupil", subjects=list(dict.fromkeys(pupil_keys)), purpose=purpose, detail=detail or None)
    tutors = list({t.pk: t for t in tutors}.values())
    if tutors:
        access.record(tutors, purpose=purpose, detail=detail or None)


# --- needs -------------------------------------------------------------------------------------------

def _with_status_facts(qs: QuerySet[TutoringNeed]) -> QuerySet[TutoringNeed]:
    last_end = Match.objects.filter(need=OuterRef("pk"), status=Match.Status.ENDED).order_by("-ended_on", "-pk").values("ended_on")[:1]
    return qs.annotate(last_ended_on=last_end).select_related("pupil", "pupil__name", "school")


def waiting_since(need: TutoringNeed) -> datetime.date | None:
    """A waiting need waits since it was entered, or since its last match ended."""
    if need.status != TutoringNeed.Status.WAITING:
        return None
    entered = clock.date_of(need.created_at)
    ended = getattr(need, "last_ended_on", None)
    return max(entered, ended) if ended else entered


@dataclass
class NeedRow:
    need: TutoringNeed
    pupil: str
    waiting_since: datetime.date | None
    waiting_days: int | None
    tutor: str | None              # first name (full name for coordinators) of the tutor of the active match
    started_on: datetime.date | None
    ended_on: datetime.date | None


def _rows(user, needs: list[TutoringNeed]) -> list[NeedRow]:
    active = {m.need_id: m for m in Match.objects.filter(need__in=needs, status=Match.Status.ACTIVE).select_related("tutor")}
    today = clock.today()
    rows = []
    for n in needs:
        since = waiting_since(n)
        m = active.get(n.pk)
        rows.append(NeedRow(need=n, pupil=pupil_label(user, n.pupil), waiting_since=since, waiting_days=(today - since).days if since else None,
                            tutor=tutor_label(user, m.tutor) if m else None, started_on=m.started_on if m else None,
                            ended_on=getattr(n, "last_ended_on", None)))
    return rows


def need_list(*, user, status: str | None = None, school=None, limit: int = 500) -> list[NeedRow]:
    """The needs the user may see (school staff: their schools'; coordinators: the pool and theirs), one audited read."""
    if not may_see_needs(user):
        raise Http404("no needs")
    qs = _with_status_facts(TutoringNeed.objects.visible_to(user))
    if status in TutoringNeed.Status.values:
        qs = qs.filter(status=status)
    if school is not None:
        qs = qs.filter(school=school)
    needs = list(qs.order_by("status", "priority" if not may_enter_needs(user) else "created_at", "created_at", "pk")[:limit])
    _audit(user, [n.pupil.pupil_key for n in needs], "tutoring needs", status=status)
    return _rows(user, needs)


@dataclass
class NeedView:
    need: TutoringNeed
    pupil: str
    row: NeedRow
    matches: list[Match] = field(default_factory=list)
    may_withdraw: bool = False
    may_check_in: Match | None = None


def need_get(*, user, pk: int) -> NeedView:
    """One need with its matches (active and ended; not proposals), or 404; audited."""
    if not may_see_needs(user):
        raise Http404("no such need")
    need = _with_status_facts(TutoringNeed.objects.visible_to(user)).filter(pk=pk).first()
    if need is None:
        raise Http404("no such need")
    matches = list(need.matches.filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED]).select_related("tutor").order_by("-pk"))
    for m in matches:
        m.tutor_label = tutor_label(user, m.tutor)
    active = next((m for m in matches if m.status == Match.Status.ACTIVE), None)
    view = NeedView(need=need, pupil=pupil_label(user, need.pupil), row=_rows(user, [need])[0], matches=matches,
                    may_withdraw=may_enter_needs(user) and need.status in (TutoringNeed.Status.WAITING, TutoringNeed.Status.MATCHED),
                    may_check_in=active if active and respondent_of(user, active) else None)
    _audit(user, [need.pupil.pupil_key], "tutoring need", need=need.pk)
    return view


def need_for_update(*, user, pk: int) -> TutoringNeed:
    """A need in the user's scope, for a write (the service audits it), or 404."""
    need = TutoringNeed.objects.visible_to(user).select_related("pupil", "school").filter(pk=pk).first()
    if need is None:
        raise Http404("no such need")
    return need


# --- runs -------------------------------------------------------------------------------------------

def run_list(*, user, initiative: Initiative | None = None) -> list[MatchRun]:
    """Runs of the user's initiatives: numbers only, no pupils (not a read of persons)."""
    if not may_match(user):
        raise Http404("no runs")
    qs = run_scope(user).select_related("initiative", "created_by")
    if initiative is not None:
        qs = qs.filter(initiative=initiative)
    return list(qs.order_by("-created_at", "-pk")[:200])


@dataclass
class Proposal:
    match: Match
    pupil: str
    tutor: str
    state: str               # "unreviewed" | "accepted" | "rejected"
    criteria: list[dict]     # [{"name", "points", "max"}]
    details: dict


@dataclass
class UnmatchedRow:
    need: TutoringNeed
    pupil: str
    reason: str
    detail: dict


@dataclass
class RunView:
    run: MatchRun
    proposals: list[Proposal]
    unmatched: list[UnmatchedRow]
    tutors: list[Tutor]
    counts: dict
    comparison: dict | None = None
    state: str | None = None
    page: object = None            # django Page of the proposals shown
    unmatched_page: object = None  # django Page of the unmatched needs shown


PER_PAGE = 100
STATES = ("unreviewed", "accepted", "rejected")


def review_state(m: Match) -> str:
    if m.status == Match.Status.REJECTED:
        return "rejected"
    if m.status == Match.Status.PROPOSED and m.reviewed_at is None:
        return "unreviewed"
    return "accepted"


def _state_q(state: str) -> Q:
    unreviewed = Q(status=Match.Status.PROPOSED, reviewed_at__isnull=True)
    rejected = Q(status=Match.Status.REJECTED)
    return {"unreviewed": unreviewed, "rejected": rejected, "accepted": ~unreviewed & ~rejected}[state]


def _criteria(match: Match, max_points: dict) -> list[dict]:
    crit = (match.explanation or {}).get("criteria") or {}
    return [{"name": k, "points": v, "max": max_points.get(k)} for k, v in crit.items()]


def run_get(*, user, pk: int, state: str | None = None, page: int = 1, unmatched_page: int = 1, per_page: int = PER_PAGE) -> RunView:
    """A run with a page of its proposals (with explanations; ``state`` filters unreviewed / accepted / rejected),
    a page of the needs left unmatched and, for a simulation, the comparison with the current draft or the
    published state; 404 outside the user's initiatives. One audited read naming the pupils shown."""
    from django.core.paginator import Paginator

    run = run_scope(user).select_related("initiative").filter(pk=pk).first()
    if run is None:
        raise Http404("no such run")
    # only the proposals of pupils in the user's scope: all of a current draft's (its proposals are in
    # the scope), those of a simulation or an old run whose pupils the coordinator sees
    all_matches = run.matches.filter(need__in=need_scope(user))
    counts = {s: all_matches.filter(_state_q(s)).count() for s in STATES}
    counts["proposals"] = sum(counts.values())
    qs = all_matches.filter(_state_q(state)) if state in STATES else all_matches
    qs = qs.select_related("need", "need__pupil", "need__pupil__name", "need__school", "tutor").order_by("need__priority", "need_id", "pk")
    match_page = Paginator(qs, per_page).get_page(page)
    max_points = (run.stats or {}).get("max_points") or {}
    proposals = [Proposal(match=m, pupil=pupil_label(user, m.need.pupil), tutor=tutor_label(user, m.tutor), state=review_state(m),
                          criteria=_criteria(m, max_points), details=(m.explanation or {}).get("details") or {}) for m in match_page]
    rows = list(run.unmatched or [])
    counts["unmatched"] = len(rows)
    u_page = Paginator(rows, per_page).get_page(unmatched_page)
    needs = {n.pk: n for n in TutoringNeed.objects.visible_to(user).filter(pk__in=[u.get("need") for u in u_page]).select_related(
        "pupil", "pupil__name", "school")}
    unmatched = [UnmatchedRow(need=needs[u["need"]], pupil=pupil_label(user, needs[u["need"]].pupil), reason=u.get("reason", ""),
                              detail=u.get("detail") or {}) for u in u_page if u.get("need") in needs]
    tutors = list(Tutor.objects.filter(initiative_id=run.initiative_id, status=Tutor.Status.ACTIVE).order_by("last_name", "first_name"))
    comparison = compare_with_baseline(run) if run.status == MatchRun.Status.SIMULATION else None
    keys = [p.match.need.pupil.pupil_key for p in proposals] + [u.need.pupil.pupil_key for u in unmatched]
    _audit(user, keys, "matching run", tutors=[p.match.tutor for p in proposals] + tutors, run=run.pk, state=state,
           page=match_page.number, unmatched_page=u_page.number)
    return RunView(run=run, proposals=proposals, unmatched=unmatched, tutors=tutors, counts=counts, comparison=comparison,
                   state=state if state in STATES else None, page=match_page, unmatched_page=u_page)


def run_for_update(*, user, pk: int) -> MatchRun:
    run = run_scope(user).select_related("initiative").filter(pk=pk).first()
    if run is None:
        raise Http404("no such run")
    return run


def need_in_run(*, user, run: MatchRun, pk: int) -> TutoringNeed:
    """A waiting need of a run (proposed or left unmatched), for choosing its tutor by hand; 404 otherwise; audited
    (a successful override names the pupil in its own entry, so the unit writes no second one)."""
    need = TutoringNeed.objects.visible_to(user).filter(pk=pk, status=TutoringNeed.Status.WAITING).select_related(
        "pupil", "pupil__name", "school").first()
    if need is None or not (run.matches.filter(need=need).exists() or any(u.get("need") == need.pk for u in run.unmatched or [])):
        raise Http404("no such need in this run")
    _audit(user, [need.pupil.pupil_key], "matching override", run=run.pk, need=need.pk)
    return need


@dataclass
class OverrideOptions:
    tutors: list[Tutor]          # the initiative's active tutors
    queryset: QuerySet[Tutor]    # the same, for the form's choice
    used: dict[int, int]         # proposals per tutor in the draft, this need's left out
    current: Match | None        # the need's current proposal


def override_options(*, user, run: MatchRun, need: TutoringNeed) -> OverrideOptions:
    """What choosing another tutor for ``need`` (from ``need_in_run``) shows: the initiative's active tutors,
    by name (recorded with the unit's other reads), how many proposals each has, the current proposal."""
    from collections import Counter

    if run_scope(user).filter(pk=run.pk).count() != 1:
        raise Http404("no such run")
    tutors = list(Tutor.objects.filter(initiative_id=run.initiative_id, status=Tutor.Status.ACTIVE).order_by("last_name", "first_name"))
    used = Counter(run.matches.filter(status=Match.Status.PROPOSED).exclude(need=need).values_list("tutor_id", flat=True))
    current = run.matches.filter(need=need, status=Match.Status.PROPOSED).select_related("tutor").first()
    access_for(user).record(tutors, subject_type="tutor", purpose="matching override", detail={"run": run.pk, "need": need.pk})
    return OverrideOptions(tutors=tutors, queryset=Tutor.objects.filter(pk__in=[t.pk for t in tutors]), used=dict(used), current=current)


def draft_of(*, user, initiative: Initiative | None) -> MatchRun | None:
    """The initiative's current draft run, if any (numbers only, not a read of persons)."""
    if initiative is None:
        return None
    return run_scope(user).filter(initiative=initiative, status=MatchRun.Status.DRAFT).first()


@dataclass
class CityRow:
    initiative: str
    run: MatchRun | None
    proposals: int
    unmatched: int
    elsewhere: int


@dataclass
class CityOverview:
    waiting: int                 # waiting needs in the city
    initiatives: int             # active initiatives
    drafts: int                  # initiatives with a current draft
    last_run_at: datetime.datetime | None
    rows: list[CityRow]          # the last city run, per initiative


def city_overview(*, user) -> CityOverview:
    """What the city run page shows the admin and programme managers: numbers of needs, initiatives and the
    drafts of the last city run per initiative; no pupil and no tutor (not a read of persons)."""
    from leerloopbaan.tutoring.matching.services import may_run_city

    if not may_run_city(user):
        raise Http404("no city run")
    active = Initiative.objects.filter(active=True)
    last = MatchRun.objects.filter(stats__city__isnull=False).exclude(stats__city=None).order_by("-created_at", "-pk").first()
    rows: list[CityRow] = []
    if last is not None:
        token = (last.stats or {}).get("city")
        for r in MatchRun.objects.filter(stats__city=token).select_related("initiative").order_by("initiative__name", "pk"):
            proposals = r.matches.filter(status__in=[Match.Status.PROPOSED, Match.Status.ACTIVE, Match.Status.REJECTED]).count()
            rows.append(CityRow(initiative=r.initiative.name if r.initiative else "", run=r, proposals=proposals,
                                unmatched=len(r.unmatched or []), elsewhere=int((r.stats or {}).get("elsewhere") or 0)))
    return CityOverview(waiting=TutoringNeed.objects.filter(status=TutoringNeed.Status.WAITING).count(), initiatives=active.count(),
                        drafts=MatchRun.objects.filter(status=MatchRun.Status.DRAFT, initiative__in=active).count(),
                        last_run_at=last.created_at if last else None, rows=rows)


def rematch_affected(*, user, initiative: Initiative | None) -> int:
    """How many waiting needs lost their tutor because the tutor left (a number, not a read of persons)."""
    if initiative is None or not may_match(user):
        return 0
    return TutoringNeed.objects.filter(status=TutoringNeed.Status.WAITING, matches__tutor__initiative=initiative,
                                       matches__end_reason=Match.EndReason.TUTOR_LEFT).distinct().count()


def baseline_of(run: MatchRun) -> tuple[str, MatchRun | None, dict[int, tuple[int, int]]]:
    """What a simulation is compared with: the initiative's current draft, else its last published run.
    Returns (kind, run, {need id: (tutor id, score)})."""
    others = MatchRun.objects.filter(initiative_id=run.initiative_id).exclude(pk=run.pk)
    draft = others.filter(status=MatchRun.Status.DRAFT).order_by("-created_at", "-pk").first()
    if draft is not None:
        rows = draft.matches.exclude(status=Match.Status.REJECTED).values_list("need_id", "tutor_id", "score")
        return "draft", draft, {n: (t, s) for n, t, s in rows}
    published = others.filter(status=MatchRun.Status.PUBLISHED).order_by("-published_at", "-pk").first()
    if published is not None:
        rows = published.matches.filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED]).values_list("need_id", "tutor_id", "score")
        return "published", published, {n: (t, s) for n, t, s in rows}
    return "none", None, {}


def compare(sim: dict[int, tuple[int, int]], base: dict[int, tuple[int, int]], priorities: dict[int, int]) -> dict:
    """Difference between two sets of pairs {need: (tutor, score)}: matched, mean score, pupils with another tutor, per priority."""
    def mean(pairs):
        return round(statistics.fmean(s for _t, s in pairs.values()), 1) if pairs else None

    per_priority = []
    for p in (1, 2, 3):
        s = sum(1 for n in sim if priorities.get(n) == p)
        b = sum(1 for n in base if priorities.get(n) == p)
        per_priority.append({"priority": p, "simulation": s, "baseline": b, "difference": s - b})
    return {
        "matched": {"simulation": len(sim), "baseline": len(base), "difference": len(sim) - len(base)},
        "mean_score": {"simulation": mean(sim), "baseline": mean(base),
                       "difference": None if not sim or not base else round(mean(sim) - mean(base), 1)},
        "other_tutor": sum(1 for n, (t, _s) in sim.items() if n in base and base[n][0] != t),
        "only_simulation": sum(1 for n in sim if n not in base),
        "only_baseline": sum(1 for n in base if n not in sim),
        "per_priority": per_priority,
    }


def compare_with_baseline(run: MatchRun) -> dict:
    kind, base_run, base = baseline_of(run)
    sim = {n: (t, s) for n, t, s in run.matches.exclude(status=Match.Status.REJECTED).values_list("need_id", "tutor_id", "score")}
    priorities = dict(TutoringNeed.objects.filter(pk__in=set(sim) | set(base)).values_list("pk", "priority"))
    return {"kind": kind, "run": base_run, **compare(sim, base, priorities)}


# --- matches and their health ------------------------------------------------------------------------

@dataclass
class MatchRow:
    match: Match
    pupil: str
    tutor: str
    last_checkin: datetime.date | None
    mean_rating: float | None
    concern: bool
    overdue: bool
    checkins: int


def with_health(qs: QuerySet[Match], today: datetime.date | None = None) -> QuerySet[Match]:
    today = today or clock.today()
    recent_concern = CheckIn.objects.filter(match=OuterRef("pk"), concern=True, date__gte=today - datetime.timedelta(days=CONCERN_DAYS))
    return qs.annotate(last_checkin=Max("checkins__date"), mean_rating=Avg("checkins__rating"), n_checkins=Count("checkins"),
                       recent_concern=Exists(recent_concern))


def health_of(m: Match, today: datetime.date) -> tuple[bool, bool]:
    """(concern, overdue): a concern in a check-in of the last 28 days; no check-in for 28 days (from the start)."""
    last = m.last_checkin or m.started_on
    overdue = m.status == Match.Status.ACTIVE and last is not None and (today - last).days > OVERDUE_DAYS
    return bool(m.recent_concern), overdue


def _match_rows(user, matches: list[Match], today: datetime.date) -> list[MatchRow]:
    rows = []
    for m in matches:
        concern, overdue = health_of(m, today)
        rows.append(MatchRow(match=m, pupil=pupil_label(user, m.need.pupil), tutor=tutor_label(user, m.tutor), last_checkin=m.last_checkin,
                             mean_rating=round(m.mean_rating, 1) if m.mean_rating is not None else None, concern=concern,
                             overdue=overdue, checkins=m.n_checkins))
    return rows


def match_list(*, user, status: str | None = Match.Status.ACTIVE, initiative: Initiative | None = None, limit: int = 1000) -> list[MatchRow]:
    """The coordinator's matches (active by default, or ended) with their health; one audited read."""
    if not may_match(user):
        raise Http404("no matches")
    today = clock.today()
    qs = Match.objects.visible_to(user).filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED])
    if status in (Match.Status.ACTIVE, Match.Status.ENDED):
        qs = qs.filter(status=status)
    if initiative is not None:
        qs = qs.filter(tutor__initiative=initiative)
    qs = with_health(qs.select_related("need", "need__pupil", "need__pupil__name", "need__school", "tutor", "tutor__initiative"), today)
    matches = list(qs.order_by("-started_on", "-pk")[:limit])
    _audit(user, [m.need.pupil.pupil_key for m in matches], "tutoring matches", tutors=[m.tutor for m in matches], status=status)
    return _match_rows(user, matches, today)


def match_health(*, user, initiative: Initiative | None = None) -> dict:
    """The dashboard: active matches with their health, the overdue and concerned ones first, and totals."""
    rows = match_list(user=user, status=Match.Status.ACTIVE, initiative=initiative)
    rows.sort(key=lambda r: (not r.concern, not r.overdue, r.last_checkin or datetime.date.min))
    return {"rows": rows, "active": len(rows), "overdue": sum(r.overdue for r in rows), "concern": sum(r.concern for r in rows),
            "never_checked_in": sum(1 for r in rows if r.checkins == 0)}


def missed_checkins_count(*, user, today: datetime.date | None = None) -> int | None:
    """For the home page: active matches without a check-in for ``OVERDUE_DAYS`` days (from the start;
    ``health_of``'s "overdue"): a coordinator's matches (the match list's ``?health=overdue``), a tutor's
    own (``my_pupils``'s ``?due=1``). One query; None for other roles."""
    if is_coordinator(user) or is_admin(user):
        qs = match_scope(user)
    elif is_tutor(user):
        qs = checkin_scope(user)
    else:
        return None
    today = today or clock.today()
    cutoff = today - datetime.timedelta(days=OVERDUE_DAYS)
    return (qs.filter(status=Match.Status.ACTIVE)
            .annotate(last=Coalesce(Max("checkins__date"), "started_on")).filter(last__lt=cutoff).count())


@dataclass
class MatchView:
    match: Match
    row: MatchRow
    checkins: list[CheckIn]


def match_get(*, user, pk: int) -> MatchView:
    """One match (active or ended) of the coordinator's initiatives with its check-ins, or 404; audited."""
    if not may_match(user):
        raise Http404("no such match")
    today = clock.today()
    m = with_health(Match.objects.visible_to(user).filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED]).select_related(
        "need", "need__pupil", "need__pupil__name", "need__school", "tutor", "tutor__initiative", "run"), today).filter(pk=pk).first()
    if m is None:
        raise Http404("no such match")
    _audit(user, [m.need.pupil.pupil_key], "tutoring match", tutors=[m.tutor], match=m.pk)
    return MatchView(match=m, row=_match_rows(user, [m], today)[0], checkins=list(m.checkins.all()))


def match_for_update(*, user, pk: int) -> Match:
    m = (Match.objects.visible_to(user).select_related("need", "need__pupil", "tutor").filter(pk=pk).first()
         if may_match(user) else None)
    if m is None:
        raise Http404("no such match")
    return m


def checkin_target(*, user, pk: int) -> tuple[Match, str, str]:
    """An active match the user may check in on: (match, pupil label, tutor first name), or 404; audited
    (a saved check-in names the pupil in its own entry, so the unit writes no second one)."""
    m = checkin_scope(user, Match.objects.select_related("need", "need__pupil", "need__pupil__name", "tutor")).filter(pk=pk).first()
    if m is None:
        raise Http404("no such match")
    _audit(user, [m.need.pupil.pupil_key], "tutoring check-in", match=m.pk)
    return m, pupil_label(user, m.need.pupil), m.tutor.first_name


# --- the tutor's and the pupil's own pages --------------------------------------------------------

@dataclass
class MyPupil:
    """What a tutor sees of a matched pupil: the first name and the needs. Nothing else."""

    match_id: int
    first_name: str
    subject: str
    level: str
    language_support: bool
    slots: list[int]
    mode: str
    modes: list[str]
    description: str
    started_on: datetime.date | None
    last_checkin: datetime.date | None
    checkin_due: bool = False  # no check-in for OVERDUE_DAYS days (from the start)


def my_pupils(*, user, due_only: bool = False) -> list[MyPupil]:
    """A tutor's ACTIVE matches: first name and needs only; one audited read (404 for anyone but a tutor)."""
    if not is_tutor(user):
        raise Http404("not a tutor")
    tutor = tutor_of(user)
    if tutor is None:
        _audit(user, [], "tutor: my pupils")
        return []
    today = clock.today()
    matches = list(with_health(Match.objects.filter(tutor=tutor, status=Match.Status.ACTIVE).select_related(
        "need", "need__pupil", "need__pupil__name"), today).order_by("started_on", "pk"))
    if due_only:
        matches = [m for m in matches if health_of(m, today)[1]]
    _audit(user, [m.need.pupil.pupil_key for m in matches], "tutor: my pupils")
    out = []
    for m in matches:
        n = m.need
        out.append(MyPupil(match_id=m.pk, first_name=pupil_label(user, n.pupil), subject=n.get_subject_display(), level=n.get_level_display(),
                           language_support=n.language_support, slots=sorted(int(s) for s in n.slots or []), mode=m.get_mode_display(),
                           modes=list(n.modes or []), description=n.description, started_on=m.started_on, last_checkin=m.last_checkin,
                           checkin_due=health_of(m, today)[1]))
    return out


@dataclass
class MyTutor:
    match_id: int
    tutor_first_name: str
    subject: str
    started_on: datetime.date | None


def my_tutoring(*, user) -> list[MyTutor]:
    """A young person's own active matches (the tutor's first name and the subject), to check in; audited."""
    if not (is_active(user) and user.role == Role.YOUTH):
        raise Http404("not a pupil")
    matches = list(checkin_scope(user, Match.objects.select_related("need", "need__pupil", "tutor")).order_by("started_on", "pk"))
    _audit(user, [m.need.pupil.pupil_key for m in matches], "pupil: my tutoring")
    return [MyTutor(match_id=m.pk, tutor_first_name=m.tutor.first_name, subject=m.need.get_subject_display(), started_on=m.started_on)
            for m in matches]


def pupil_page_tutoring(subject: PupilSubject) -> dict | None:
    """The tutoring panel of the pupil page: the page's pupil's needs waiting for or having a tutor
    (with the tutor's first name), as the user may see them, and whether the user may ask for a tutor.
    Only the needs entered inside the subject's windows (``visible``: not before the pupil came to the
    user's schools, not while away, not after they left). None when there is neither. No scope check
    and no audit entry: the page did both."""
    user = subject.user
    open_needs = [TutoringNeed.Status.WAITING, TutoringNeed.Status.MATCHED]
    qs = subject.cut(need_scope(user).filter(pupil=subject.pupil, status__in=open_needs), "created_at__date")
    needs = list(_with_status_facts(qs).order_by("created_at", "pk"))
    may_ask = may_enter_needs(user)
    if not needs and not may_ask:
        return None
    return {"needs": _rows(user, needs), "may_ask": may_ask}


def pupil_export_tutoring(subject: PupilSubject) -> list[dict]:
    """The page's pupil's tutoring as plain values for a young person's or parent's export: each need the
    user may see, with its subject, status and the tutor's first name while matched. No audit entry:
    the download that calls it read the pupil."""
    qs = subject.cut(need_scope(subject.user).filter(pupil=subject.pupil), "created_at__date")
    rows = _rows(subject.user, list(_with_status_facts(qs).order_by("created_at", "pk")))
    return [{"subject": str(r.need.get_subject_display()), "status": str(r.need.get_status_display()),
             "asked_on": clock.date_of(r.need.created_at).isoformat(), "tutor": r.tutor or "",
             "tutor_since": r.started_on.isoformat() if r.started_on else None} for r in rows]


__all__ = [
    "OVERDUE_DAYS", "askable_initiatives", "NeedStatus", "ConsentBy", "MatchStatus", "EndReason", "RunStatus", "override_options", "draft_of",
    "rematch_affected", "need_scope", "run_scope", "match_scope", "checkin_scope", "match_visible", "respondent_of", "pupil_label", "tutor_label", "need_list",
    "need_get", "need_for_update", "run_list", "run_get", "run_for_update", "need_in_run", "compare", "compare_with_baseline", "match_list", "match_health",
    "match_get", "match_for_update", "checkin_target", "my_pupils", "my_tutoring", "review_state", "waiting_since", "city_overview",
    "tutoring_by_pupil",
]


def tutoring_by_pupil(user, pupil_ids) -> dict[int, list[TutoringNeed]]:
    """The open needs (waiting or matched) of the pupils of a batch that the user may see, oldest first,
    each with ``tutor_since`` (the start of its active match, None while it waits) and ``last_ended_on``
    (one query; no entry: the caller shows the pupils and records them)."""
    started = Match.objects.filter(need=OuterRef("pk"), status=Match.Status.ACTIVE).values("started_on")[:1]
    qs = (need_scope(user).filter(pupil_id__in=pupil_ids, status__in=[TutoringNeed.Status.WAITING, TutoringNeed.Status.MATCHED])
          .annotate(tutor_since=Subquery(started),
                    last_ended_on=Match.objects.filter(need=OuterRef("pk"), status=Match.Status.ENDED)
                    .order_by("-ended_on", "-pk").values("ended_on")[:1])
          .only("pk", "pupil_id", "status", "created_at").order_by("created_at", "pk"))
    out: dict[int, list[TutoringNeed]] = {}
    for need in qs:
        out.setdefault(need.pupil_id, []).append(need)
    return out
