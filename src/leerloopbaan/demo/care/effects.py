"""Demo history for the effect report: one offer ("Spijbelcoaching") given last spring to the
high-risk pupils of the districts it serves, so the report has a treated group and a matched
comparison group to show.

The requests and their events are dated in the past (a demo fixture: the real services stamp
"now"), and the early warning model scores the city on the start date too, as it would have
monthly. The synthetic city has no intervention effect built in, so an honest report finds none.
Only for cities up to MAX_PUPILS: at Antwerp scale the extra scoring would cost the demo a minute.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import RequestEvent, SupportOffer, SupportRequest
from leerloopbaan.demo.accounts import demo_email
from leerloopbaan.kernel import clock

OFFER_TITLE = "Spijbelcoaching"
TREATED = 40
MAX_PUPILS = 20_000


def start_date(today: datetime.date | None = None) -> datetime.date:
    """The first Monday of March of the last school year: its 90-day window closes before summer."""
    today = today or clock.today()
    year = today.year if today.month >= 9 else today.year - 1
    day = datetime.date(year, 3, 1)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def create_demo_effect_history(*, pupils_in_city: int, progress=print) -> dict:
    from leerloopbaan.ews.models import RiskScore
    from leerloopbaan.ews.services import NoTrainingData, active_run, ews_score

    offer = SupportOffer.objects.filter(title=OFFER_TITLE).first()
    try:
        run = active_run()  # the approved model or, without one, the rule baseline: never an unapproved run
    except NoTrainingData:
        run = None
    if offer is None or run is None or pupils_in_city > MAX_PUPILS:
        return {"treated": 0}
    if SupportRequest.objects.filter(offer=offer, description__startswith="[demo history]").exists():
        return {"treated": 0}
    start = start_date()
    if not RiskScore.objects.filter(model_run=run, reference_date=start).exists():
        progress(f"scoring the city on {start} for the support history")
        ews_score(reference_date=start, run=run)
    coordinator = User.objects.filter(email=demo_email(Role.CARE_COORDINATOR)).first()
    provider = User.objects.filter(email=demo_email(Role.ORGANISATION_CONTACT)).first()
    districts = offer.districts or []
    candidates = (
        RiskScore.objects.filter(model_run=run, reference_date=start, band=RiskScore.Band.HIGH, school__district__in=districts)
        .order_by("-risk", "pupil_id")
        .values_list("pupil_id", "school_id")[:TREATED]
    )
    at = timezone.make_aware(datetime.datetime.combine(start, datetime.time(9, 0)))
    with transaction.atomic():
        for n, (pupil_id, school_id) in enumerate(candidates):
            request = SupportRequest.objects.create(
                school_id=school_id, pupil_id=pupil_id, subject_level=SupportRequest.Subject.PUPIL,
                description="[demo history] Veel problematische afwezigheden.", status=SupportRequest.Status.CLOSED,
                assigned_kind=SupportRequest.AssignedKind.OFFER, offer=offer, organisation=offer.provider,
                outcome=SupportRequest.Outcome.PARTLY if n % 3 else SupportRequest.Outcome.RESOLVED,
                outcome_note="Traject van twaalf weken afgerond.", created_by=coordinator,
                created_at=at - datetime.timedelta(days=14), updated_at=at + datetime.timedelta(days=84), version=5,
            )
            steps = [("", "new", -14, coordinator), ("new", "intake", -10, coordinator), ("intake", "assigned", -7, coordinator),
                     ("assigned", "in_progress", 0, provider), ("in_progress", "closed", 84, provider)]
            RequestEvent.objects.bulk_create(
                RequestEvent(request=request, from_status=a, to_status=b, at=at + datetime.timedelta(days=d), actor=actor)
                for a, b, d, actor in steps
            )
    return {"treated": len(candidates), "start": start}
