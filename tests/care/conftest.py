import pytest

from leerloopbaan.accounts.models import Organisation
from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from tests.factories import OrganisationFactory, SupportOfferFactory

from ..ews.test_roles_ews import build_city


@pytest.fixture
def care(db, make_user):
    """The risk-list city of the early-warning tests, plus a provider with an offer and one user per party."""
    city = build_city()
    provider = OrganisationFactory(name="Buurtwerk Deurne", kind=Organisation.Kind.YOUTH_WORK)
    other_org = OrganisationFactory(name="Other provider", kind=Organisation.Kind.OTHER)
    offer = SupportOfferFactory(provider=provider, title="Spijbelcoaching", description="Coaching bij spijbelen",
                                levels=["pupil"], predictors=["absence", "wellbeing"], districts=["Deurne"], age_min=12, age_max=18)
    city.update({
        "provider": provider, "other_org": other_org, "offer": offer,
        "staff": make_user(Role.SCHOOL_STAFF, school=city["A"]),
        "staff_b": make_user(Role.SCHOOL_STAFF, school=city["B"]),
        "coordinator": make_user(Role.CARE_COORDINATOR),
        "coordinator2": make_user(Role.CARE_COORDINATOR),
        "contact": make_user(Role.ORGANISATION_CONTACT, organisation=provider),
        "other_contact": make_user(Role.ORGANISATION_CONTACT, organisation=other_org),
        "clb": make_user(Role.CLB_WORKER, clb=city["X"]),
        "clb_y": make_user(Role.CLB_WORKER, clb=city["Y"]),
        "today": clock.today(),
    })
    return city


@pytest.fixture(autouse=True)
def _english():
    """Service messages in English in these tests (pages pick their language per request)."""
    from django.utils import translation

    with translation.override("en"):
        yield
