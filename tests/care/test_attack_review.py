"""Attack review of issue 15's support-effect report: each test reproduces a defect found by trying to break it."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.care.effects import selectors as effects
from tests.factories import ModelRunFactory, PupilFactory, RiskScoreFactory


def test_the_matching_reads_no_score_of_an_unapproved_run(db):
    """Pupils are matched on their risk before the start; a score an unapproved run stored (a refused training)
    must not be one of those risks, as it is shown nowhere else and never scores."""
    pupil = PupilFactory()
    day = datetime.date(2026, 10, 1)
    RiskScoreFactory(pupil=pupil, reference_date=day, model_run=ModelRunFactory(version="ok"), risk=0.2)
    RiskScoreFactory(
        pupil=pupil,
        reference_date=day + datetime.timedelta(days=7),
        model_run=ModelRunFactory(version="refused", approved=False),
        risk=0.9,
    )
    facts = effects._Facts([pupil.pk], day - datetime.timedelta(days=30), day + datetime.timedelta(days=30))
    assert [risk for _day, risk, _grade in facts.scores[pupil.pk]] == [0.2]


@pytest.mark.parametrize("year", ["0000-0001", "0001-0002", "1066-1067", "9998-9999"])
def test_an_impossible_school_year_in_an_effects_url_is_not_found_not_a_crash(
    db, make_user, login, client, year
):
    """ "0000-0001" matched YYYY-YYYY and then crashed building 1 September of year 0 (a stack trace)."""
    from leerloopbaan.accounts.roles import Role
    from tests.factories import SupportOfferFactory

    offer = SupportOfferFactory()
    login(make_user(Role.CITY_ANALYST))
    for url in (
        f"/care/effects/{offer.pk}/{year}/",
        f"/care/effects/{offer.pk}/{year}/pdf/",
        f"/care/effects/?school_year={year}",
        f"/care/effects/flagged-schools/?school_year={year}",
    ):
        assert client.get(url).status_code == 404, url
