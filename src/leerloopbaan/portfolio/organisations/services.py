"""Writes of a verified organisation about its talent growth places (talentgroeiplaatsen) and their
activities. Same style as ``portfolio/services.py``: keyword-only, the acting user first, permission
through ``portfolio/access.py``, one transaction, an audit entry, ``PortfolioError`` for the form."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import Issuer, PlaceActivity, TalentGrowthPlace
from leerloopbaan.portfolio.youth.services import PortfolioError
from leerloopbaan.registry.models import District

MIN_AGE, MAX_AGE = 3, 30


def _verified_issuer(user) -> Issuer:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise PermissionDenied
    if not issuer.is_verified:
        raise PortfolioError(_("The city has not verified your organisation yet: you cannot publish talent growth places."))
    return issuer


@transaction.atomic
def place_create(*, user, name: str, district: str, address: str = "", description: str = "") -> TalentGrowthPlace:
    """A verified organisation publishes a talent growth place in a district."""
    issuer = _verified_issuer(user)
    fields = {}
    if not name.strip():
        fields["name"] = _("Give the place a name.")
    elif issuer.places.filter(name__iexact=name.strip(), active=True).exists():
        fields["name"] = _("Your organisation already has a place with this name.")
    if district not in District.values:
        fields["district"] = _("Choose the district.")
    if fields:
        raise PortfolioError(_("The place is not complete."), fields)
    place = TalentGrowthPlace.objects.create(issuer=issuer, name=name.strip()[:200], district=district,
                                             address=address.strip()[:300], description=description.strip())
    audit_record(action="create", subject_type="issuer", subjects=[], actor=user, purpose="talent growth place",
                 object_repr=f"{issuer.slug}: place {place.pk}")
    return place


@transaction.atomic
def activity_create(*, user, place: TalentGrowthPlace, title: str, description: str = "", age_from: int | None,
                    age_to: int | None, schedule: str = "", skills=(), achievements=()) -> PlaceActivity:
    """An activity at one of the organisation's places, with the ESCO skills practised and the
    organisation's achievements a young person can earn there."""
    issuer = _verified_issuer(user)
    if place.issuer_id != issuer.pk:
        raise PermissionDenied
    skills, achievements = list(skills), list(achievements)
    if any(a.issuer_id != issuer.pk for a in achievements):
        raise PermissionDenied
    fields = {}
    if not title.strip():
        fields["title"] = _("Give the activity a name.")
    if age_from is None or not MIN_AGE <= age_from <= MAX_AGE:
        fields["age_from"] = _("An age between 3 and 30.")
    if age_to is None or not MIN_AGE <= age_to <= MAX_AGE:
        fields["age_to"] = _("An age between 3 and 30.")
    elif age_from is not None and age_from > age_to:
        fields["age_to"] = _("The highest age is below the lowest age.")
    if any(not a.active for a in achievements):
        fields["achievements"] = _("Choose achievements that are in use.")
    if not place.active:
        fields["place"] = _("This place is closed.")
    if fields:
        raise PortfolioError(_("The activity is not complete."), fields)
    activity = PlaceActivity.objects.create(place=place, title=title.strip()[:200], description=description.strip(),
                                            age_from=age_from, age_to=age_to, schedule=schedule.strip()[:200])
    activity.skills.set(skills)
    activity.achievements.set(achievements)
    audit_record(action="create", subject_type="issuer", subjects=[], actor=user, purpose="talent growth place",
                 object_repr=f"{issuer.slug}: activity {activity.pk}",
                 detail={"skills": len(skills), "achievements": len(achievements)})
    return activity
