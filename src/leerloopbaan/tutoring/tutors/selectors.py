"""Reads of the tutor pool, scoped to the acting user and audited (subject_type "tutor", ``tutor:<id>``).

Who sees which tutors (``tutor_scope``):
- tutor coordinator: the tutors of the initiatives they coordinate (never another initiative's: 404);
- tutor: themself (``/tutoring/me/``), and the first name and initial of the active fellow tutors of
  their own initiative, to review them (``fellow_tutors``);
- admin: every tutor;
- everyone else: none.
Tutors are adults, but their records are personal data: every read names the tutors shown.
Counts per status (``coordinator_summary``, ``status_counts``) name nobody and are not audited.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime

from leerloopbaan.accounts.models import User
from leerloopbaan.kernel.access import access_for
from leerloopbaan.tutoring.access import coordinated_initiatives, is_admin, is_coordinator, is_tutor
from leerloopbaan.tutoring.models import (
    Initiative,
    PeerReview,
    ScreeningDecision,
    ScreeningItem,
    TrainingCompletion,
    TrainingModule,
    Tutor,
)

Status = Tutor.Status
# the words pages and forms need (they never import the models)
TutorKind = Tutor.Kind
ScreeningItemName = ScreeningItem.Item
ScreeningStatus = ScreeningItem.Status
Decision = ScreeningDecision.Decision
COORDINATOR_REVIEW_WEIGHT = 2  # a coordinator's review counts double in tutor_quality


TO_SCREEN = "to_screen"  # the list's filter of the screening to do: sign-ups and tutors in screening
SCREENING_TO_DO = (Status.APPLIED, Status.SCREENING)


def may_coordinate_tutors(user) -> bool:
    """Coordinator pages: tutor coordinators and the admin."""
    return is_coordinator(user) or is_admin(user)


def tutor_scope(user, qs: QuerySet[Tutor] | None = None) -> QuerySet[Tutor]:
    """The rule: every tutor (of ``qs``) the user may see. ``Tutor.objects.visible_to(user)`` applies it;
    the only way to start a query on Tutor for a user."""
    qs = Tutor.objects.all() if qs is None else qs
    if is_admin(user):
        return qs
    if is_coordinator(user):
        return qs.filter(initiative__in=coordinated_initiatives(user))
    if is_tutor(user):
        return qs.filter(user=user)
    return qs.none()


def _detail(**detail) -> dict | None:
    return {k: v for k, v in detail.items() if v not in (None, "")} or None


def _audit(user, tutors, purpose: str, **detail):
    """Record a read of ``tutors`` that was not made through ``visible_to`` (fellow tutors)."""
    access_for(user).record(list(tutors), subject_type="tutor", purpose=purpose, detail=_detail(**detail))


def tutor_list(*, user, status: str | None = None, initiative: int | None = None, q: str = "", limit: int = 1000) -> list[Tutor]:
    """The tutors in the user's scope (a coordinator's list by stage), audited as one read.

    Each tutor carries ``ok_items`` (checklist items in order) and ``modules_done``."""
    qs = Tutor.objects.select_related("initiative")
    if status in Status.values:
        qs = qs.filter(status=status)
    elif status == TO_SCREEN:
        qs = qs.filter(status__in=SCREENING_TO_DO)
    if initiative:
        qs = qs.filter(initiative_id=initiative)
    for word in (q or "").split():
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
                       | Q(institution__icontains=word))
    qs = qs.annotate(ok_items=Count("screening", filter=Q(screening__status=ScreeningItem.Status.OK), distinct=True),
                     modules_done=Count("trainings", distinct=True))
    return access_for(user).list(qs.order_by("last_name", "first_name", "pk"), purpose="tutor list", limit=limit,
                                 detail=_detail(status=status, initiative=initiative, q=q))


def tutor_get(*, user, pk: int, purpose: str = "tutor record") -> Tutor:
    """One tutor in the user's scope, or 404; audited (one entry naming the tutor)."""
    return access_for(user).get(Tutor.objects.select_related("initiative", "user"), purpose=purpose, pk=pk)


def tutor_for_update(*, user, pk: int) -> Tutor:
    """A tutor in the user's scope for a write (the service audits the write; no read entry), or 404."""
    tutor = Tutor.objects.visible_to(user).select_related("initiative", "user").filter(pk=pk).first()
    if tutor is None:
        raise Http404("no such tutor")
    return tutor


def my_tutor_for_update(*, user) -> Tutor:
    """The logged-in tutor's own record for a write (the service audits it; no read entry), or 404."""
    tutor = Tutor.objects.visible_to(user).select_related("initiative", "user").first() if is_tutor(user) else None
    if tutor is None:
        raise Http404("no tutor record")
    return tutor


def my_tutor(*, user, purpose: str = "own tutor record") -> Tutor:
    """The logged-in tutor's own record (audited), or 404."""
    if not is_tutor(user):
        raise Http404("not a tutor")
    return access_for(user).get(Tutor.objects.select_related("initiative"), purpose=purpose)


# --- details of one tutor already read through tutor_get / my_tutor (no second entry) ---------

@dataclass
class ModuleRow:
    module: TrainingModule
    completion: TrainingCompletion | None

    @property
    def done(self) -> bool:
        return self.completion is not None


def training_status(tutor: Tutor) -> dict:
    """Modules with their completion, and whether every required module is done."""
    done = {c.module_id: c for c in TrainingCompletion.objects.filter(tutor=tutor).select_related("recorded_by")}
    rows = [ModuleRow(m, done.get(m.pk)) for m in TrainingModule.objects.all()]
    required = [r for r in rows if r.module.required]
    return {"modules": rows, "required_total": len(required), "required_done": sum(r.done for r in required),
            "complete": all(r.done for r in required)}


def checklist(tutor: Tutor) -> list[ScreeningItem]:
    rows = {i.item: i for i in ScreeningItem.objects.filter(tutor=tutor).select_related("checked_by")}
    return [rows.get(item) or ScreeningItem(tutor=tutor, item=item) for item in ScreeningItem.Item.values]


def tutor_detail(*, user, tutor: Tutor) -> dict:
    """Checklist, decisions, training, reviews and history of a tutor obtained through ``tutor_get``."""
    if not may_coordinate_tutors(user):
        raise Http404("no such tutor")
    access_for(user).require(tutor)
    labels = dict(Status.choices)
    history = list(tutor.history or [])
    names = {u.pk: u.get_full_name() or u.email for u in User.objects.filter(pk__in={h.get("by") for h in history if h.get("by")})}
    events = [{**h, "at": parse_datetime(h.get("at") or ""), "by_name": names.get(h.get("by"), ""), "from_label": labels.get(h.get("from"), ""),
               "to_label": labels.get(h.get("to"), h.get("to"))} for h in reversed(history)]
    reviews = list(PeerReview.objects.filter(tutor=tutor).select_related("reviewer"))
    return {
        "checklist": checklist(tutor),
        "decisions": list(ScreeningDecision.objects.filter(tutor=tutor).select_related("decided_by")),
        "training": training_status(tutor),
        "reviews": reviews,
        "quality": tutor_quality([tutor.pk])[tutor.pk],
        "events": events,
    }


# --- fellow tutors (peer review by tutors) ----------------------------------------------------

def _fellows(user) -> QuerySet[Tutor]:
    me = Tutor.objects.filter(user=user, status=Status.ACTIVE).first() if is_tutor(user) else None
    if me is None:
        return Tutor.objects.none()
    return Tutor.objects.filter(initiative_id=me.initiative_id, status=Status.ACTIVE).exclude(pk=me.pk)


def fellow_tutors(*, user) -> list[Tutor]:
    """The active fellow tutors of an active tutor's initiative (to review them), audited."""
    tutors = list(_fellows(user).order_by("first_name", "last_name", "pk"))
    _audit(user, tutors, "fellow tutors")
    return tutors


def fellow_get(*, user, pk: int) -> Tutor:
    """One active fellow tutor of the same initiative (never oneself), or 404; audited."""
    tutor = _fellows(user).select_related("initiative").filter(pk=pk).first()
    if tutor is None:
        raise Http404("no such tutor")
    _audit(user, [tutor], "peer review")
    return tutor


def my_review_of(*, user, tutor: Tutor) -> PeerReview | None:
    return PeerReview.objects.filter(tutor=tutor, reviewer=user).order_by("-created_at", "-pk").first()


# --- quality for the matching engine ---------------------------------------------------------

def tutor_quality(tutor_ids) -> dict[int, float | None]:
    """Peer-review quality per tutor on 0..1 (None without reviews), for the matching engine.

    Each reviewer counts once, with their latest review; a coordinator's review weighs double
    (``COORDINATOR_REVIEW_WEIGHT``), a fellow tutor's once. The weighted mean score s (1..5) maps to
    (s - 1) / 4, so 1 -> 0.0, 3 -> 0.5, 5 -> 1.0. An engine input, not a read by a person: not audited.
    """
    ids = list(dict.fromkeys(int(i) for i in tutor_ids))
    latest: dict[tuple[int, int], PeerReview] = {}
    for review in PeerReview.objects.filter(tutor_id__in=ids).order_by("created_at", "pk").only(
            "tutor_id", "reviewer_id", "reviewer_kind", "score", "created_at"):
        latest[(review.tutor_id, review.reviewer_id)] = review
    weighted: dict[int, list[float]] = {i: [0.0, 0.0] for i in ids}
    for (tutor_id, _reviewer), review in latest.items():
        w = COORDINATOR_REVIEW_WEIGHT if review.reviewer_kind == PeerReview.By.COORDINATOR else 1
        weighted[tutor_id][0] += w * review.score
        weighted[tutor_id][1] += w
    return {i: (round((s / n - 1) / 4, 4) if n else None) for i, (s, n) in weighted.items()}


# --- initiatives and the coordinator's home ---------------------------------------------------

def open_initiatives() -> QuerySet[Initiative]:
    """The active initiatives a tutor can sign up for (not personal data)."""
    return Initiative.objects.filter(active=True)


def training_modules() -> QuerySet[TrainingModule]:
    """The training modules (not personal data)."""
    return TrainingModule.objects.all()


def schools() -> QuerySet:
    """Every school, by name (institutions, not personal data): for a tutor's conflicts of interest."""
    from leerloopbaan.registry.models import School

    return School.objects.order_by("name")


def initiative_list(*, user) -> list[Initiative]:
    """The initiatives the user coordinates (all for the admin). Not personal data."""
    return list(coordinated_initiatives(user).order_by("name"))


def initiative_get(*, user, pk: int) -> Initiative:
    initiative = coordinated_initiatives(user).filter(pk=pk).first()
    if initiative is None:
        raise Http404("no such initiative")
    return initiative


def status_counts(*, user, initiative: int | None = None) -> dict[str, int]:
    """Tutors per status in the user's scope (every status present, 0 when none)."""
    qs = Tutor.objects.visible_to(user)
    if initiative:
        qs = qs.filter(initiative_id=initiative)
    counts = Counter(dict(qs.values("status").annotate(n=Count("pk")).values_list("status", "n")))
    return {s: counts.get(s, 0) for s in Status.values}


def coordinator_summary(*, user) -> dict:
    """For the coordinator's home page: per initiative and in all, tutors per status, and the
    screening to do (sign-ups and tutors in screening). Counts only: not audited."""
    rows = []
    totals = Counter()
    for initiative in initiative_list(user=user):
        counts = status_counts(user=user, initiative=initiative.pk)
        totals.update(counts)
        rows.append({"initiative": initiative, "counts": counts,
                     "screening_to_do": counts[Status.APPLIED] + counts[Status.SCREENING]})
    counts = {s: totals.get(s, 0) for s in Status.values}
    return {
        "initiatives": rows,
        "counts": counts,
        "screening_to_do": counts[Status.APPLIED] + counts[Status.SCREENING],
        "in_training": counts[Status.TRAINING],
        "active": counts[Status.ACTIVE],
    }


def to_screen_count(*, user) -> int | None:
    """For the home page: the tutors in the user's scope whose screening is to do (signed up or in
    screening: the list's ``?status=to_screen``). One query; None for users who coordinate no tutors."""
    if not may_coordinate_tutors(user):
        return None
    return Tutor.objects.visible_to(user).filter(status__in=SCREENING_TO_DO).count()
