"""Reads of support requests (scoped to the acting user, audited) and of the offer catalogue.

Who sees which requests:
- school staff: the requests of their school(s), pupils by name;
- CLB workers: requests about pupils of the schools their CLB serves, and requests assigned to their CLB;
- care coordinators (the city's support team, with 2FA): every request, the inbox; the pupil's name
  only when the school attached it, otherwise the pseudonym;
- organisation contacts: only the requests assigned to their organisation, the pupil's first name
  only (when the school attached it); the request (the question, the offer), not the reasons from the
  risk list, unless an active consent names them and "risk signals" (``care.cases.consent.covers``,
  checked at every read; the returned request then has ``reasons`` empty and ``reasons_withheld`` set);
- everyone else: none (404).
Every read of requests is one audit entry naming the pupils of the requests shown.
Support offers are not personal data: every working role may browse them, unaudited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from leerloopbaan.accounts.models import Membership
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.consent import Category, covers
from leerloopbaan.care.models import SupportOffer, SupportRequest
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.registry.selectors import schools_of

# the words pages and forms need (they never import the models)
Status = SupportRequest.Status
Subject = SupportRequest.Subject
AssignedKind = SupportRequest.AssignedKind
Outcome = SupportRequest.Outcome

REQUEST_ROLES = frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR, Role.ORGANISATION_CONTACT})
OFFER_ROLES = frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR, Role.ORGANISATION_CONTACT, Role.TUTOR_COORDINATOR,
                         Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN})
OPEN = [s for s in SupportRequest.Status.values if s != SupportRequest.Status.CLOSED]


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_requests(user) -> bool:
    return _active(user) and user.role in REQUEST_ROLES


def may_ask_for_support(user) -> bool:
    """School staff ask for support for a pupil of their school."""
    return _active(user) and user.role == Role.SCHOOL_STAFF


def may_browse_offers(user) -> bool:
    return _active(user) and user.role in OFFER_ROLES


def support_request_scope(user, qs: QuerySet[SupportRequest] | None = None) -> QuerySet[SupportRequest]:
    """The rule: every support request (of ``qs``) the user may see. ``SupportRequest.objects.visible_to(user)``
    applies it; the only way to start a query on SupportRequest for a user."""
    qs = SupportRequest.objects.all() if qs is None else qs
    if not may_see_requests(user):
        return qs.none()
    if user.role == Role.CARE_COORDINATOR:
        return qs
    if user.role == Role.SCHOOL_STAFF:
        return qs.filter(school__in=schools_of(user))
    memberships = Membership.objects.active().filter(user=user)
    if user.role == Role.CLB_WORKER:
        clbs = memberships.filter(clb__isnull=False).values("clb_id")
        return qs.filter(Q(school__in=schools_of(user)) | Q(assigned_kind=SupportRequest.AssignedKind.CLB, clb_id__in=clbs))
    # organisation contact: assigned to one of their organisations
    orgs = memberships.filter(organisation__isnull=False).values("organisation_id")
    return qs.filter(organisation_id__in=orgs).exclude(status__in=[SupportRequest.Status.NEW, SupportRequest.Status.INTAKE])


def pupil_label(user, req: SupportRequest) -> str:
    """How the pupil of a request is shown to this user ("" for group and school requests)."""
    if req.pupil_id is None:
        return ""
    pupil = req.pupil
    name = getattr(pupil, "name", None)
    full = f"{name.first_name} {name.last_name}".strip() if name is not None else ""
    if user.role in (Role.SCHOOL_STAFF, Role.CLB_WORKER):
        return full or pupil.short_key
    if user.role == Role.CARE_COORDINATOR and req.name_attached:
        return full or pupil.short_key
    if user.role == Role.ORGANISATION_CONTACT and req.name_attached and name is not None and name.first_name:
        return name.first_name
    return pupil.short_key


def _withhold_reasons(user, req: SupportRequest) -> SupportRequest:
    """Leave out (in memory, never saved) the risk reasons no consent lets ``user`` read today."""
    req.reasons_withheld = bool(req.reasons) and not covers(req.pupil, user, Category.RISK_SIGNALS)
    if req.reasons_withheld:
        req.reasons = []
    return req


@dataclass
class RequestRow:
    request: SupportRequest
    pupil: str

    @property
    def overdue(self) -> bool:
        return self.request.is_overdue


_RELATED = ("school", "pupil", "pupil__name", "offer", "organisation", "clb")


SORTS = {"due": ["due_at", "-created_at"], "new": ["-created_at"], "old": ["created_at"]}


def request_list(*, user, status: str | None = None, overdue_only: bool = False, sort: str = "due", limit: int = 500) -> list[RequestRow]:
    """The requests the user may see (the support team's inbox), audited as one read."""
    if not may_see_requests(user):
        raise Http404("no support requests")
    qs = SupportRequest.objects.select_related(*_RELATED)
    if status in SupportRequest.Status.values:
        qs = qs.filter(status=status)
    elif status == "open":
        qs = qs.filter(status__in=OPEN)
    if overdue_only:
        qs = qs.filter(status__in=OPEN, due_at__lt=timezone.now())
    order = SORTS.get(sort, SORTS["due"])
    if sort == "due":
        from django.db.models import F

        qs = qs.order_by(F("due_at").asc(nulls_last=True), "-created_at")
    else:
        qs = qs.order_by(*order)
    requests = access_for(user).list(qs, purpose="support requests", limit=limit,
                                     detail={"status": status, "overdue": overdue_only})
    return [RequestRow(_withhold_reasons(user, r), pupil_label(user, r)) for r in requests]


def request_get(*, user, pk: int, purpose: str = "support request") -> SupportRequest:
    """One request the user may see, or 404; audited (one entry naming the pupil, if any); the risk
    reasons only as far as consent allows (module docstring)."""
    req = access_for(user).get(SupportRequest.objects.select_related(*_RELATED, "created_by"), purpose=purpose, pk=pk)
    return _withhold_reasons(user, req)


def request_history(*, user, request: SupportRequest) -> dict:
    """Events and comments of a request already obtained through request_get (no second audit entry)."""
    access_for(user).require(request)
    labels = dict(SupportRequest.Status.choices)
    events = list(request.events.select_related("actor"))
    for e in events:
        e.from_label, e.to_label = labels.get(e.from_status, ""), labels.get(e.to_status, e.to_status)
    return {
        "events": events,
        "comments": list(request.comments.select_related("author")),
    }


def overdue_requests(*, user, now=None) -> QuerySet[SupportRequest]:
    """Open requests in the user's scope past their response-time target (oldest due first); not a read of names."""
    now = now or timezone.now()
    return SupportRequest.objects.visible_to(user).filter(status__in=OPEN, due_at__lt=now).order_by("due_at")


def home_counts(*, user, now=None) -> dict[str, int] | None:
    """For the home page: the user's open requests past their response-time target (``overdue``: the
    list's ``?overdue=1``) and the new ones (``new``: ``?status=new``). One query; counts only, not a
    read of a pupil. None for roles without support requests."""
    if not may_see_requests(user):
        return None
    now = now or timezone.now()
    out = SupportRequest.objects.visible_to(user).aggregate(
        overdue=Count("pk", filter=Q(status__in=OPEN, due_at__lt=now)),
        new=Count("pk", filter=Q(status=SupportRequest.Status.NEW)))
    return {k: int(v or 0) for k, v in out.items()}


# --- offers ---------------------------------------------------------------------------------

def offer_list(*, user, q: str = "", predictor: str = "", level: str = "", district: str = "", track: str = "",
               include_inactive: bool = False) -> list[SupportOffer]:
    """Search the catalogue: words in title, description or provider; filters on the JSON lists."""
    if not may_browse_offers(user):
        raise Http404("no catalogue")
    qs = SupportOffer.objects.select_related("provider")
    if not include_inactive:
        qs = qs.filter(active=True)
    for word in (q or "").split():
        qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(provider__name__icontains=word))
    offers = list(qs.order_by("title"))
    # the list filters run in Python: the catalogue is small and JSON containment differs per database
    if predictor:
        offers = [o for o in offers if predictor in o.predictors]
    if level:
        offers = [o for o in offers if level in o.levels]
    if district:
        offers = [o for o in offers if not o.districts or district in o.districts]
    if track:
        offers = [o for o in offers if not o.tracks or track in o.tracks]
    return offers


def offer_get(*, user, pk: int) -> SupportOffer:
    if not may_browse_offers(user):
        raise Http404("no catalogue")
    offer = SupportOffer.objects.select_related("provider").filter(pk=pk).first()
    if offer is None:
        raise Http404("no such offer")
    return offer


def active_offers() -> QuerySet[SupportOffer]:
    """The offers a request can be assigned to (the catalogue is not personal data)."""
    return SupportOffer.objects.filter(active=True)


def clbs() -> QuerySet:
    """Every CLB (an institution, not personal data)."""
    from leerloopbaan.registry.models import Clb

    return Clb.objects.all()


def request_for_update(*, user, pk: int) -> SupportRequest:
    """A request in the user's scope for a write (the service audits the write; no read entry), or 404."""
    req = access_for(user).filter(SupportRequest.objects.select_related("school", "pupil"), pk=pk).first()
    if req is None:
        raise Http404("no such request")
    return req


def requests_under_way(subject: PupilSubject) -> list[SupportRequest]:
    """The open requests about the page's pupil that the user may see, asked inside the subject's
    windows (``visible``: not before the pupil came to the user's schools, not after they left) (for the pupil page, which scoped and audited the pupil: no entry of its own)."""
    qs = support_request_scope(subject.user).filter(pupil=subject.pupil).exclude(status=SupportRequest.Status.CLOSED)
    qs = subject.cut(qs, "created_at__date")
    return list(qs.select_related("offer", "organisation").order_by("created_at", "pk"))


def open_requests_by_pupil(user, pupil_ids) -> dict[int, list[SupportRequest]]:
    """The open requests about the pupils of a batch that the user may see, oldest first (one query;
    no entry: the caller shows the pupils and records them)."""
    out: dict[int, list[SupportRequest]] = {}
    qs = support_request_scope(user).filter(pupil_id__in=pupil_ids, status__in=OPEN).order_by("created_at", "pk")
    for req in qs.only("pk", "pupil_id", "status", "created_at"):
        out.setdefault(req.pupil_id, []).append(req)
    return out


def open_requests_for(*, user, pupil) -> list[SupportRequest]:
    """The open requests about one pupil that the user may see (the request form warns of them before a
    second one is asked); a read of the pupil, joined with the form's own read of the pupil."""
    access = access_for(user)
    access.require(pupil)
    qs = SupportRequest.objects.filter(pupil=pupil, status__in=OPEN).select_related("offer", "organisation")
    return access.list(qs.order_by("created_at", "pk"), purpose="support request: open requests")
