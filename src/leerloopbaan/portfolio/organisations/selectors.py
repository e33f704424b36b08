"""Reads of the organisation and city pages that carry no personal data (counts, the organisation's own
achievements, keys and places) and the public achievement page. Reads about young people go through
``portfolio/selectors.py`` (scoped and audited)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404

from leerloopbaan.accounts.roles import Role
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import (
    Achievement,
    AttestationRequest,
    Credential,
    Issuer,
    PlaceActivity,
    SigningKey,
)


def my_issuer(*, user) -> Issuer:
    """The organisation of an organisation contact: 403 for other roles, 404 without a registered organisation."""
    if not access.is_active(user) or user.role != Role.ORGANISATION_CONTACT:
        raise PermissionDenied
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    return issuer


def issuer_counts(*, issuer: Issuer) -> dict:
    """Numbers for the organisation's home page: no names."""
    return {
        "achievements": issuer.achievements.filter(active=True).count(),
        "youths": access.issuer_portfolios(issuer).count(),
        "open_requests": issuer.requests.filter(status=AttestationRequest.Status.OPEN).count(),
        "credentials": issuer.credentials.count(),
        "active_credentials": issuer.credentials.filter(status=Credential.Status.ACTIVE).count(),
        "places": issuer.places.filter(active=True).count(),
    }


def issuer_achievements(*, issuer: Issuer) -> list[Achievement]:
    return list(issuer.achievements.select_related("esco_skill").annotate(n_credentials=Count("credentials"))
                .order_by("-active", "name"))


def issuer_keys(*, issuer: Issuer) -> list[SigningKey]:
    return list(issuer.keys.order_by("created_at"))


def issuer_key_get(*, issuer: Issuer, pk: int) -> SigningKey:
    key = issuer.keys.filter(pk=pk).first()
    if key is None:
        raise Http404
    return key


def issuer_places(*, issuer: Issuer):
    activities = PlaceActivity.objects.prefetch_related("skills", "achievements")
    return list(issuer.places.prefetch_related(Prefetch("activities", queryset=activities)).order_by("-active", "name"))


def achievement_public(*, uuid) -> Achievement:
    """An achievement as it is published: the ``achievement.id`` of the credentials that attest it."""
    achievement = (Achievement.objects.select_related("issuer__organisation", "esco_skill")
                   .filter(uuid=uuid).exclude(issuer__status__in=[Issuer.Status.PENDING, Issuer.Status.REFUSED]).first())
    if achievement is None:
        raise Http404
    return achievement


def city_issuer_get(*, user, pk: int) -> Issuer:
    if not access.is_city(user):
        raise Http404
    issuer = Issuer.objects.select_related("organisation").filter(pk=pk).first()
    if issuer is None:
        raise Http404
    return issuer
