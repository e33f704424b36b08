"""Findings of the privacy review: showing the result form names the pupil, so it is an audited read;
a pupil enrolled only from a future date is not a school's pupil for remediation proposals yet."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.assessments import selectors
from leerloopbaan.assessments.models import TestResult
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.models import Enrolment

pytestmark = pytest.mark.django_db


def test_the_result_form_is_an_audited_read_and_scoped(city, login, client):
    login(city["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        response = client.get(f"/assessments/results/new/?pupil_key={city['a3'].pupil_key}")
    assert response.status_code == 200 and "Anouk3" in response.content.decode()
    assert city["a3"].pupil_key in audit.subjects()
    assert client.get(f"/assessments/results/new/?pupil_key={city['b3'].pupil_key}").status_code == 404


def test_a_future_enrolment_brings_no_proposals(city, make_user):
    # b0 of school B has the lowest result and will move to school A next month: A sees no proposal about b0 yet
    TestResult.objects.filter(pupil=city["b0"], instrument=city["p6"]).update(scale_score=city["p6"].score_min)
    assert city["b0"].pupil_key in {p.pupil.pupil_key for p in selectors.remediation_proposals(user=city["staff_b"])}
    Enrolment.objects.filter(pupil=city["b0"], end_date__isnull=True).update(end_date=clock.today() + datetime.timedelta(days=20))
    Enrolment.objects.create(pupil=city["b0"], school=city["A"], school_year=Enrolment.objects.filter(pupil=city["b0"]).last().school_year,
                             start_date=clock.today() + datetime.timedelta(days=30), grade="P6")
    keys = {p.pupil.pupil_key for p in selectors.remediation_proposals(user=city["staff"])}
    assert city["b0"].pupil_key not in keys
