"""Effect monitoring pages: offers with their estimate, the yearly report per offer (HTML and PDF)
and the schools with high early school leaving that asked for no support.

Who: the care coordinator, programme manager, city analyst and admin (every offer); a provider's
organisation contact (its own offers only, not the flagged schools). Aggregates only, rendered from
one disclosure release per page (``effects.publish_effects``); one audit entry per view.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.effects import selectors as effects
from leerloopbaan.care.effects.pdf import effect_pdf, method
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.kernel.disclosure import threshold
from leerloopbaan.kernel.schoolyear import parse_school_year, school_year_of

FLAG_ROLES = {Role.CARE_COORDINATOR, Role.PROGRAMME_MANAGER, Role.CITY_ANALYST, Role.ADMIN}


def _offers(user):
    offers = effects.offers_for(user)
    if offers is None:
        raise PermissionDenied
    return offers


def _year(value: str | None) -> str:
    if value:
        try:
            parse_school_year(value)
        except ValueError:
            raise Http404("bad school year") from None
        return value
    return school_year_of(clock.today())


@login_required
def effect_list(request):
    offers = list(_offers(request.user))
    year = _year(request.GET.get("school_year"))
    rows = effects.publish_effects([effects.offer_effect(o, year) for o in offers], "care effects: offers")
    audit_record(
        action="read",
        subject_type="aggregate",
        purpose="effect monitoring: offers",
        detail={"school_year": year, "offers": [o.pk for o in offers]},
    )
    return render(
        request,
        "care/effect_list.html",
        {
            "rows": [(r, r.row("b_rate")) for r in rows],
            "school_year": year,
            "threshold": threshold(),
            "may_see_flags": request.user.role in FLAG_ROLES,
        },
    )


def _effect(request, pk: int, school_year: str):
    """The offer and its published effect: the page and its PDF publish the same release."""
    offer = _offers(request.user).filter(pk=pk).first()
    if offer is None:
        raise Http404("no such offer")
    year = _year(school_year)
    return offer, effects.publish_effects([effects.offer_effect(offer, year)], "care effects: report")[0]


def _counts(effect) -> dict:
    return {
        "offer": effect.offer_id,
        "school_year": effect.school_year,
        "treated": str(effect.treated),
        "matched": str(effect.matched),
    }


@login_required
def effect_report(request, pk: int, school_year: str):
    offer, effect = _effect(request, pk, school_year)
    audit_record(
        action="read",
        subject_type="aggregate",
        purpose="effect monitoring: report",
        object_repr=f"offer {offer.pk} {effect.school_year}",
        detail=_counts(effect),
    )
    return render(
        request,
        "care/effect_report.html",
        {
            "offer": offer,
            "effect": effect,
            "rows": effect.rows,
            "method": method(),
            "threshold": threshold(),
            "years": effects.school_years_with_starts(offer),
        },
    )


@login_required
def effect_report_pdf(request, pk: int, school_year: str):
    offer, effect = _effect(request, pk, school_year)
    audit_record(
        action="read",
        subject_type="aggregate",
        purpose="effect monitoring: report (PDF)",
        object_repr=f"offer {offer.pk} {effect.school_year}",
        detail=_counts(effect),
    )
    response = HttpResponse(effect_pdf(effect, clock.today()), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="effects-{offer.pk}-{effect.school_year}.pdf"'
    return response


@login_required
def flagged_schools(request):
    if request.user.role not in FLAG_ROLES:
        raise PermissionDenied
    year = _year(request.GET.get("school_year"))
    flags = effects.flag_schools_without_support(year)
    audit_record(
        action="read",
        subject_type="aggregate",
        purpose="effect monitoring: schools without support",
        detail={
            "school_year": year,
            "outcome_year": flags.outcome_year,
            "flagged": [s.school_number for s in flags.schools],
        },
    )
    return render(request, "care/flagged_schools.html", {"flags": flags, "school_year": year})
