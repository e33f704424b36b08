"""Effect monitoring pages on a small city built from the test factories: counts and estimates,
suppression, roles, PDF, flagged schools, the yearly command."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.effects import selectors as effects
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import (
    AbsenceFactory,
    AttestationFactory,
    EnrolmentFactory,
    ModelRunFactory,
    OrganisationFactory,
    PupilFactory,
    RequestEventFactory,
    RiskScoreFactory,
    SchoolFactory,
    SupportOfferFactory,
    SupportRequestFactory,
)

pytestmark = pytest.mark.django_db(databases="__all__")

YEAR = "2023-2024"
START = datetime.date(2023, 11, 6)
PRE_SCORE, POST_SCORE = datetime.date(2023, 10, 16), datetime.date(2024, 3, 4)


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _pupil(key, school, run, risk, *, pre_b, post_b, post_risk, c=False):
    """An S3 BSO pupil of ``school`` in YEAR (from 1 September), scored before and after START, with
    ``pre_b`` B half-days before START and ``post_b`` after it, and a C or an A attestation of YEAR."""
    p = PupilFactory(
        pupil_key=key.ljust(64, "0"),
        birth_date=datetime.date(2009, 3, 1),
        characteristics={"as_of": datetime.date(2023, 9, 1), "home_language_not_dutch": True},
    )
    EnrolmentFactory(pupil=p, school=school, school_year=YEAR, grade="S3", track="BSO")
    for score_day, value in ((PRE_SCORE, risk), (POST_SCORE, post_risk)):
        RiskScoreFactory(
            pupil=p,
            school=school,
            reference_date=score_day,
            model_run=run,
            risk=value,
            band="medium",
            grade="S3",
            track="BSO",
        )
    for first, count in (
        (START - datetime.timedelta(days=60), pre_b),
        (START + datetime.timedelta(days=5), post_b),
    ):
        for i in range(count):
            AbsenceFactory(
                pupil=p, school=school, date=first + datetime.timedelta(days=i), half_day="AM", code="B"
            )
    AttestationFactory(pupil=p, school=school, school_year=YEAR, grade="S3", result="C" if c else "A")
    return p


def _received(offer, pupil, school, *, status="in_progress", outcome="", start=START):
    """A request for ``pupil`` assigned to ``offer``, in progress from ``start``."""
    r = SupportRequestFactory(
        school=school,
        pupil=pupil,
        status=status,
        outcome=outcome,
        assigned_kind="offer",
        offer=offer,
        created_at=_aware(start - datetime.timedelta(days=10)),
    )
    RequestEventFactory(request=r, at=_aware(start), from_status="assigned", to_status="in_progress")
    return r


@pytest.fixture
def city(db, make_user):
    school = SchoolFactory(school_number="300", name="School E", district="Deurne")
    run = ModelRunFactory(version="e1")
    provider = OrganisationFactory(name="Buurtwerk", kind=Organisation.Kind.YOUTH_WORK)
    other = OrganisationFactory(name="Other", kind=Organisation.Kind.OTHER)
    big = SupportOfferFactory(
        provider=provider, title="Spijbelcoaching", levels=["pupil"], predictors=["absence"]
    )
    small = SupportOfferFactory(
        provider=other, title="Huiswerkklas", levels=["pupil"], predictors=["results"]
    )
    # 6 treated: B absence falls from 6-7 to 1-2 half-days; 8 controls: it stays (6-7 -> 5-7)
    for i in range(6):
        p = _pupil(
            f"t{i}", school, run, 0.50 + i / 100, pre_b=6 + i % 2, post_b=1 + i % 2, post_risk=0.40, c=i < 2
        )
        _received(
            big, p, school, status="closed" if i == 5 else "in_progress", outcome="resolved" if i == 5 else ""
        )
    for i in range(8):
        _pupil(
            f"c{i}",
            school,
            run,
            0.50 + i / 100 + 0.003,
            pre_b=6 + i % 2,
            post_b=5 + (i + 1) % 3,
            post_risk=0.5,
            c=i < 2,
        )
    # a withdrawn request does not count as received
    w = _pupil("w0", school, run, 0.9, pre_b=0, post_b=0, post_risk=0.9)
    _received(big, w, school, status="closed", outcome="withdrawn")
    for i in range(3):
        p = _pupil(f"s{i}", school, run, 0.3, pre_b=2, post_b=2, post_risk=0.3)
        _received(small, p, school)
    return {
        "school": school,
        "big": big,
        "small": small,
        "provider": provider,
        "other": other,
        "coordinator": make_user(Role.CARE_COORDINATOR),
        "contact": make_user(Role.ORGANISATION_CONTACT, organisation=provider),
        "other_contact": make_user(Role.ORGANISATION_CONTACT, organisation=other),
    }


def test_effect_of_an_offer_with_enough_pupils(city):
    e = effects.offer_effect(city["big"], YEAR, today=datetime.date(2025, 1, 1))
    assert (e.treated, e.matched, e.unmatched) == (6, 6, 0)
    b = e.estimates["b_rate"]
    # a smaller share of B half-days than the comparison group
    assert b.n == 6 and b.effect < -0.03 and b.high < 0
    assert e.estimates["risk"].effect < 0
    assert e.estimates["c_attest"].n == 6


def test_few_pupils_are_suppressed(city):
    e = effects.offer_effect(city["small"], YEAR)
    [shown] = effects.publish_effects([e], "test")
    assert (
        e.treated == 3 and shown.treated.small and str(shown.treated) == "<5" and shown.treated.value is None
    )
    assert not shown.estimated and all(not r["shown"] and r["effect"] == "" for r in shown.rows)


def test_report_page_shows_counts_estimate_and_method(city, login, client):
    login(city["coordinator"])
    with assert_audited(count=1, subject_type="aggregate"):
        html = client.get(f"/care/effects/{city['big'].pk}/{YEAR}/").content.decode()
    assert 'id="effect-counts"' in html and 'id="effect-estimates"' in html
    assert "t0".ljust(64, "0") not in html  # aggregates only
    assert "not a randomised trial" in html or "geen gerandomiseerd" in html
    with assert_audited(count=1, subject_type="aggregate"):
        small = client.get(f"/care/effects/{city['small'].pk}/{YEAR}/").content.decode()
    assert "&lt;5" in small and 'id="effect-estimates"' not in small
    with assert_audited(count=1, subject_type="aggregate"):
        listing = client.get(f"/care/effects/?school_year={YEAR}").content.decode()
    assert "Spijbelcoaching" in listing and "Huiswerkklas" in listing and "&lt;5" in listing


def test_pdf(city, login, client):
    login(city["coordinator"])
    with assert_audited(count=1, subject_type="aggregate"):
        response = client.get(f"/care/effects/{city['big'].pk}/{YEAR}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert client.get(f"/care/effects/{city['small'].pk}/{YEAR}/pdf/").content.startswith(b"%PDF-")


ALLOWED = {Role.CARE_COORDINATOR, Role.PROGRAMME_MANAGER, Role.CITY_ANALYST, Role.ADMIN}


@pytest.mark.parametrize("role", list(Role.values))
def test_roles(role, city, make_user, login, client):
    user = city["contact"] if role == Role.ORGANISATION_CONTACT else make_user(role)
    login(user)
    listing = client.get("/care/effects/")
    report = client.get(f"/care/effects/{city['big'].pk}/{YEAR}/")
    flagged = client.get("/care/effects/flagged-schools/")
    if role in ALLOWED:
        assert listing.status_code == report.status_code == flagged.status_code == 200
    elif role == Role.ORGANISATION_CONTACT:  # own offers only, no flagged schools
        assert listing.status_code == report.status_code == 200
        assert "Huiswerkklas" not in listing.content.decode()
        assert client.get(f"/care/effects/{city['small'].pk}/{YEAR}/").status_code == 404
        assert client.get(f"/care/effects/{city['small'].pk}/{YEAR}/pdf/").status_code == 404
        assert flagged.status_code == 403
    else:
        assert listing.status_code == report.status_code == flagged.status_code == 403


def test_bad_school_year_is_404(city, login, client):
    login(city["coordinator"])
    assert client.get(f"/care/effects/{city['big'].pk}/2023-2025/").status_code == 404


def next_year_present(school):
    """A pupil still at school in 2023-2024: the registry holds the year after 2022-2023, so the
    outflow of 2022-2023 is complete (registry.outflow.report.final_years)."""
    EnrolmentFactory(
        pupil=PupilFactory(birth_date=datetime.date(2008, 3, 1)),
        school=school,
        school_year="2023-2024",
        grade="S3",
    )


def _leavers(school, n, unqualified, key):
    for i in range(n):
        p = PupilFactory(
            pupil_key=f"{key}{i:03d}".ljust(64, "0"), birth_date=datetime.date(2004, 3, 1), sex="M"
        )
        EnrolmentFactory(
            pupil=p,
            school=school,
            school_year="2022-2023",
            end_date=datetime.date(2023, 6, 30),
            grade="S6",
            track="BSO",
            end_reason="left",
        )
        if i >= unqualified:
            AttestationFactory(
                pupil=p,
                school=school,
                school_year="2022-2023",
                grade="S6",
                result="A",
                qualification="secondary_diploma",
            )


def test_flagged_schools(db, make_user, login, client):
    p = SchoolFactory(school_number="401", name="School P", district="Hoboken")
    q = SchoolFactory(school_number="402", name="School Q", district="Deurne")
    r = SchoolFactory(school_number="403", name="School R", district="Merksem")
    s = SchoolFactory(school_number="404", name="School S", district="Ekeren")
    _leavers(p, 12, 7, "p")
    _leavers(q, 6, 1, "q")  # 1 unqualified: suppressed on the outflow page, so not judged
    _leavers(r, 20, 2, "r")
    _leavers(s, 3, 3, "s")  # fewer than 5 leavers: not judged
    _leavers(SchoolFactory(school_number="405", name="School T", district="Berchem"), 10, 5, "t")
    _leavers(SchoolFactory(school_number="406", name="School U", district="Berchem"), 9, 0, "u")
    next_year_present(r)
    flags = effects.flag_schools_without_support("2023-2024")
    assert flags.outcome_year == "2022-2023"
    assert [f.school_number for f in flags.schools] == ["401"]
    login(make_user(Role.CARE_COORDINATOR))
    with assert_audited(count=1, subject_type="aggregate"):
        html = client.get("/care/effects/flagged-schools/?school_year=2023-2024").content.decode()
    assert "School P" in html and "School Q" not in html and "School S" not in html
    # a withdrawn request does not count; a real one does
    SupportRequestFactory(
        school=p,
        pupil=None,
        subject_level="school",
        status="closed",
        outcome="withdrawn",
        created_at=_aware(datetime.date(2023, 10, 2)),
    )
    assert [f.school_number for f in effects.flag_schools_without_support("2023-2024").schools] == ["401"]
    SupportRequestFactory(
        school=p, pupil=None, subject_level="school", created_at=_aware(datetime.date(2023, 10, 3))
    )
    assert effects.flag_schools_without_support("2023-2024").schools == []
    assert (
        "flagged-none" in client.get("/care/effects/flagged-schools/?school_year=2023-2024").content.decode()
    )


def test_yearly_command(city, tmp_path, capsys):
    call_command("care_effects", "--school-year", YEAR, "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "Spijbelcoaching" in out and "<5" in out
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 2 and all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
