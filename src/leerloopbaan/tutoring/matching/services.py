"""Tutoring use cases on the matching side: pupils' needs, matching runs, reviewing and publishing
proposals, ending matches (also for a tutor who leaves), check-ins.

Every write: one transaction, one audit entry naming the pupils concerned. Needs, matches and runs
change state through the workflow kernel (``NEED``, ``MATCH``, ``RUN`` below): needs and matches with
optimistic locking on ``version`` (the caller passes the version it loaded; otherwise ``Conflict``);
runs are locked (``select_for_update``) and their status checked, so a run is published once. A
change one use case makes to other objects (the needs and matches of a published run, the matches
of a tutor who left) is a kernel transition too, covered by that use case's one audit entry.

Who may do what:
- school staff and CLB workers: enter a need for a pupil in their scope, with consent; withdraw it;
- tutor coordinators (of the initiative; the admin for every initiative): run matching and
  simulations, accept / reject / override proposals, publish or discard a draft, end matches,
  re-match after a tutor left;
- the tutor, the pupil (their own account) and a teacher of the pupil's school: check-ins.

Run, match and need states (the declared tables below)::

    run:   draft -> published | discarded;   simulation (never published) -> discarded
    match: proposed (unreviewed) -> proposed (accepted: reviewed_at set) -> active -> ended
           proposed -> rejected (optionally "never again": a MatchExclusion)
    need:  waiting -> matched -> ended | waiting (tutor left, no click) ;  waiting | matched -> withdrawn

One matching for the city (docs/tutoring.md): every run is ONE solve over all active initiatives
(``matching.problem``). Who may run what:

- a tutor coordinator (or the admin) runs matching, a simulation or a re-match for one initiative:
  the solve is city-wide, but the run writes and shows only that initiative's draft (its proposals,
  and the pupils who asked it and got no tutor anywhere); the other initiatives' drafts and every
  active match stay as they are (their proposals hold their pupils and places);
- the admin or a programme manager runs the city run (``run_city``): one solve that replaces every
  initiative's draft at once, one draft per initiative, reviewed and published by its coordinators.
  A programme manager sees only how many proposals each initiative got, never a pupil.

Priority (1 highest .. 3) is recomputed at every run (``run_priorities``) from the latest EWS band
(high -> 1, medium -> 2; read through ``ews.selectors.bands_for_tutoring_priority``), the OKI (3 or
more indicators raise it by one) and the waiting time (every ``AGING_DAYS`` waited raise it by one,
up to 1); a draft stores it on the need for the coordinators (as a tier) and it is never shown to a
tutor. On top of the tiers the engine's waiting term gives a matched need ``WAITING_PER_WEEK`` (2)
points per week waited, at most ``WAITING_CAP`` (20) (``matching.problem``; ``tutoring.engine.Waiting``).

Published matches are mailed (after the commit): each tutor with a new pupil, and the staff of the
pupils' schools (how many of their pupils got a tutor; no names in mail), in the recipient's language,
Dutch when none is set.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import Membership, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.accounts.services import site_url
from leerloopbaan.ews import selectors as ews
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import District, Enrolment, Pupil, PupilCharacteristics
from leerloopbaan.registry.selectors import pupil_scope, schools_of
from leerloopbaan.tutoring.access import (
    coordinated_initiatives,
    is_active,
    is_admin,
    may_enter_needs,
    tutor_of,
)
from leerloopbaan.tutoring.matching import problem as matching
from leerloopbaan.tutoring.models import (
    CheckIn,
    Initiative,
    Language,
    Match,
    MatchExclusion,
    MatchRun,
    Mode,
    Subject,
    Tutor,
    TutoringNeed,
)

__all__ = [
    "MatchingError", "Conflict", "TransitionNotAllowed", "NeedsConfirmation", "NEED", "MATCH", "RUN", "PublishReport", "need_priority", "need_defaults", "need_create", "need_withdraw",
    "clean_weights", "run_create", "run_rematch", "match_accept", "proposals_accept_all", "match_reject", "match_override", "run_publish", "run_discard",
    "match_end", "matches_end_for_tutor", "checkin_create", "may_run", "DIAGNOSIS_WORDS", "may_run_city", "run_city", "run_priorities",
    "priority_of", "AGING_DAYS", "WAITING",
]

NeedStatus = TutoringNeed.Status
PRIORITY_BY_BAND = {ews.Band.HIGH: 1, ews.Band.MEDIUM: 2}
OKI_RAISES_AT = 3
AGING_DAYS = 56
"""Every 8 weeks a pupil waits raise their tier by one (low -> medium -> high): nobody stays last forever."""
WAITING = {"per_week": matching.WAITING_PER_WEEK, "cap": matching.WAITING_CAP}
"""The engine's waiting term (``matching.problem``): points per week waited on top of the 0..100 pair score, capped."""
# the need goes back to the pool when a match ends for these reasons; otherwise it ends
BACK_TO_WAITING = {Match.EndReason.TUTOR_LEFT, Match.EndReason.NO_CLICK}
# words that name a diagnosis: the description for the tutor must not carry one
DIAGNOSIS_WORDS = ("adhd", "autism", "autisme", "autistic", "autistisch", "asperger", "dyslexia", "dyslexie", "dyscalculia", "dyscalculie",
                   "dyspraxia", "dyspraxie", "diagnose", "diagnosis", "stoornis", "disorder", "depressie", "depression", "ptss", "ptsd",
                   "odd", "tos", "medicatie", "medication", "rilatine")


class MatchingError(Exception):
    """A tutoring action that cannot be done; the message is shown to the user."""


class Conflict(MatchingError, workflow.Conflict):
    pass


class TransitionNotAllowed(MatchingError, workflow.TransitionNotAllowed):
    pass


class NeedsConfirmation(MatchingError):
    """An override breaks hard rules of the engine: the coordinator must confirm it knowingly."""

    def __init__(self, message: str, warnings: list[str]):
        super().__init__(message)
        self.warnings = warnings


def _require(cond: bool):
    if not cond:
        raise PermissionDenied


def _conflict() -> Conflict:
    return Conflict(_("Someone else changed this in the meantime. Reload the page to see their change, then try again."))


def _audit(user, action: str, pupils: Iterable[str], what: str, **detail):
    audit_record(action=action, subject_type="pupil", subjects=list(dict.fromkeys(pupils)), actor=user, purpose="tutoring",
                 object_repr=what[:200], detail=detail or None)


def _full_clean(obj, exclude=None):
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        messages = [f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in exc.message_dict.items()]
        raise MatchingError(" ".join(messages)) from None


# --- the lifecycles -----------------------------------------------------------------------------------

CONFLICT = gettext_lazy("Someone else changed this in the meantime. Reload the page to see their change, then try again.")
RunStatus, MatchStatus = MatchRun.Status, Match.Status


def _entry(subjects: list[str], change: workflow.Change, what: str) -> dict:
    return {"action": "update", "subject_type": "pupil", "subjects": subjects, "actor": change.actor, "purpose": "tutoring",
            "object_repr": change.context.get("what", what)[:200], "detail": change.context.get("detail") or None}


def _may_match(user, obj=None) -> bool:
    return coordinated_initiatives(user).exists()


def _may_withdraw(user, need: TutoringNeed) -> bool:
    from leerloopbaan.tutoring.matching.selectors import need_scope

    return may_enter_needs(user) and need_scope(user).filter(pk=need.pk).exists()


NEED = workflow.Lifecycle(
    name="tutoring.need", model=TutoringNeed, noun=gettext_lazy("need"), states=NeedStatus.values, initial=[NeedStatus.WAITING],
    terminal=[NeedStatus.ENDED, NeedStatus.WITHDRAWN], conflict=Conflict, not_allowed=TransitionNotAllowed,
    conflict_message=CONFLICT, audit=lambda need, change: _entry([need.pupil.pupil_key], change, f"tutoring need {need.pk}"),
    transitions=[
        # made by the use cases of runs and matches (a published run, an ended match)
        workflow.Transition("match", (NeedStatus.WAITING,), NeedStatus.MATCHED, gettext_lazy("Matched"), _may_match),
        workflow.Transition("end", (NeedStatus.MATCHED,), NeedStatus.ENDED, gettext_lazy("Ended"), _may_match),
        workflow.Transition("wait_again", (NeedStatus.MATCHED,), NeedStatus.WAITING, gettext_lazy("Waiting again"), _may_match),
        workflow.Transition("withdraw", (NeedStatus.WAITING, NeedStatus.MATCHED), NeedStatus.WITHDRAWN, gettext_lazy("Withdraw"),
                            _may_withdraw, refused=gettext_lazy("This need is closed already.")),
    ],
)


def _runs_it(user, run: MatchRun) -> bool:
    return run.initiative_id is not None and may_run(user, run.initiative)


def _reviews(user, match: Match) -> bool:
    return match.run_id is not None and _runs_it(user, match.run)


def _ends(user, match: Match) -> bool:
    return coordinated_initiatives(user).filter(pk=match.tutor.initiative_id).exists()


_NOT_A_PROPOSAL = gettext_lazy("This proposal was rejected already.")

MATCH = workflow.Lifecycle(
    name="tutoring.match", model=Match, noun=gettext_lazy("match"), states=MatchStatus.values, initial=[MatchStatus.PROPOSED],
    terminal=[MatchStatus.REJECTED, MatchStatus.ENDED], conflict=Conflict, not_allowed=TransitionNotAllowed, conflict_message=CONFLICT,
    audit=lambda m, change: _entry([m.need.pupil.pupil_key], change, f"match {m.pk}"),
    transitions=[
        workflow.Transition("accept", (MatchStatus.PROPOSED,), None, gettext_lazy("Accept"), _reviews, refused=_NOT_A_PROPOSAL),
        workflow.Transition("reject", (MatchStatus.PROPOSED,), MatchStatus.REJECTED, gettext_lazy("Reject"), _reviews,
                            refused=_NOT_A_PROPOSAL),
        workflow.Transition("activate", (MatchStatus.PROPOSED,), MatchStatus.ACTIVE, gettext_lazy("Publish"), _reviews),
        workflow.Transition("end", (MatchStatus.ACTIVE,), MatchStatus.ENDED, gettext_lazy("End the match"), _ends,
                            refused=gettext_lazy("This match is not active.")),
    ],
)


def _run_refused(state: str) -> str:
    if state == RunStatus.SIMULATION:
        return _("A simulation cannot be changed or published. Run matching to make a draft.")
    return _("This run was published or discarded already; nothing was changed.")


def _run_entry(run: MatchRun, change: workflow.Change) -> dict:
    if change.action == "discard":
        return {"action": "update", "subject_type": "matching run", "subjects": [], "actor": change.actor, "purpose": "tutoring",
                "object_repr": f"run {run.pk}: discarded"}
    return _entry(change.context.get("subjects", []), change, f"run {run.pk}: {change.target}")


RUN = workflow.Lifecycle(
    name="tutoring.run", model=MatchRun, noun=gettext_lazy("run"), states=RunStatus.values,
    initial=[RunStatus.DRAFT, RunStatus.SIMULATION], terminal=[RunStatus.PUBLISHED, RunStatus.DISCARDED], version_field=None,
    conflict=Conflict, not_allowed=TransitionNotAllowed, conflict_message=CONFLICT, audit=_run_entry,
    transitions=[
        workflow.Transition("publish", (RunStatus.DRAFT,), RunStatus.PUBLISHED, gettext_lazy("Publish"), _runs_it, refused=_run_refused),
        workflow.Transition("discard", (RunStatus.DRAFT, RunStatus.SIMULATION), RunStatus.DISCARDED, gettext_lazy("Discard"), _runs_it,
                            refused=gettext_lazy("This run was published or discarded already; nothing was changed.")),
    ],
)


def _system(lifecycle: workflow.Lifecycle, obj, action: str, user, **kwargs):
    """A change one use case makes to another object: its own guard already passed, its one audit entry covers this."""
    return workflow.transition(lifecycle, obj, action, actor=user, version=None, guard=False, audit=False, **kwargs)


def _oki(characteristics: PupilCharacteristics) -> int:
    value = characteristics.oki
    return int(value() if callable(value) else value)


# --- needs ------------------------------------------------------------------------------------------

def priority_of(band: str | None, oki: int, waiting_days: int = 0) -> int:
    """The tier: 1 at EWS band high, 2 at medium, else 3; one higher at OKI >= 3; one higher per ``AGING_DAYS``
    waited; never above 1."""
    priority = PRIORITY_BY_BAND.get(band, 3)
    if oki >= OKI_RAISES_AT:
        priority -= 1
    priority -= max(0, int(waiting_days)) // AGING_DAYS
    return max(1, priority)


def _okis(pupil_ids: Iterable[int]) -> dict[int, int]:
    """Pupil id -> OKI of their latest characteristics."""
    ids = sorted(set(pupil_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 2000):
        for chars in PupilCharacteristics.objects.filter(pupil_id__in=ids[start:start + 2000]).order_by("pupil_id", "-as_of", "-pk"):
            out.setdefault(chars.pupil_id, _oki(chars))
    return out


def need_priority(pupil: Pupil, *, user=None, waiting_days: int = 0) -> int:
    """The tier of a pupil's need now (see ``priority_of``); the band is read for ``user``."""
    band = ews.bands_for_tutoring_priority(user=user, pupil_ids=[pupil.pk]).get(pupil.pk)
    return priority_of(band, _okis([pupil.pk]).get(pupil.pk, 0), waiting_days)


def run_priorities(user, problem: matching.Problem, *, store: bool) -> dict[int, int]:
    """The tier of every need of a run, recomputed now from the latest EWS band, the OKI and the days waited
    (never the tier stored when the need was entered); ``store``: save changed tiers on the needs (a draft
    does, a simulation changes nothing). Sets ``problem.priority``."""
    pupils = {n.pupil_id for n in problem.needs.values()}
    bands = ews.bands_for_tutoring_priority(user=user, pupil_ids=pupils)
    okis = _okis(pupils)
    out = {pk: priority_of(bands.get(n.pupil_id), okis.get(n.pupil_id, 0), problem.waiting_days.get(pk, 0))
           for pk, n in problem.needs.items()}
    if store:
        changed = [n for pk, n in problem.needs.items() if n.priority != out[pk]]
        for n in changed:
            n.priority = out[n.pk]
        TutoringNeed.objects.bulk_update(changed, ["priority"], batch_size=1000)
    problem.priority = out
    return out


def current_enrolment(user, pupil: Pupil, today: datetime.date | None = None) -> Enrolment | None:
    """The pupil's enrolment today in one of the user's schools."""
    today = today or clock.today()
    return (Enrolment.objects.filter(pupil=pupil, school__in=schools_of(user), start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).select_related("school").order_by("-start_date", "-pk").first())


def need_defaults(*, user, pupil: Pupil) -> dict:
    """Form defaults from the pupil's enrolment today: school, level (from the grade), district (the school's)."""
    enrolment = current_enrolment(user, pupil)
    if enrolment is None:
        return {}
    level = matching.level_of_grade(enrolment.grade)
    return {"school": enrolment.school, "level": level, "district": enrolment.school.district if enrolment.school.district != District.OUTSIDE
            else ""}


def _check_description(text: str) -> str:
    text = (text or "").strip()
    words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
    found = [w for w in DIAGNOSIS_WORDS if w in words]
    if found:
        raise MatchingError(_("Leave diagnoses and medical information out of the description for the tutor (found: %(words)s). "
                              "Describe what the pupil needs help with.") % {"words": ", ".join(found)})
    return text


def _choices(values, allowed, what: str) -> list[str]:
    out = []
    for v in values or ():
        if v not in allowed:
            raise MatchingError(_("Unknown %(what)s: %(value)s.") % {"what": what, "value": v})
        if v not in out:
            out.append(v)
    return out


def _slots(values) -> list[int]:
    out = set()
    for v in values or ():
        try:
            s = int(v)
        except (TypeError, ValueError):
            raise MatchingError(_("Unknown moment in the week: %(value)s.") % {"value": v}) from None
        if not 0 <= s <= 20:
            raise MatchingError(_("Unknown moment in the week: %(value)s.") % {"value": v})
        out.add(s)
    return sorted(out)


@transaction.atomic
def need_create(*, user, pupil: Pupil, subject: str, consent_by: str, consent_on: datetime.date | None, level: int | None = None,
                language_support: bool = False, languages: Iterable[str] = (), home_language: str = "", slots: Iterable[int] = (),
                modes: Iterable[str] = (), district: str = "", description: str = "", initiatives: Iterable[Initiative] = ()
                ) -> TutoringNeed:
    """Enter a pupil's tutoring need (school staff or CLB, a pupil enrolled today in one of their schools, with consent)
    and ask one or more active ``initiatives``: only their coordinators see the pupil and only their runs match it."""
    _require(may_enter_needs(user) and pupil_scope(user).filter(pk=pupil.pk).exists())
    enrolment = current_enrolment(user, pupil)
    if enrolment is None:
        raise MatchingError(_("This pupil is not enrolled in one of your schools today, so you cannot ask a tutor for them."))
    if consent_by not in TutoringNeed.ConsentBy.values:
        raise MatchingError(_("Say who gave consent for tutoring: the pupil or a parent."))
    if not isinstance(consent_on, datetime.date):
        raise MatchingError(_("Give the date on which consent was given."))
    if consent_on > clock.today():
        raise MatchingError(_("The date of consent cannot be in the future."))
    if subject not in Subject.values:
        raise MatchingError(_("Choose a subject."))
    if level in (None, ""):
        level = matching.level_of_grade(enrolment.grade)
        if level is None:
            raise MatchingError(_("Choose the pupil's level (their grade gives none)."))
    level = int(level)
    if not 1 <= level <= 12:
        raise MatchingError(_("The level must be between P1 and S6."))
    langs = _choices(languages, Language.values, _("language")) or [Language.NL.value]
    if home_language and home_language not in Language.values:
        raise MatchingError(_("Unknown home language: %(value)s.") % {"value": home_language})
    slot_list = _slots(slots)
    if not slot_list:
        raise MatchingError(_("Tick at least one moment in the week when the pupil can be tutored."))
    mode_list = _choices(modes, Mode.values, _("mode"))
    if not mode_list:
        raise MatchingError(_("Choose online, face to face or both."))
    district = district or (enrolment.school.district if enrolment.school.district != District.OUTSIDE else "")
    if district and district not in District.values:
        raise MatchingError(_("Unknown district: %(value)s.") % {"value": district})
    asked = sorted({i.pk for i in initiatives or ()})
    if not asked:
        raise MatchingError(_("Choose at least one tutoring initiative to ask."))
    if Initiative.objects.filter(pk__in=asked, active=True).count() != len(asked):
        raise MatchingError(_("Ask only initiatives that are active."))
    if TutoringNeed.objects.filter(pupil=pupil, subject=subject, status__in=[NeedStatus.WAITING, NeedStatus.MATCHED]).exists():
        raise MatchingError(_("This pupil already has an open need for this subject. Withdraw it first to enter a new one."))
    need = TutoringNeed(pupil=pupil, school=enrolment.school, created_by=user, subject=subject, level=level,
                        age_group=matching.age_group_of(level), language_support=bool(language_support), languages=langs,
                        home_language=home_language or "", slots=slot_list, modes=mode_list, district=district,
                        description=_check_description(description), priority=need_priority(pupil, user=user), consent_by=consent_by,
                        consent_on=consent_on)
    _full_clean(need)
    need.save()
    need.initiatives.set(asked)
    _audit(user, "create", [pupil.pupil_key], f"tutoring need {need.pk}", need=need.pk, subject=subject, initiatives=asked)
    return need


@transaction.atomic
def need_withdraw(*, user, need: TutoringNeed, version: int) -> TutoringNeed:
    """The school withdraws a need: waiting or matched (its active match ends: the pupil stopped)."""

    def end_matches(obj: TutoringNeed, change):
        today = clock.today()
        for m in Match.objects.filter(need=obj, status=Match.Status.ACTIVE):
            _end(user, m, reason=Match.EndReason.PUPIL_STOPPED, note=_("withdrawn by the school"), today=today)

    return workflow.transition(NEED, need, "withdraw", actor=user, version=version, values={"closed_at": timezone.now()},
                               apply=end_matches, context={"what": f"tutoring need {need.pk}: withdrawn", "detail": {"need": need.pk}})


# --- runs ----------------------------------------------------------------------------------------------

def may_run(user, initiative: Initiative) -> bool:
    return coordinated_initiatives(user).filter(pk=initiative.pk).exists()


def clean_weights(weights: dict | None, initiative: Initiative | None = None) -> dict[str, int]:
    """The weights of a run: the initiative's, with the ones given; integers 0..100, not all zero."""
    out = matching.weights_of(initiative)
    for key, value in (weights or {}).items():
        if key not in out:
            raise MatchingError(_("Unknown criterion: %(name)s.") % {"name": key})
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise MatchingError(_("The weight of %(name)s must be a whole number.") % {"name": key}) from None
        if not 0 <= value <= 100:
            raise MatchingError(_("The weight of %(name)s must be between 0 and 100.") % {"name": key})
        out[key] = value
    if sum(out.values()) <= 0:
        raise MatchingError(_("Give at least one criterion a weight above 0."))
    return out


def _json(value):
    """The engine's details as JSON (sets and tuples as sorted lists)."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_json(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _max_points(weights: dict[str, int]) -> dict[str, int]:
    return matching.engine().Weights(**weights).max_points()


def _current_draft(initiative: Initiative) -> MatchRun | None:
    return MatchRun.objects.select_for_update().filter(initiative=initiative, status=MatchRun.Status.DRAFT).order_by("-created_at",
                                                                                                                      "-pk").first()


@dataclasses.dataclass
class Carried:
    """What a replaced draft hands on: its fixed (overridden) pairs still to be decided, the reviews of its
    accepted proposals (kept when the new run proposes the same pair), and its rejected pairs (never again
    in the next run)."""

    fixed: dict[tuple[int, int], Match] = dataclasses.field(default_factory=dict)
    accepted: dict[tuple[int, int], Match] = dataclasses.field(default_factory=dict)
    rejected: list[tuple[int, int]] = dataclasses.field(default_factory=list)

    def add(self, draft: MatchRun | None) -> Carried:
        if draft is None:
            return self
        for m in draft.matches.filter(status=Match.Status.PROPOSED).select_related("reviewed_by").order_by("pk"):
            if m.fixed:
                if all(n != m.need_id for n, _t in self.fixed):  # one fixed pair per need
                    self.fixed[(m.need_id, m.tutor_id)] = m
            elif m.reviewed_at is not None:
                self.accepted[(m.need_id, m.tutor_id)] = m
        self.rejected += list(draft.matches.filter(status=Match.Status.REJECTED).values_list("need_id", "tutor_id"))
        return self


def _carried(draft: MatchRun | None) -> tuple[dict[tuple[int, int], Match], list[tuple[int, int]]]:
    """From a draft: its fixed (overridden) pairs still to be decided, and its rejected pairs."""
    c = Carried().add(draft)
    return c.fixed, c.rejected


@dataclasses.dataclass
class Part:
    """One initiative's part of a city-wide result: what its draft stores and shows."""

    assignments: list            # the engine's assignments with a tutor of the initiative (kept ones included)
    unmatched: list              # the needs that asked it (or lost its tutor) and got no tutor anywhere
    considered: set[int]         # the needs of this part: proposed, kept, or asked it
    elsewhere: int               # needs that asked it and got (or hold) a tutor of another initiative


def _part(result, problem: matching.Problem, initiative_id: int) -> Part:
    tutor_init = {t.pk: t.initiative_id for t in problem.tutors.values()}
    mine = {n for n, asked in problem.asked.items() if initiative_id in asked}
    mine |= {n for n, t in problem.current.items() if tutor_init.get(t) == initiative_id}
    own, other = [], set()
    for a in result.assignments:
        need_id, tutor_id = matching.assignment_ids(a)
        if tutor_init.get(tutor_id) == initiative_id:
            own.append(a)
        else:
            other.add(need_id)
    unmatched = [u for u in result.unmatched if matching.unmatched_id(u) in mine]
    held = TutoringNeed.initiatives.through.objects.filter(initiative_id=initiative_id, tutoringneed_id__in=list(problem.held_needs)).count()
    considered = mine | {matching.assignment_ids(a)[0] for a in own}
    return Part(assignments=own, unmatched=unmatched, considered=considered, elsewhere=len(mine & other) + held)


def _objective(part: Part, result) -> dict:
    """The figures of the initiative's part (what its run pages show), with the city-wide solve's under "city"."""
    by_tier: dict[int, int] = {t: 0 for t in (1, 2, 3)}
    for a in part.assignments:
        tier = int(a.details.get("priority", 3))
        by_tier[tier] = by_tier.get(tier, 0) + 1
    city = result.objective
    return {"matched": len(part.assignments), "matched_by_priority": by_tier, "quality": sum(int(a.score) for a in part.assignments),
            "waiting": sum(int(a.details.get("waiting_points", 0)) for a in part.assignments),
            "city": {k: city.get(k) for k in ("matched", "matched_by_priority", "quality", "waiting", "balance", "value", "lexicographic")}}


def _store(run: MatchRun, part: Part, problem: matching.Problem, *, carried: Carried) -> list[str]:
    """Proposals of the initiative's part as Match rows (kept pairs of a re-match are the active matches: not
    stored again). A pair fixed or accepted in the replaced draft keeps its review."""
    rows, kept = [], 0
    active_needs = set(Match.objects.filter(need_id__in=list(problem.needs), status=Match.Status.ACTIVE).values_list("need_id", flat=True))
    for a in part.assignments:
        need_id, tutor_id = matching.assignment_ids(a)
        if need_id in active_needs:
            kept += 1
            continue
        earlier = carried.fixed.get((need_id, tutor_id))
        reviewed = earlier or carried.accepted.get((need_id, tutor_id))
        rows.append(Match(
            run=run, need_id=need_id, tutor_id=tutor_id, status=Match.Status.PROPOSED, mode=a.mode, score=int(a.score),
            explanation=_json({"criteria": a.criteria, "details": a.details, "violations": getattr(a, "violations", []), "kept": a.kept,
                               "fixed": a.fixed}),
            fixed=bool(a.fixed or earlier), override_reason=earlier.override_reason if earlier else "",
            reviewed_by=reviewed.reviewed_by if reviewed else None, reviewed_at=reviewed.reviewed_at if reviewed else None))
    Match.objects.bulk_create(rows)
    run.stats = {**run.stats, "kept": kept}
    run.save(update_fields=["stats"])
    return [problem.needs[m.need_id].pupil.pupil_key for m in rows if m.need_id in problem.needs]


def _save_run(*, user, initiative, status, weights, problem, result, mode, carried: Carried, replaced=None, city=None) -> MatchRun:
    part = _part(result, problem, initiative.pk)
    unmatched = [{"need": matching.unmatched_id(u), "reason": u.reason, "detail": _json(u.detail)} for u in part.unmatched]
    stats = {"mode": mode, "needs": len(part.considered), "tutors": sum(1 for t in problem.tutors.values() if t.initiative_id == initiative.pk),
             "max_points": _max_points(weights), "elsewhere": part.elsewhere,
             "warnings": [str(w) for w in result.warnings if _own_warning(str(w), initiative.pk, part, problem)],
             "engine": _json({**result.stats, "affected": [n for n in result.stats.get("affected", []) if n in part.considered]}),
             "replaced": replaced, "city": city,
             "city_wide": {"needs": len(problem.needs), "tutors": len(problem.tutors), "initiatives": len(problem.initiatives)}}
    run = MatchRun.objects.create(initiative=initiative, created_by=user, status=status, weights=weights, objective=_json(_objective(part, result)),
                                  stats=stats, unmatched=unmatched)
    keys = _store(run, part, problem, carried=carried)
    _audit(user, "create", keys, f"matching run {run.pk} ({status}, {mode})", run=run.pk, proposals=len(keys), unmatched=len(unmatched))
    return run


def _own_warning(warning: str, initiative_id: int, part: Part, problem: matching.Problem) -> bool:
    """An engine note this initiative's run may show: one that names only its needs, tutors and itself."""
    own = {t.pk for t in problem.tutors.values() if t.initiative_id == initiative_id}
    needs = {int(x) for x in re.findall(r"need (\d+)", warning)}
    tutors = {int(x) for x in re.findall(r"tutor (\d+)", warning)}
    initiatives = {int(x) for x in re.findall(r"initiative (\d+)", warning)}
    return needs <= part.considered and tutors <= own and initiatives <= {initiative_id}


def _solve(problem: matching.Problem, *, rematch: bool = False):
    try:
        return matching.run_engine(problem, rematch=rematch)
    except ValueError as exc:  # the engine refuses inconsistent data, naming the need or tutor
        raise MatchingError(_("The matching could not run: %(error)s") % {"error": exc}) from None


def _load_pupils(problem: matching.Problem):
    pupils = {p.pk: p for p in Pupil.objects.filter(pk__in={n.pupil_id for n in problem.needs.values()}).only("pk", "pupil_key")}
    for n in problem.needs.values():
        n.pupil = pupils[n.pupil_id]


def _open_run(user, initiative: Initiative) -> Initiative:
    _require(may_run(user, initiative))
    # the solve reads every initiative's draft: lock every active initiative, in pk order (as run_city does),
    # so two coordinators running at once solve one after the other and never propose the same pupil twice
    list(Initiative.objects.select_for_update().filter(active=True).order_by("pk").values_list("pk", flat=True))
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if not initiative.active:
        raise MatchingError(_("This initiative is not active."))
    return initiative


@transaction.atomic
def run_create(*, user, initiative: Initiative, weights: dict | None = None, simulation: bool = False) -> MatchRun:
    """Run matching for one initiative: one city-wide solve (every waiting need, every active initiative's
    tutors, weights, rules and capacity; the other drafts' proposals held), stored as this initiative's
    draft: its proposals, and the pupils who asked it and got no tutor anywhere.

    A draft replaces the initiative's current draft (discarded): its overridden (fixed) pairs carry
    into the new run, its accepted pairs keep their review when proposed again, and its rejected pairs
    are not proposed again. A simulation changes nothing: it is stored as status "simulation", compared
    with the current draft or the published state."""
    initiative = _open_run(user, initiative)
    w = clean_weights(weights, initiative)
    draft = _current_draft(initiative)
    carried = Carried().add(draft)
    problem = matching.build_problem(initiative, weights=w, fixed=list(carried.fixed), never=carried.rejected)
    _load_pupils(problem)
    run_priorities(user, problem, store=not simulation)
    result = _solve(problem)
    replaced = None
    if not simulation and draft is not None:
        workflow.transition(RUN, draft, "discard", actor=user, version=None, audit=False)  # replaced: this run's entry says so
        replaced = draft.pk
    return _save_run(user=user, initiative=initiative, status=MatchRun.Status.SIMULATION if simulation else MatchRun.Status.DRAFT,
                     weights=w, problem=problem, result=result, mode="match", carried=carried, replaced=replaced)


@transaction.atomic
def run_rematch(*, user, initiative: Initiative, weights: dict | None = None) -> MatchRun:
    """After tutors left: a draft that keeps every unaffected active match of the initiative (continuity)
    and proposes tutors only for the pupils who lost theirs (and the other waiting needs). The kept
    matches take their places once, so an initiative at its capacity still proposes for the places freed."""
    initiative = _open_run(user, initiative)
    w = clean_weights(weights, initiative)
    draft = _current_draft(initiative)
    problem = matching.build_rematch_problem(initiative, weights=w)
    _load_pupils(problem)
    run_priorities(user, problem, store=True)
    result = _solve(problem, rematch=True)
    replaced = None
    if draft is not None:
        workflow.transition(RUN, draft, "discard", actor=user, version=None, audit=False)  # replaced: this run's entry says so
        replaced = draft.pk
    return _save_run(user=user, initiative=initiative, status=MatchRun.Status.DRAFT, weights=w, problem=problem, result=result,
                     mode="rematch", carried=Carried(), replaced=replaced)


def may_run_city(user) -> bool:
    """The city run (every initiative's draft at once): the admin and the programme managers."""
    return is_admin(user) or (is_active(user) and user.role == Role.PROGRAMME_MANAGER)


@dataclasses.dataclass
class CityRun:
    runs: list[MatchRun]
    needs: int                   # waiting needs in the solve
    matched: int                 # of which got a proposal


@transaction.atomic
def run_city(*, user) -> CityRun:
    """One matching for the city: one solve over every active initiative, stored as one draft per initiative
    (replacing its current draft, whose fixed pairs, reviews and rejections carry over). Each initiative's
    coordinators review and publish their draft. For the admin and programme managers."""
    _require(may_run_city(user))
    initiatives = list(Initiative.objects.select_for_update().filter(active=True).order_by("pk"))
    if not initiatives:
        raise MatchingError(_("There is no active tutoring initiative."))
    drafts = {i.pk: _current_draft(i) for i in initiatives}
    carried = Carried()
    for d in drafts.values():
        carried.add(d)
    problem = matching.build_problem(None, weights=matching.weights_of(None), fixed=list(carried.fixed), never=carried.rejected)
    _load_pupils(problem)
    run_priorities(user, problem, store=True)
    result = _solve(problem)
    token = f"{clock.now().isoformat()}:{user.pk}"
    runs = []
    for initiative in initiatives:
        draft = drafts[initiative.pk]
        if draft is not None:  # replaced: this run's entry says so (the city run's own guard passed)
            _system(RUN, draft, "discard", user)
        runs.append(_save_run(user=user, initiative=initiative, status=MatchRun.Status.DRAFT, weights=matching.weights_of(initiative),
                              problem=problem, result=result, mode="match", carried=carried,
                              replaced=draft.pk if draft is not None else None, city=token))
    return CityRun(runs=runs, needs=len(problem.needs), matched=len(result.assignments))


def _lock_draft(user, run: MatchRun) -> MatchRun:
    """The draft run, locked; only its initiative's coordinators change it, and only while it is a draft."""
    run = MatchRun.objects.select_for_update(of=("self",)).select_related("initiative").get(pk=run.pk)
    _require(_runs_it(user, run))
    if run.status != MatchRun.Status.DRAFT:
        raise MatchingError(_run_refused(run.status))
    return run


def _proposal(user, match: Match) -> MatchRun:
    if match.run_id is None:
        raise MatchingError(_("This match is not a proposal of a run."))
    return _lock_draft(user, match.run)


@transaction.atomic
def match_accept(*, user, match: Match, version: int) -> Match:
    """Accept a proposal of a draft: it becomes an active match when the run is published."""
    _proposal(user, match)
    return workflow.transition(MATCH, match, "accept", actor=user, version=version,
                               values={"reviewed_by": user, "reviewed_at": timezone.now()},
                               context={"what": f"proposal {match.pk}: accepted", "detail": {"match": match.pk}})


@transaction.atomic
def proposals_accept_all(*, user, run: MatchRun) -> int:
    """Accept every proposal of a draft that is not reviewed yet; returns how many."""
    run = _lock_draft(user, run)
    qs = run.matches.filter(status=Match.Status.PROPOSED, reviewed_at__isnull=True)
    keys = list(qs.values_list("need__pupil__pupil_key", flat=True))
    n = qs.update(reviewed_by=user, reviewed_at=timezone.now(), version=F("version") + 1)
    _audit(user, "update", keys, f"run {run.pk}: {n} proposals accepted", run=run.pk)
    return n


@transaction.atomic
def match_reject(*, user, match: Match, version: int, never_again: bool = False, reason: str = "") -> Match:
    """Reject a proposal; "never again" also records that this tutor is never proposed for this pupil (a reason is required)."""
    _proposal(user, match)
    reason = (reason or "").strip()

    def values(current: Match) -> dict:
        if never_again and not reason:
            raise MatchingError(_("Give a reason for \"never again\"."))
        return {"reviewed_by": user, "reviewed_at": timezone.now(), "end_note": reason[:500]}

    def exclude(m: Match, change):
        if never_again:
            MatchExclusion.objects.get_or_create(pupil_id=m.need.pupil_id, tutor_id=m.tutor_id,
                                                 defaults={"reason": reason[:500], "created_by": user})

    return workflow.transition(MATCH, match, "reject", actor=user, version=version, values=values, apply=exclude,
                               context={"what": f"proposal {match.pk}: rejected", "detail": {"match": match.pk, "never_again": never_again}})


def _used_places(run: MatchRun, tutor: Tutor) -> int:
    accepted = run.matches.filter(tutor=tutor, status=Match.Status.PROPOSED).count()
    return accepted + Match.objects.filter(tutor=tutor, status=Match.Status.ACTIVE).count()


@transaction.atomic
def match_override(*, user, run: MatchRun, need: TutoringNeed, tutor: Tutor, reason: str, confirm: bool = False) -> Match:
    """The coordinator chooses another tutor for a need of a draft (with a reason). The pair is fixed:
    accepted now and carried into the next run of the initiative. If it breaks the engine's hard rules
    (or the tutor has no place left) ``NeedsConfirmation`` lists them until ``confirm`` is given; a
    "never again" pair is refused."""
    run = _lock_draft(user, run)
    reason = (reason or "").strip()
    if not reason:
        raise MatchingError(_("Give a reason for choosing another tutor."))
    need = TutoringNeed.objects.select_for_update(of=("self",)).select_related("pupil", "school").get(pk=need.pk)
    if need.status != NeedStatus.WAITING:
        raise MatchingError(_("This pupil is not waiting for a tutor any more."))
    in_run = run.matches.filter(need=need).exists() or any(u.get("need") == need.pk for u in run.unmatched or [])
    if not in_run:
        raise MatchingError(_("This need is not part of this run."))
    if Match.objects.filter(need=need, status=Match.Status.PROPOSED, run__status=MatchRun.Status.DRAFT).exclude(run=run).exists():
        raise MatchingError(_("Another initiative's draft proposes a tutor for this pupil: a pupil gets one proposal at a time."))
    tutor = Tutor.objects.filter(pk=tutor.pk, initiative_id=run.initiative_id, status=Tutor.Status.ACTIVE).first()
    if tutor is None:
        raise MatchingError(_("Choose an active tutor of this initiative."))
    if MatchExclusion.objects.filter(pupil_id=need.pupil_id, tutor=tutor).exists():
        raise MatchingError(_("This tutor must never be matched with this pupil again (\"never again\")."))
    warnings = matching.explain_pair(need, tutor)
    if _used_places(run, tutor) - run.matches.filter(need=need, tutor=tutor, status=Match.Status.PROPOSED).count() >= tutor.capacity:
        warnings.append("capacity")
    if warnings and not confirm:
        raise NeedsConfirmation(_("This tutor breaks rules of the matching. Check them and confirm if you still want this pair."), warnings)
    now = timezone.now()
    for other in run.matches.filter(need=need, status=Match.Status.PROPOSED):
        _system(MATCH, other, "reject", user, values={"reviewed_by": user, "reviewed_at": now, "end_note": _("another tutor was chosen")})
    assignment = matching.score_pair(need, tutor, weights=run.weights or matching.weights_of(run.initiative))
    if assignment is not None:
        mode, score, explanation = assignment.mode, int(assignment.score), {"criteria": assignment.criteria, "details": assignment.details}
    else:
        common = set(need.modes or Mode.values) & set(tutor.modes or Mode.values)
        mode, score, explanation = (Mode.ONLINE if Mode.ONLINE in common or not common else Mode.OFFLINE), 0, {"criteria": {}, "details": {}}
    match = Match.objects.create(run=run, need=need, tutor=tutor, status=Match.Status.PROPOSED, mode=mode, score=score,
                                 explanation=_json({**explanation, "override": True, "violations": warnings}), fixed=True,
                                 override_reason=reason[:500], reviewed_by=user, reviewed_at=now)
    run.unmatched = [u for u in run.unmatched or [] if u.get("need") != need.pk]
    run.save(update_fields=["unmatched"])
    _audit(user, "update", [need.pupil.pupil_key], f"run {run.pk}: override for need {need.pk}", match=match.pk, warnings=warnings)
    return match


@dataclasses.dataclass
class PublishReport:
    activated: list[Match]
    skipped: list[tuple[Match, str]]
    unreviewed: list[Match]


def _language(user) -> str:
    return (getattr(user, "language", "") or settings.LANGUAGE_CODE) if user is not None else settings.LANGUAGE_CODE


def _notify_matched(activated: list[Match], base_url: str = "") -> None:
    """After the commit: mail each tutor with a new pupil (the subject, no name: their page shows the pupil),
    and the staff of each pupil's school and whoever entered the need while still at the school or its CLB (how many of the school's pupils got a
    tutor, no names). In the recipient's language, Dutch when they set none."""
    if not activated:
        return
    site = site_url(base_url)
    per_tutor: dict[int, list[Match]] = {}
    per_school: dict[int, list[Match]] = {}
    for m in activated:
        per_tutor.setdefault(m.tutor_id, []).append(m)
        per_school.setdefault(m.need.school_id, []).append(m)
    mails: list[tuple[str, str, str]] = []
    for matches in per_tutor.values():
        tutor = matches[0].tutor
        if not tutor.email:
            continue
        with translation.override(_language(tutor.user)):
            subjects = ", ".join(sorted({str(m.need.get_subject_display()) for m in matches}))
            mails.append((tutor.email, _("You have a new pupil to tutor"),
                          _("Hello %(first_name)s,\n\nYour coordinator matched you with %(n)d pupil(s) for: %(subjects)s. "
                            "See who they are, when and how you meet, on your pupils page:\n%(url)s") % {
                              "first_name": tutor.first_name, "n": len(matches), "subjects": subjects,
                              "url": site + reverse("tutoring:my_pupils")}))
    staff = Membership.objects.active().filter(school_id__in=list(per_school), user__is_active=True, user__role=Role.SCHOOL_STAFF)
    recipients: dict[int, set[int]] = {sid: set() for sid in per_school}
    for school_id, user_id in staff.values_list("school_id", "user_id"):
        recipients[school_id].add(user_id)
    # whoever entered a need, while they are still at the school or its CLB (one who moved on is told nothing)
    creators = {m.need.created_by_id for ms in per_school.values() for m in ms if m.need.created_by_id}
    clb_of = {sid: ms[0].need.school.clb_id for sid, ms in per_school.items()}
    still = Membership.objects.active().filter(user_id__in=creators).values_list("user_id", "school_id", "clb_id")
    for sid, matches in per_school.items():
        at_school = {uid for uid, school_id, clb_id in still if school_id == sid or (clb_id is not None and clb_id == clb_of[sid])}
        recipients[sid] |= {m.need.created_by_id for m in matches if m.need.created_by_id in at_school}
    users = {u.pk: u for u in User.objects.filter(pk__in={u for us in recipients.values() for u in us}, is_active=True)}
    for sid, matches in per_school.items():
        school = matches[0].need.school
        for uid in sorted(recipients[sid]):
            u = users.get(uid)
            if u is None or not u.email:
                continue
            with translation.override(_language(u)):
                mails.append((u.email, _("Pupils of %(school)s got a tutor") % {"school": school.name},
                              _("%(n)d pupil(s) of %(school)s got a tutor today. See the needs and their tutors:\n%(url)s") % {
                                  "n": len(matches), "school": school.name, "url": site + reverse("tutoring:need_list") + "?status=matched"}))

    def send():
        for to, subject, body in mails:
            send_mail(subject, body, None, [to], fail_silently=True)

    transaction.on_commit(send)


@transaction.atomic
def run_publish(*, user, run: MatchRun, base_url: str = "") -> PublishReport:
    """Accepted proposals become active matches (started today; needs matched). Unreviewed proposals
    are left out; a need matched meanwhile (by another initiative), a tutor no longer active or full,
    or the initiative at capacity: skipped, each with its reason. The matched tutors and the pupils'
    schools get a mail after the commit."""
    run = _lock_draft(user, run)
    report = PublishReport([], [], [])

    def activate(run: MatchRun, change):
        today = clock.today()
        initiative_left = matching.initiative_remaining(run.initiative)
        proposals = list(run.matches.select_for_update(of=("self",)).filter(status=Match.Status.PROPOSED)
                         .select_related("need", "need__pupil", "need__school", "tutor", "tutor__user")
                         .order_by("need__priority", "-fixed", "-score", "pk"))
        for m in proposals:
            if m.reviewed_at is None:
                report.unreviewed.append(m)
                continue
            need = TutoringNeed.objects.select_for_update().get(pk=m.need_id)
            tutor = Tutor.objects.select_for_update().get(pk=m.tutor_id)
            if need.status != NeedStatus.WAITING or Match.objects.filter(need=need, status=Match.Status.ACTIVE).exists():
                other = Match.objects.filter(need=need, status=Match.Status.ACTIVE).exclude(tutor__initiative_id=run.initiative_id).exists()
                report.skipped.append((m, _("matched meanwhile by another initiative") if other else _("no longer waiting for a tutor")))
                continue
            if tutor.status != Tutor.Status.ACTIVE:
                report.skipped.append((m, _("the tutor is no longer active")))
                continue
            if Match.objects.filter(tutor=tutor, status=Match.Status.ACTIVE).count() >= tutor.capacity:
                report.skipped.append((m, _("the tutor has no place left")))
                continue
            if initiative_left is not None and initiative_left <= 0:
                report.skipped.append((m, _("the initiative has reached its capacity")))
                continue
            _system(MATCH, m, "activate", user, values={"started_on": today})
            _system(NEED, need, "match", user)
            if initiative_left is not None:
                initiative_left -= 1
            report.activated.append(m)
        published = {"activated": len(report.activated), "skipped": len(report.skipped), "unreviewed": len(report.unreviewed)}
        MatchRun.objects.filter(pk=run.pk).update(stats={**run.stats, "published": published})
        run.refresh_from_db(fields=["stats"])
        change.context.update(subjects=[m.need.pupil.pupil_key for m in report.activated], what=f"run {run.pk}: published",
                              detail={"run": run.pk, "activated": [m.pk for m in report.activated],
                                      "skipped": [m.pk for m, _r in report.skipped]})

    workflow.transition(RUN, run, "publish", actor=user, version=None, values={"published_by": user, "published_at": timezone.now()},
                        apply=activate)
    _notify_matched(report.activated, base_url)
    return report


@transaction.atomic
def run_discard(*, user, run: MatchRun) -> MatchRun:
    """Throw a draft (with its reviews and overrides) or a simulation away."""
    return workflow.transition(RUN, run, "discard", actor=user, version=None)


# --- matches ----------------------------------------------------------------------------------------

def _end(user, match: Match, *, reason: str, note: str, today: datetime.date) -> Match:
    return _system(MATCH, match, "end", user, note=(note or "")[:500],
                   values={"ended_on": today, "end_reason": reason, "end_note": (note or "")[:500]})


def _after_end(user, need: TutoringNeed, reason: str) -> None:
    """The need of an ended match waits again (the tutor left, the match did not work) or ends."""
    if TutoringNeed.objects.filter(pk=need.pk, status=NeedStatus.MATCHED).exists():
        if reason in BACK_TO_WAITING:
            _system(NEED, need, "wait_again", user)
        else:
            _system(NEED, need, "end", user, values={"closed_at": timezone.now()})


@transaction.atomic
def match_end(*, user, match: Match, version: int, reason: str, note: str = "") -> Match:
    """End an active match with a reason; the need ends too, or waits again when the tutor left or the match did not work."""
    _require(_ends(user, match))
    if reason not in Match.EndReason.values:
        raise MatchingError(_("Choose why the match ends."))
    note = (note or "").strip()
    if reason == Match.EndReason.OTHER and not note:
        raise MatchingError(_("Describe in the note why the match ends."))
    return workflow.transition(
        MATCH, match, "end", actor=user, version=version, note=note[:500],
        values={"ended_on": clock.today(), "end_reason": reason, "end_note": note[:500]},
        apply=lambda m, change: _after_end(user, m.need, reason),
        context={"what": f"match {match.pk}: ended ({reason})", "detail": {"match": match.pk, "reason": reason}})


@transaction.atomic
def matches_end_for_tutor(*, user, tutor: Tutor, reason: str = "") -> list[Match]:
    """A tutor leaves (or pauses): end their active matches (reason "tutor left", ``reason`` as the note;
    an EndReason value is used as the reason itself); the pupils wait again and a re-match can move only
    them. Their proposals in drafts are rejected. For the tutor's coordinators, the admin or the tutor themself."""
    _require(is_active(user) and (coordinated_initiatives(user).filter(pk=tutor.initiative_id).exists()
                                  or (tutor.user_id is not None and tutor.user_id == user.pk and tutor_of(user) is not None)))
    end_reason, note = Match.EndReason.TUTOR_LEFT, (reason or "").strip()
    if note in Match.EndReason.values:
        end_reason, note = note, ""
    today = clock.today()
    ended = list(Match.objects.filter(tutor=tutor, status=Match.Status.ACTIVE).select_related("need", "need__pupil"))
    for m in ended:
        _end(user, m, reason=end_reason, note=note, today=today)
        _after_end(user, m.need, Match.EndReason.TUTOR_LEFT if end_reason == Match.EndReason.TUTOR_LEFT else end_reason)
    now = timezone.now()
    for m in Match.objects.filter(tutor=tutor, status=Match.Status.PROPOSED, run__status=MatchRun.Status.DRAFT):
        _system(MATCH, m, "reject", user, values={"end_note": _("the tutor left"), "reviewed_at": now})
    _audit(user, "update", [m.need.pupil.pupil_key for m in ended], f"tutor {tutor.pk}: matches ended", tutor=tutor.pk,
           matches=[m.pk for m in ended], reason=end_reason)
    return ended


# --- check-ins -------------------------------------------------------------------------------------

def _int_1_5(value, what: str) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        v = 0
    if not 1 <= v <= 5:
        raise MatchingError(_("%(what)s must be a number from 1 to 5.") % {"what": what})
    return v


@transaction.atomic
def checkin_create(*, user, match: Match, sessions: int, rating: int, progress: int, concern: bool = False, comment: str = "") -> CheckIn:
    """A check-in on an active match by its tutor, its pupil or a teacher of the pupil's school."""
    from leerloopbaan.tutoring.matching.selectors import respondent_of

    respondent = respondent_of(user, match)
    if respondent is None:
        if Match.objects.filter(pk=match.pk).exclude(status=Match.Status.ACTIVE).exists():
            raise MatchingError(_("This match is not active any more."))
        raise PermissionDenied
    try:
        sessions = int(sessions)
    except (TypeError, ValueError):
        sessions = -1
    if not 0 <= sessions <= 60:
        raise MatchingError(_("Give the number of sessions since the last check-in (0 to 60)."))
    checkin = CheckIn(match=match, respondent=respondent, sessions=sessions, rating=_int_1_5(rating, _("How it is going")),
                      progress=_int_1_5(progress, _("Progress")), concern=bool(concern), comment=(comment or "").strip(), recorded_by=user)
    _full_clean(checkin)
    checkin.save()
    _audit(user, "create", [match.need.pupil.pupil_key], f"match {match.pk}: check-in by {respondent}", match=match.pk,
           concern=bool(concern))
    return checkin
