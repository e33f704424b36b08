"""The demo's support history gives the effect report a treated group, dated in the past."""

import datetime

import pytest

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.care.models import RequestEvent, SupportOffer, SupportRequest
from leerloopbaan.demo.care.effects import OFFER_TITLE, create_demo_effect_history, start_date
from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.registry.models import Pupil, School

pytestmark = pytest.mark.django_db


def test_start_is_a_monday_in_march_of_the_last_school_year():
    assert start_date(datetime.date(2026, 11, 22)) == datetime.date(2026, 3, 2)
    assert start_date(datetime.date(2027, 2, 1)) == datetime.date(2026, 3, 2)
    assert start_date(datetime.date(2026, 11, 22)).weekday() == 0


def test_history_is_created_once_for_high_risk_pupils_of_the_offers_districts():
    provider = Organisation.objects.create(name="Buurtwerk", kind="youth_work")
    offer = SupportOffer.objects.create(provider=provider, title=OFFER_TITLE, description="x", levels=["pupil"],
                                        predictors=["absence"], districts=["Deurne"])
    inside = School.objects.create(school_number="1", name="In", network="GO", level="secondary", district="Deurne")
    outside = School.objects.create(school_number="2", name="Out", network="GO", level="secondary", district="Hoboken")
    run = ModelRun.objects.create(version="v1", model_name="lightgbm", path="models/v1.json", approved=True)
    start = start_date()
    for i in range(6):
        pupil = Pupil.objects.create(pupil_key=f"{i:064x}", birth_date=datetime.date(2011, 1, 1), sex="F")
        school = inside if i < 4 else outside
        RiskScore.objects.create(pupil=pupil, school=school, reference_date=start, model_run=run, risk=0.9 - i / 100,
                                 band="high" if i != 3 else "low")
    assert create_demo_effect_history(pupils_in_city=50_000, progress=lambda _m: None) == {"treated": 0}  # too big a city
    result = create_demo_effect_history(pupils_in_city=10_000, progress=lambda _m: None)
    assert result["treated"] == 3  # the high-risk pupils of Deurne only
    requests = SupportRequest.objects.filter(offer=offer)
    assert requests.count() == 3 and set(requests.values_list("status", flat=True)) == {"closed"}
    starts = RequestEvent.objects.filter(request__in=requests, to_status="in_progress").values_list("at", flat=True)
    assert {s.date() for s in starts} == {start}
    assert create_demo_effect_history(pupils_in_city=10_000, progress=lambda _m: None) == {"treated": 0}  # once only
