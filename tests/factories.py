"""factory-boy factories for the shared test world: schools, pupils and what the registry holds about them,
users with a role and a membership, and the objects of the early warning, care, tutoring, assessments and
portfolio.

Models are named as ``"app_label.Model"`` so the factories follow the models wherever their modules
move. Dates default to the Brussels calendar (``kernel.clock``), evaluated when an object is built, so a
frozen or travelling clock is respected. Users are made through the account services (the audit entry
and the membership checks come with them); anything that must go through the importer (national
numbers, pseudonymisation) is written as import files instead (tests/registry/conftest.py).
"""

from __future__ import annotations

import datetime
import hashlib

import factory
from factory.django import DjangoModelFactory

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_of

PASSWORD = "a-long-test-password"
MEMBER_SINCE = datetime.date(2000, 1, 1)


def this_school_year() -> str:
    """The current school year (``2026-2027``) on the Brussels calendar."""
    return school_year_of(clock.today())


def school_year_start(year: str | None = None) -> datetime.date:
    """1 September of ``year`` (the current school year when not given)."""
    return school_year_bounds(year or this_school_year())[0]


def pupil_key(seed: str) -> str:
    """A pupil key of the right shape (64 hex characters) for a made-up pupil."""
    return hashlib.sha256(seed.encode()).hexdigest()


# --- registry --------------------------------------------------------------------------------------------

class ClbFactory(DjangoModelFactory):
    class Meta:
        model = "registry.Clb"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"CLB {n}")


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = "registry.School"

    school_number = factory.Sequence(lambda n: f"{900000 + n % 100000:06d}")
    name = factory.Sequence(lambda n: f"School {n}")
    network = "GO"
    level = "secondary"
    district = "Deurne"
    clb = factory.SubFactory(ClbFactory)


class PupilNameFactory(DjangoModelFactory):
    class Meta:
        model = "registry.PupilName"

    pupil = factory.SubFactory("tests.factories.PupilFactory")
    first_name = factory.Sequence(lambda n: f"Pupil{n}")
    last_name = "Test"


class PupilCharacteristicsFactory(DjangoModelFactory):
    class Meta:
        model = "registry.PupilCharacteristics"

    pupil = factory.SubFactory("tests.factories.PupilFactory")
    as_of = factory.LazyFunction(school_year_start)
    home_language_not_dutch = False
    mother_low_education = False
    school_allowance = False
    neighbourhood_high_delay = False


class PupilFactory(DjangoModelFactory):
    """A pupil (by pseudonym). ``first_name``/``last_name`` add the name row; ``characteristics={...}``
    adds one row of characteristics (``as_of`` defaults to the start of this school year)."""

    class Meta:
        model = "registry.Pupil"

    pupil_key = factory.Sequence(lambda n: pupil_key(f"factory pupil {n}"))
    birth_date = datetime.date(2010, 1, 1)
    sex = "F"

    @classmethod
    def _create(cls, model_class, *args, first_name=None, last_name="Test", characteristics=None, **kwargs):
        pupil = super()._create(model_class, *args, **kwargs)
        if first_name is not None:
            PupilNameFactory(pupil=pupil, first_name=first_name, last_name=last_name)
        if characteristics is not None:
            PupilCharacteristicsFactory(pupil=pupil, **characteristics)
        return pupil


class EnrolmentFactory(DjangoModelFactory):
    """An enrolment in this school year from 1 September, still running."""

    class Meta:
        model = "registry.Enrolment"

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SubFactory(SchoolFactory)
    school_year = factory.LazyFunction(this_school_year)
    start_date = factory.LazyAttribute(lambda o: school_year_start(o.school_year))
    end_date = None
    grade = "S3"


class AbsenceFactory(DjangoModelFactory):
    class Meta:
        model = "registry.Absence"

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SubFactory(SchoolFactory)
    date = factory.LazyFunction(lambda: school_year_start() + datetime.timedelta(days=30))
    half_day = "AM"
    code = "B"


class AttestationFactory(DjangoModelFactory):
    class Meta:
        model = "registry.Attestation"

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SubFactory(SchoolFactory)
    school_year = factory.LazyFunction(lambda: school_year_of(school_year_start() - datetime.timedelta(days=1)))
    grade = "S2"
    result = "A"


class PupilAccountLinkFactory(DjangoModelFactory):
    class Meta:
        model = "registry.PupilAccountLink"

    user = factory.SubFactory("tests.factories.UserFactory", role="youth")
    pupil = factory.SubFactory(PupilFactory)
    relation = "self"


# --- accounts --------------------------------------------------------------------------------------------

class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.Organisation"

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "other"


class UserFactory(DjangoModelFactory):
    """A user with a role, made through ``accounts.services.user_create``; ``school``, ``clb`` or
    ``organisation`` adds a membership through ``membership_add`` (from 1 January 2000)."""

    class Meta:
        model = "accounts.User"

    role = "school_staff"
    email = factory.LazyAttributeSequence(lambda o, n: f"{o.role}{n}@example.test")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *, role, email, password, school=None, clb=None, organisation=None,
                member_since=MEMBER_SINCE, **kwargs):
        from leerloopbaan.accounts.services import membership_add, user_create

        user = user_create(email=email, password=password, role=str(role), **kwargs)
        if school or clb or organisation:
            membership_add(user=user, school=school, clb=clb, organisation=organisation, start_date=member_since)
        return user


# --- early warning ---------------------------------------------------------------------------------------

class ModelRunFactory(DjangoModelFactory):
    class Meta:
        model = "ews.ModelRun"
        django_get_or_create = ("version",)

    version = factory.Sequence(lambda n: f"test-{n}")
    model_name = "lightgbm"
    path = "x"
    approved = True  # a run that may score: the pages never show an unapproved run's scores


class RiskScoreFactory(DjangoModelFactory):
    class Meta:
        model = "ews.RiskScore"

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SubFactory(SchoolFactory)
    reference_date = factory.LazyFunction(lambda: school_year_start() + datetime.timedelta(days=60))
    model_run = factory.SubFactory(ModelRunFactory)
    risk = 0.5
    band = "medium"
    reasons = factory.LazyFunction(list)
    grade = "S3"
    track = ""


# --- care ------------------------------------------------------------------------------------------------

class SupportOfferFactory(DjangoModelFactory):
    class Meta:
        model = "care.SupportOffer"

    provider = factory.SubFactory(OrganisationFactory, kind="youth_work")
    title = factory.Sequence(lambda n: f"Offer {n}")
    description = "Support for pupils"
    levels = factory.LazyFunction(lambda: ["pupil"])
    predictors = factory.LazyFunction(lambda: ["absence"])
    districts = factory.LazyFunction(list)


class SupportRequestFactory(DjangoModelFactory):
    """A new request of a school about one of its pupils."""

    class Meta:
        model = "care.SupportRequest"

    school = factory.SubFactory(SchoolFactory)
    pupil = factory.SubFactory(PupilFactory)
    subject_level = "pupil"
    description = "Support needed"
    status = "new"
    created_at = factory.LazyFunction(clock.now)


class RequestEventFactory(DjangoModelFactory):
    """A status change of a request: from assigned to in progress, now."""

    class Meta:
        model = "care.RequestEvent"

    request = factory.SubFactory(SupportRequestFactory)
    at = factory.LazyFunction(clock.now)
    from_status = "assigned"
    to_status = "in_progress"


class CareConsentFactory(DjangoModelFactory):
    """A consent of a parent for a pupil (care), active for a year: ``categories`` and a recipient
    (``recipient_organisation`` or ``recipient_role``; neither: the school, the CLB and the city support team)."""

    class Meta:
        model = "care.Consent"

    pupil = factory.SubFactory(PupilFactory)
    case = None
    given_by = "parent"
    what = "Wat gedeeld mag worden"
    categories = factory.LazyFunction(lambda: ["case_notes"])
    to_whom = ""
    recipient_organisation = None
    recipient_role = ""
    valid_until = factory.LazyFunction(lambda: clock.today() + datetime.timedelta(days=365))


# --- tutoring --------------------------------------------------------------------------------------------


class InitiativeFactory(DjangoModelFactory):
    """An initiative; ``coordinators=[user, ...]`` adds its coordinators."""

    class Meta:
        model = "tutoring.Initiative"
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Initiative {n}")
    kind = "volunteer"

    @factory.post_generation
    def coordinators(self, create, extracted, **kwargs):
        if create and extracted:
            self.coordinators.add(*extracted)


class TutorFactory(DjangoModelFactory):
    """An active tutor for maths in the lower secondary grades, admitted 30 days ago."""

    class Meta:
        model = "tutoring.Tutor"

    initiative = factory.SubFactory(InitiativeFactory)
    user = None
    first_name = factory.Sequence(lambda n: f"Tutor{n}")
    last_name = "Tutorlast"
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.test")
    kind = "volunteer"
    status = "active"
    languages = factory.LazyFunction(lambda: ["nl"])
    subjects = factory.LazyFunction(lambda: ["maths"])
    min_level = 7
    max_level = 12
    age_groups = factory.LazyFunction(lambda: ["lower_secondary", "upper_secondary"])
    slots = factory.LazyFunction(lambda: [1, 4])
    modes = factory.LazyFunction(lambda: ["online", "offline"])
    district = "Deurne"
    capacity = 1
    approved_at = factory.LazyFunction(lambda: clock.now() - datetime.timedelta(days=30))


class TutoringNeedFactory(DjangoModelFactory):
    """A waiting maths need, with a parent's consent of three days ago."""

    class Meta:
        model = "tutoring.TutoringNeed"
        skip_postgeneration_save = True

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SubFactory(SchoolFactory)
    subject = "maths"
    level = 8
    age_group = factory.LazyAttribute(lambda o: "lower_secondary" if o.level <= 8 else "upper_secondary")
    languages = factory.LazyFunction(lambda: ["nl"])
    slots = factory.LazyFunction(lambda: [1])
    modes = factory.LazyFunction(lambda: ["online"])
    district = factory.LazyAttribute(lambda o: o.school.district)
    priority = 3
    consent_by = "parent"
    consent_on = factory.LazyFunction(lambda: clock.today() - datetime.timedelta(days=3))
    status = "waiting"
    created_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def initiatives(self, create, extracted, **kwargs):
        """The initiatives the school asked: ``initiatives=[...]``, else every initiative there is now."""
        if not create:
            return
        if extracted is None:
            from leerloopbaan.tutoring.models import Initiative

            extracted = Initiative.objects.all()
        self.initiatives.set(extracted)


class MatchFactory(DjangoModelFactory):
    """An active match that starts today."""

    class Meta:
        model = "tutoring.Match"

    run = None
    need = factory.SubFactory(TutoringNeedFactory, status="matched")
    tutor = factory.SubFactory(TutorFactory)
    status = "active"
    mode = "online"
    score = 70
    started_on = factory.LazyFunction(clock.today)


class CheckInFactory(DjangoModelFactory):
    class Meta:
        model = "tutoring.CheckIn"

    match = factory.SubFactory(MatchFactory)
    respondent = "tutor"
    date = factory.LazyFunction(clock.today)
    sessions = 2
    rating = 4
    progress = 3
    concern = False


class PeerReviewFactory(DjangoModelFactory):
    """A coordinator's review of a tutor."""

    class Meta:
        model = "tutoring.PeerReview"

    tutor = factory.SubFactory(TutorFactory)
    reviewer = factory.SubFactory(UserFactory, role="tutor_coordinator")
    reviewer_kind = "coordinator"
    score = 4


# --- assessments -----------------------------------------------------------------------------------------

class ResultFactory(DjangoModelFactory):
    """A test result on a seeded instrument (``instrument=Instrument.objects.get(code=...)``), today."""

    class Meta:
        model = "assessments.TestResult"

    pupil = factory.SubFactory(PupilFactory)
    instrument = None
    date = factory.LazyFunction(clock.today)
    scale_score = 250.0
    scale_version = factory.LazyAttribute(lambda o: o.instrument.scale_version)


# --- portfolio -------------------------------------------------------------------------------------------

def _letters(n: int) -> str:
    """Eight capital letters that differ for every ``n`` (a consent code's shape)."""
    return "".join(chr(ord("A") + (n // 26 ** i) % 26) for i in range(8))


class EscoSkillFactory(DjangoModelFactory):
    """A made-up ESCO skill (the seeded ones are found with ``EscoSkill.objects.get(uri=...)``)."""

    class Meta:
        model = "portfolio.EscoSkill"
        django_get_or_create = ("uri",)

    uri = factory.Sequence(lambda n: f"http://data.europa.eu/esco/skill/test-{n}")
    release = "1.2.0"
    label_nl = factory.Sequence(lambda n: f"vaardigheid {n}")
    label_en = factory.Sequence(lambda n: f"skill {n}")


class IssuerFactory(DjangoModelFactory):
    """An organisation registered as an issuer through ``portfolio.youth.services.issuer_register`` (pending);
    ``verified_by=user`` lets that city user verify it through ``issuer_decide``, which makes its keys, its
    status lists and the contact's account (``User.objects.get(email=issuer.contact_email)``)."""

    class Meta:
        model = "portfolio.Issuer"

    name = factory.Sequence(lambda n: f"Youth club {n}")
    kind = "youth_work"
    contact_name = "Sam Peeters"
    contact_email = factory.Sequence(lambda n: f"issuer{n}@example.test")
    description = "Hip-hop workshops"
    website = ""
    district = "Borgerhout"

    @classmethod
    def _create(cls, model_class, *, verified_by=None, **kwargs):
        from leerloopbaan.portfolio.youth import services

        issuer = services.issuer_register(**kwargs)
        if verified_by is not None:
            issuer = services.issuer_decide(user=verified_by, issuer=issuer, verify=True, base_url="http://testserver/")
        return issuer


class AchievementFactory(DjangoModelFactory):
    class Meta:
        model = "portfolio.Achievement"

    issuer = factory.SubFactory(IssuerFactory)
    name = factory.Sequence(lambda n: f"Achievement {n}")
    description = "Shows a competence."
    criteria = "Showed it for a season."
    esco_skill = factory.SubFactory(EscoSkillFactory)


class PortfolioFactory(DjangoModelFactory):
    """The portfolio of a 15-year-old (born 1 January, fifteen years ago)."""

    class Meta:
        model = "portfolio.Portfolio"

    pupil = factory.SubFactory(PupilFactory, birth_date=factory.LazyFunction(lambda: datetime.date(clock.today().year - 15, 1, 1)))
    display_name = factory.Sequence(lambda n: f"Youth{n}")


class IssuerLinkFactory(DjangoModelFactory):
    """A portfolio shared with an issuer."""

    class Meta:
        model = "portfolio.IssuerLink"

    portfolio = factory.SubFactory(PortfolioFactory)
    issuer = factory.SubFactory(IssuerFactory)


class EntryFactory(DjangoModelFactory):
    """An experience the youth entered, from today."""

    class Meta:
        model = "portfolio.Entry"

    portfolio = factory.SubFactory(PortfolioFactory)
    kind = "experience"
    title = factory.Sequence(lambda n: f"Experience {n}")
    started_on = factory.LazyFunction(clock.today)


class EvidenceFactory(DjangoModelFactory):
    class Meta:
        model = "portfolio.Evidence"

    entry = factory.SubFactory(EntryFactory)
    kind = "link"
    url = "https://example.test/evidence"


class AttestationRequestFactory(DjangoModelFactory):
    """An open request of a youth to an issuer."""

    class Meta:
        model = "portfolio.AttestationRequest"

    portfolio = factory.SubFactory(PortfolioFactory)
    issuer = factory.SubFactory(IssuerFactory)
    achievement = None
    message = "Could you attest this?"


class ConsentCodeFactory(DjangoModelFactory):
    """A consent code, valid for an hour."""

    class Meta:
        model = "portfolio.ConsentCode"

    portfolio = factory.SubFactory(PortfolioFactory)
    code = factory.Sequence(_letters)
    expires_at = factory.LazyFunction(lambda: clock.now() + datetime.timedelta(hours=1))
