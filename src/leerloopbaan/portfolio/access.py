"""Who may do what with a talent portfolio. Every portfolio selector and service starts here.

- The young person (role youth, linked to the pupil as ``self``) owns the portfolio. Until 13 a
  parent (linked as ``parent``) manages it with the child: both may read and write everything.
  From 13 the youth decides: the parent sees only the entries the youth marked, or everything if
  the youth allows it (``Portfolio.parent_sees_all``), and can no longer change anything.
- From 25 the portfolio is closed: nothing new is added or shared; the youth can still read and
  export everything.
- An organisation contact (role organisation_contact, with an active membership of a verified
  issuer) sees only the young people who shared a code with it or asked it for an attestation
  (``IssuerLink``), by the name they chose to show, and only the credentials it issued itself.
- City roles see aggregates only; the administrator manages issuers, not portfolios.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock

CUSTODY_AGE = 13
CLOSING_AGE = 25


def is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_city(user) -> bool:
    return is_active(user) and user.role in (Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN)


def age_on(birth_date: datetime.date, day: datetime.date | None = None) -> int:
    day = day or clock.today()
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def relation(user, portfolio) -> str | None:
    """``"self"`` or ``"parent"`` when the user is linked to the portfolio's pupil, else None."""
    if not is_active(user) or user.role not in (Role.YOUTH, Role.PARENT):
        return None
    from leerloopbaan.registry.models import PupilAccountLink

    expected = PupilAccountLink.Relation.SELF if user.role == Role.YOUTH else PupilAccountLink.Relation.PARENT
    found = PupilAccountLink.objects.filter(user=user, pupil_id=portfolio.pupil_id, relation=expected).exists()
    return expected if found else None


def linked_pupils(user) -> QuerySet:
    """The pupils whose portfolio this youth or parent may open."""
    from leerloopbaan.registry.models import Pupil, PupilAccountLink

    if not is_active(user) or user.role not in (Role.YOUTH, Role.PARENT):
        return Pupil.objects.none()
    expected = PupilAccountLink.Relation.SELF if user.role == Role.YOUTH else PupilAccountLink.Relation.PARENT
    return Pupil.objects.filter(account_links__user=user, account_links__relation=expected).distinct()


def owner_portfolios(user) -> QuerySet:
    """The portfolios this youth or parent holds (``Portfolio.objects.visible_to`` for them)."""
    from leerloopbaan.portfolio.models import Portfolio

    if not is_active(user) or user.role not in (Role.YOUTH, Role.PARENT):
        return Portfolio.objects.none()
    return Portfolio.objects.visible_to(user)


def youth_age(portfolio, day: datetime.date | None = None) -> int:
    return age_on(portfolio.pupil.birth_date, day)


def may_manage(user, portfolio, day: datetime.date | None = None) -> bool:
    """May change the portfolio (entries, codes, requests, shares)."""
    rel = relation(user, portfolio)
    if rel is None:
        return False
    age = youth_age(portfolio, day)
    if age >= CLOSING_AGE:
        return False
    return rel == "self" or age < CUSTODY_AGE


def parent_restricted(user, portfolio, day: datetime.date | None = None) -> bool:
    """A parent of a youth of 13 or older: sees only what the youth allows."""
    return relation(user, portfolio) == "parent" and youth_age(portfolio, day) >= CUSTODY_AGE


def visible_entries(user, portfolio) -> QuerySet:
    """The entries of the portfolio this owner or parent may see (``Entry.objects.visible_to``)."""
    entries = portfolio.entries.all()
    if relation(user, portfolio) is None:
        return entries.none()
    return entries.visible_to(user)


def issuer_of(user):
    """The issuer (of any status) an organisation contact works for today, or None.

    Services refuse every write of an issuer the city has not verified (``services._verified_issuer``).
    """
    if not is_active(user) or user.role != Role.ORGANISATION_CONTACT:
        return None
    from leerloopbaan.accounts.models import Membership
    from leerloopbaan.portfolio.models import Issuer

    org_ids = Membership.objects.active().filter(user=user, kind="organisation").values("organisation_id")
    return Issuer.objects.filter(organisation_id__in=org_ids).select_related("organisation").first()


def issuer_portfolios(issuer) -> QuerySet:
    """The portfolios of the young people who shared with this issuer (and did not stop)."""
    from leerloopbaan.portfolio.models import Portfolio

    if issuer is None:
        return Portfolio.objects.none()
    return Portfolio.objects.filter(issuer_links__issuer=issuer, issuer_links__ended_at__isnull=True)


# --- visible_to: the rows of each portfolio model an actor may see ------------------------------

def _custody_cutoff(day: datetime.date | None = None) -> datetime.date:
    """Youths born on or before this day are ``CUSTODY_AGE`` or older today (``age_on`` >= CUSTODY_AGE)."""
    from leerloopbaan.registry.measures import born_by

    return born_by(CUSTODY_AGE, day or clock.today())


def _owned(user) -> QuerySet:
    """The pupils of the portfolios this youth or parent holds (``linked_pupils``), as ids."""
    return linked_pupils(user).values("pk")


def _shared_with(issuer) -> QuerySet:
    from leerloopbaan.portfolio.models import IssuerLink

    return IssuerLink.objects.filter(issuer=issuer, ended_at__isnull=True).values("portfolio_id")


def visible(qs: QuerySet, user) -> QuerySet:
    """The rows of ``qs`` (any portfolio model) ``user`` may see: the rules of this module's docstring.

    - youth, parent: their portfolios and everything in them; a parent of a youth of ``CUSTODY_AGE`` or
      older only the entries the youth shows (``visible_entries``) and not the youth's shares;
    - organisation contact: the portfolios shared with their issuer, the requests sent to it (with
      their entries) and the credentials it issued (also after the youth stopped sharing, to manage them);
    - everyone else: nothing (city roles get aggregates from the selectors)."""
    from leerloopbaan.portfolio import models as m

    model = qs.model
    if not is_active(user):
        return qs.none()
    if user.role in (Role.YOUTH, Role.PARENT):
        path = {m.Portfolio: "pupil", m.Evidence: "entry__portfolio__pupil", m.GrantView: "grant__portfolio__pupil"}.get(
            model, "portfolio__pupil")
        qs = qs.filter(**{f"{path}__in": _owned(user)})
        if user.role == Role.PARENT:
            prefix = {m.Entry: "", m.Evidence: "entry__"}.get(model)
            if prefix is not None:  # the youth's entries: only those the youth shows to a parent from 13
                portfolio = f"{prefix}portfolio__"
                qs = qs.filter(Q(**{f"{portfolio}pupil__birth_date__gt": _custody_cutoff()}) | Q(**{f"{portfolio}parent_sees_all": True})
                               | Q(**{f"{prefix}parent_visible": True}))
            elif model in (m.ShareGrant, m.GrantView):  # the youth's own shares, from 13
                portfolio = "grant__portfolio__" if model is m.GrantView else "portfolio__"
                qs = qs.filter(**{f"{portfolio}pupil__birth_date__gt": _custody_cutoff()})
        return qs
    issuer = issuer_of(user)
    if issuer is None:
        return qs.none()
    if model is m.Portfolio:
        return qs.filter(pk__in=_shared_with(issuer))
    if model is m.Credential:
        return qs.filter(issuer=issuer)
    if model is m.AttestationRequest:
        return qs.filter(issuer=issuer, portfolio__in=_shared_with(issuer))
    if model is m.IssuerLink:
        return qs.filter(issuer=issuer, ended_at__isnull=True)
    if model is m.Entry:  # evidence of a request to it, or what it attested
        return qs.filter(Q(requests__issuer=issuer, portfolio__in=_shared_with(issuer)) | Q(credential__issuer=issuer)).distinct()
    if model is m.Evidence:
        return qs.filter(entry__requests__issuer=issuer, entry__portfolio__in=_shared_with(issuer)).distinct()
    return qs.none()
