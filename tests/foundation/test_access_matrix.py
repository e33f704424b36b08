"""The access matrix: every route that takes an id, requested as every role of one party with the ids of another.

Two parties, "a" (ours) and "b" (theirs), each with a school and its CLB, a second school of that CLB
(where a handover goes), a tutoring initiative with its coordinator and a tutor, a young person with a
parent, and an organisation that issues credentials and offers care; and with every kind of object the
id-taking routes accept: a pupil with names, enrolment, absence, attestation, risk score and follow-up,
a support request, a case with a note, a handover, tutoring needs (one matched, one waiting in a draft
run), a match with a check-in, a test result, a portfolio with an entry, evidence, a credential, a share
and a request to the organisation. Every free text of party b carries a marker (``Zqb...``).

For every route of the URL configuration with parameters (``tests.foundation.routes.id_routes``) the
table ``MATRIX`` says how to fill its parameters from a party's objects. Each role's user of party a
requests the route with party b's ids (GET; POST for the POST-only routes, with empty data): the answer
must be a refusal (403, 404, 405, the login page) or a page without any of party b's markers, names or
pupil keys, and no audit entry may name one of party b's people (a read or a write of theirs). A
redirect is followed once and checked the same way. Roles that see every party's object by design
(the city's care coordinators see every request) are named in the entry with the reason.

So that the matrix cannot pass by refusing everyone, each entry names the roles (``owners``) that do
get the page with their own party's ids (200, or for a POST the form's way back: a redirect).

A new route with parameters and no entry fails ``test_every_id_route_has_a_matrix_entry``.

Beside the URL parameters: the pages with a form are posted with the other party's ids by their owners;
ids in the query string or a form (``QUERY_IDS``, listed by hand); our object around theirs (our
portfolio with their entry, our run with their need: ``mixed``); wrong share and reset tokens; users of
party a whose membership of party b ended yesterday; and a pupil who moved from school b to school a,
whose new school must not see what the old school wrote (follow-up, request, case, need, check-in).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from leerloopbaan.accounts.roles import Role, requires_two_factor
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.models import AuditEntry
from tests.factories import (
    AbsenceFactory,
    AttestationFactory,
    CheckInFactory,
    ClbFactory,
    EnrolmentFactory,
    EscoSkillFactory,
    InitiativeFactory,
    IssuerFactory,
    ModelRunFactory,
    PeerReviewFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    ResultFactory,
    RiskScoreFactory,
    SchoolFactory,
    SupportOfferFactory,
    TutorFactory,
    TutoringNeedFactory,
    UserFactory,
    pupil_key,
    school_year_start,
    this_school_year,
)
from tests.foundation.routes import id_routes

ROLES = list(Role)
CITY_WIDE = (Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.CARE_COORDINATOR, Role.ADMIN)


# --- the two parties ------------------------------------------------------------------------------------

class Party(dict):
    """One party's objects and users (``party["pupil"]``, ``party.user(role)``) and its markers."""

    @property
    def tag(self) -> str:
        return self["tag"]

    def user(self, role):
        return self["users"][str(role)]

    def markers(self) -> list[str]:
        """What must not reach another party: every marker, the pupils' keys and short keys."""
        out = list(self["marks"])
        for pupil in (self["pupil"], self["pupil2"]):
            out += [pupil.pupil_key, pupil.short_key]
        return out

    def subjects(self) -> set[str]:
        """Whom party's people are in the audit log: the pupils' keys and the tutor."""
        return {self["pupil"].pupil_key, self["pupil2"].pupil_key, f"tutor:{self['tutor'].pk}", f"tutor:{self['tutor2'].pk}"}


def _mark(tag: str, what: str, marks: list[str]) -> str:
    value = f"Zq{tag}{what}"
    marks.append(value)
    return value


def build_party(tag: str, city: dict) -> Party:
    from leerloopbaan.accounts.models import User
    from leerloopbaan.assessments.models import Instrument
    from leerloopbaan.care.cases import services as cases
    from leerloopbaan.care.models import Handover, SupportRequest
    from leerloopbaan.care.requests import services as requests
    from leerloopbaan.ews.services import follow_up_record
    from leerloopbaan.portfolio.models import Evidence
    from leerloopbaan.portfolio.youth import services as portfolio
    from leerloopbaan.tutoring.matching import services as matching
    from leerloopbaan.tutoring.models import Match, TutoringNeed

    marks: list[str] = []
    m = lambda what: _mark(tag, what, marks)  # noqa: E731
    today, start = clock.today(), school_year_start()
    year = this_school_year()
    P = tag.upper()
    district = "Deurne" if tag == "a" else "Hoboken"
    clb = ClbFactory(name=f"CLB {P}")
    school = SchoolFactory(school_number=f"9{ord(tag):05d}", name=f"School {P}", district=district, clb=clb)
    school2 = SchoolFactory(school_number=f"8{ord(tag):05d}", name=f"School {P}2", district=district, clb=clb)
    users = {
        Role.SCHOOL_STAFF: UserFactory(role=Role.SCHOOL_STAFF, school=school, email=f"staff-{tag}@example.test"),
        Role.CLB_WORKER: UserFactory(role=Role.CLB_WORKER, clb=clb, email=f"clb-{tag}@example.test"),
        Role.TUTOR_COORDINATOR: UserFactory(role=Role.TUTOR_COORDINATOR, email=f"coordinator-{tag}@example.test"),
        Role.TUTOR: UserFactory(role=Role.TUTOR, email=f"tutor-{tag}@example.test"),
        Role.YOUTH: UserFactory(role=Role.YOUTH, email=f"youth-{tag}@example.test"),
        Role.PARENT: UserFactory(role=Role.PARENT, email=f"parent-{tag}@example.test"),
    }
    staff, clb_worker = users[Role.SCHOOL_STAFF], users[Role.CLB_WORKER]

    # the registry and the early warning: a 15-year-old in S3 of the school, and a second pupil
    def pupil_of(n: str):
        p = PupilFactory(pupil_key=pupil_key(f"matrix {tag} {n}"), birth_date=datetime.date(today.year - 15, 1, 1),
                         first_name=m(f"First{n}"), last_name=m(f"Last{n}"), characteristics={"as_of": start})
        EnrolmentFactory(pupil=p, school=school, school_year=year, grade="S3", track="ASO")
        AttestationFactory(pupil=p, school=school, school_year=f"{start.year - 1}-{start.year}", grade="S2")
        AbsenceFactory(pupil=p, school=school, date=start + datetime.timedelta(days=10))
        RiskScoreFactory(pupil=p, school=school, reference_date=start + datetime.timedelta(days=20), model_run=city["run"],
                         risk=0.9, band="high", reasons=[city["reason"]], grade="S3", track="ASO")
        return p

    pupil, pupil2 = pupil_of("pupil"), pupil_of("pupiltwo")
    follow_up_record(user=staff, pupil=pupil, kind="conversation", note=m("Followupnote"))
    PupilAccountLinkFactory(user=users[Role.YOUTH], pupil=pupil, relation="self")
    PupilAccountLinkFactory(user=users[Role.PARENT], pupil=pupil, relation="parent")

    # the organisation: a verified issuer (its contact's account comes with it) that also offers care
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        issuer = IssuerFactory(name=f"Organisation {P}", contact_email=f"contact-{tag}@example.test", verified_by=city["analyst"])
    contact = User.objects.get(email=issuer.contact_email)
    users[Role.ORGANISATION_CONTACT] = contact
    offer = SupportOfferFactory(provider=issuer.organisation, title=f"Offer {P}", districts=[district], age_min=10, age_max=20)

    # care: a request (name attached), a case with a note, a handover to the CLB's other school
    request = requests.support_request_create(user=staff, school=school, subject_level="pupil", pupil=pupil,
                                              description=m("Requesttext"), name_attached=True)
    # assigned to the organisation's offer, so the organisation's contact sees it (first name only)
    SupportRequest.objects.filter(pk=request.pk).update(status=SupportRequest.Status.ASSIGNED, assigned_kind="offer", offer=offer,
                                                        organisation=issuer.organisation)
    case = cases.case_open(user=clb_worker, pupil=pupil, summary=m("Casesummary"))
    note = cases.case_note_add(user=clb_worker, case=case, text=m("Casenote"))
    handover = Handover.objects.create(pupil=pupil, from_school=school, to_school=school2, to_clb=clb, kind="school_change",
                                       opened_at=clock.now() - datetime.timedelta(days=3))

    # tutoring: the initiative's tutor matched with the pupil (a check-in), a second tutor, and a draft run
    # that proposes the second pupil's waiting need
    coordinator = users[Role.TUTOR_COORDINATOR]
    initiative = InitiativeFactory(name=f"Initiative {P}", coordinators=[coordinator])
    tutor = TutorFactory(initiative=initiative, user=users[Role.TUTOR], first_name=m("Tutorfirst"), last_name=m("Tutorlast"),
                         email=f"{m('Tutormail').lower()}@example.test", district=district, capacity=1)
    tutor2 = TutorFactory(initiative=initiative, first_name=m("Secondtutor"), last_name=m("Secondlast"),
                          email=f"{m('Secondmail').lower()}@example.test", district=district, capacity=2, slots=[1], modes=["online"])
    PeerReviewFactory(tutor=tutor, reviewer=coordinator, comment=m("Reviewcomment"))
    need = matching.need_create(user=staff, pupil=pupil, subject="maths", consent_by="parent",
                                consent_on=today - datetime.timedelta(days=3), slots=[1], modes=["online"],
                                description=m("Needtext"), initiatives=[initiative])
    TutoringNeed.objects.filter(pk=need.pk).update(status=TutoringNeed.Status.MATCHED)
    match = Match.objects.create(need=need, tutor=tutor, status="active", mode="online", score=70, started_on=today)
    CheckInFactory(match=match, comment=m("Checkintext"))
    need2 = TutoringNeedFactory(pupil=pupil2, school=school, subject="maths", level=9, slots=[1], modes=["online"], district=district,
                                description=m("Secondneed"), initiatives=[initiative])
    run = matching.run_create(user=coordinator, initiative=initiative)
    proposal = run.matches.order_by("pk").first()
    assert proposal is not None and proposal.need_id == need2.pk, "the draft run should propose the second pupil's need"

    # learning-gain tests
    ResultFactory(pupil=pupil, instrument=Instrument.objects.order_by("pk").first(), date=today - datetime.timedelta(days=5))

    # the talent portfolio: opened by the youth, an entry with a file, a credential of the organisation,
    # a share of it and a request to the organisation
    youth = users[Role.YOUTH]
    folio = portfolio.portfolio_open(user=youth, pupil=pupil)
    portfolio.portfolio_settings(user=youth, portfolio=folio, display_name=m("Displayname"), parent_sees_all=True)
    entry = portfolio.entry_create(user=youth, portfolio=folio, kind="experience", title=m("Entrytitle"), description=m("Entrytext"),
                                   started_on=today - datetime.timedelta(days=40), parent_visible=True,
                                   evidence_file=SimpleUploadedFile("bewijs.pdf", b"%PDF-1.4 test", content_type="application/pdf"))
    evidence = Evidence.objects.get(entry=entry, kind="file")
    achievement = portfolio.achievement_create(user=contact, name=f"Achievement {P}", description="Plays in a team.",
                                               criteria="A season.", esco_skill=EscoSkillFactory())
    code = portfolio.code_create(user=youth, portfolio=folio)
    portfolio.code_redeem(user=contact, code=code.code)
    credential = portfolio.credential_issue(user=contact, portfolio=folio, achievement=achievement, note=m("Credentialnote"))
    grant = portfolio.grant_create(user=youth, portfolio=folio, entries=[credential.entry], audience="employer",
                                   audience_name=m("Audience"), expires_on=today + datetime.timedelta(days=30))
    attestation_request = portfolio.request_create(user=youth, portfolio=folio, issuer=issuer, message=m("Requestmessage"), entry=entry)

    # a one-time link for the school's staff member to set up an authenticator
    from leerloopbaan.accounts.services import enrolment_invite

    enrol = enrolment_invite(user=staff, base_url="http://testserver/").removeprefix("http://testserver")

    for role in CITY_WIDE:
        users[role] = city["users"][role]
    return Party(tag=tag, marks=marks, users={str(k): v for k, v in users.items()}, school=school, school2=school2, clb=clb,
                 pupil=pupil, pupil2=pupil2, request=request, case=case, note=note, handover=handover, offer=offer,
                 initiative=initiative, tutor=tutor, tutor2=tutor2, need=need, need2=need2, match=match, run=run, proposal=proposal,
                 issuer=issuer, achievement=achievement, portfolio=folio, entry=entry, evidence=evidence, credential=credential,
                 grant=grant, attestation_request=attestation_request, year=year, enrol=enrol, model_run=city["run"])


def build_moved(a: Party, b: Party, city: dict) -> dict:
    """A pupil who was at school b last year and is at school a now, with what party b wrote about them
    while they were there: a follow-up, a support request, a case with a note, a tutoring need matched
    with b's tutor and a check-in. The pupil's name is party a's to see now; b's texts are not."""
    from leerloopbaan.care.cases import services as cases
    from leerloopbaan.care.requests import services as requests
    from leerloopbaan.ews.services import follow_up_record

    marks: list[str] = []
    m = lambda what: _mark("s", what, marks)  # noqa: E731
    today, start = clock.today(), school_year_start()
    last = f"{start.year - 1}-{start.year}"
    pupil = PupilFactory(pupil_key=pupil_key("matrix moved"), birth_date=datetime.date(today.year - 15, 1, 1),
                         first_name="Moved", last_name="Pupil", characteristics={"as_of": start})
    EnrolmentFactory(pupil=pupil, school=b["school"], school_year=last, start_date=datetime.date(start.year - 1, 9, 1),
                     end_date=datetime.date(start.year, 6, 30), grade="S2", track="ASO")
    EnrolmentFactory(pupil=pupil, school=a["school"], school_year=this_school_year(), grade="S3", track="ASO")
    RiskScoreFactory(pupil=pupil, school=b["school"], reference_date=datetime.date(start.year, 3, 1), model_run=city["run"],
                     risk=0.9, band="high", reasons=[city["reason"]], grade="S2", track="ASO")
    staff_b, clb_b = b.user(Role.SCHOOL_STAFF), b.user(Role.CLB_WORKER)
    follow_up_record(user=staff_b, pupil=pupil, kind="other", note=m("Followup"))
    request = requests.support_request_create(user=staff_b, school=b["school"], subject_level="pupil", pupil=pupil,
                                              description=m("Request"), name_attached=True)
    case = cases.case_open(user=clb_b, pupil=pupil, summary=m("Casesummary"))
    cases.case_note_add(user=clb_b, case=case, text=m("Casenote"))
    need = TutoringNeedFactory(pupil=pupil, school=b["school"], subject="dutch", status="matched", description=m("Need"),
                               initiatives=[b["initiative"]])
    from leerloopbaan.tutoring.models import Match

    match = Match.objects.create(need=need, tutor=b["tutor2"], status="active", mode="online", score=70, started_on=today)
    CheckInFactory(match=match, comment=m("Checkin"))
    return {"pupil": pupil, "marks": marks, "request": request, "match": match}


def build_former(a: Party, b: Party) -> dict:
    """Users of party a who worked for party b until yesterday (a membership that ended): school staff,
    a CLB worker and an organisation's contact."""
    from leerloopbaan.accounts.models import Membership
    from leerloopbaan.accounts.services import membership_add

    yesterday = clock.today() - datetime.timedelta(days=1)
    out = {}
    for role, ours, theirs in ((S, {"school": a["school"]}, {"school": b["school"]}), (CLB, {"clb": a["clb"]}, {"clb": b["clb"]}),
                               (OC, {"organisation": a["issuer"].organisation}, {"organisation": b["issuer"].organisation})):
        user = UserFactory(role=role, email=f"former-{role}@example.test", **ours)
        ended = membership_add(user=user, start_date=datetime.date(2000, 1, 1), **theirs)
        Membership.objects.filter(pk=ended.pk).update(end_date=yesterday)
        out[str(role)] = user
    return out


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(scope="module")
def parties(django_db_setup, django_db_blocker, media):
    """Both parties, built once for the module inside a transaction of every database that is rolled back
    at its end; each test runs in a savepoint of its own (``db``), so a write a request makes is undone."""
    from django.core.cache import cache
    from django.db import connections

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomics = [transaction.atomic(using=alias) for alias in connections]
        for atomic in atomics:
            atomic.__enter__()
        try:
            cache.clear()
            city_users = {role: UserFactory(role=role, email=f"{role}@example.test") for role in CITY_WIDE}
            city = {"users": city_users, "analyst": city_users[Role.CITY_ANALYST],
                    "run": ModelRunFactory(version="matrix", approved=True),
                    "reason": {"area": "absence", "text_nl": "Veel B-afwezigheden", "text_en": "Many B absences", "contribution": 0.2}}
            built = {"a": build_party("a", city), "b": build_party("b", city)}
            built["moved"] = build_moved(built["a"], built["b"], city)
            built["former"] = build_former(built["a"], built["b"])
            yield built
        finally:
            for atomic in reversed(atomics):
                transaction.set_rollback(True, using=atomic.using)
                atomic.__exit__(None, None, None)
            cache.clear()


@pytest.fixture(autouse=True)
def _media(media, settings):
    settings.MEDIA_ROOT = str(media)


def sign_in(client, user):
    """The client signed in as ``user``, past the second factor where the role needs it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if requires_two_factor(user.role):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


# --- the table ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """How to request a route with a party's ids: ``url(party)``; ``post``: the route takes POST only (sent
    with ``data(party)``, else empty). ``owners``: the roles that get it with their own party's ids. ``city``:
    roles that see every party's object by design, with the reason (the leak check is not made for them).
    A page that also takes a POST (its form) is posted by its owners with ``form(party)`` (else empty).
    ``mixed(ours, theirs)``: the URL with our object around their object (our portfolio, their entry),
    requested by our owners."""

    url: Callable[[Party], str]
    owners: tuple[str, ...] = ()
    post: bool = False
    city: dict[str, str] = field(default_factory=dict)
    data: Callable[[Party], dict] | None = None
    form: Callable[[Party], dict] | None = None
    mixed: Callable[[Party, Party], str] | None = None


@dataclass(frozen=True)
class Public:
    """A public route whose parameter is a secret (a token) or a public identifier (a slug, an issuer's did):
    requested with party b's parameter by every role, and with a wrong token by nobody."""

    reason: str
    url: Callable[[Party], str]
    wrong: Callable[[Party], str] | None = None
    holder_only: bool = False  # the token is one user's: another user gets nothing with the right token either


S, CLB, TC, T = Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.TUTOR_COORDINATOR, Role.TUTOR
OC, Y, PA, CC = Role.ORGANISATION_CONTACT, Role.YOUTH, Role.PARENT, Role.CARE_COORDINATOR
ADMIN, AN, PM = Role.ADMIN, Role.CITY_ANALYST, Role.PROGRAMME_MANAGER

@dataclass(frozen=True)
class Pseudonym:
    """The role sees every party's person by design, but never a pupil's name (``hidden``: the markers that
    must still not show)."""

    reason: str
    hidden: str = r"Zqb(First|Last)"


COORDINATORS_SEE_ALL_REQUESTS = "the city's care coordinators take every school's support requests (intake and assignment)"
COORDINATORS_SEE_CASE_METADATA = Pseudonym("the city's care coordinators see every case's metadata (short key, status), never its "
                                           "notes nor, unless they take part, the pupil's name", hidden=r"Zqb(First|Last|Casenote)")
COORDINATORS_SEE_ALL_HANDOVERS = Pseudonym("the city's care coordinators follow up every handover left unacknowledged, "
                                           "by the pupil's short key (never the name)")
CATALOGUE = "an institution, offer, achievement or aggregate: no person's data, every role may see it"


EVERY_PUPIL = Pseudonym("docs/privacy.md: the city analyst and the admin see every pupil by pseudonym, never by name")
TUTORING_ADMIN = Pseudonym("docs/tutoring.md: the admin sees everything in tutoring, audited (pupils by pseudonym, privacy.md)")
PSEUDONYMS = {AN: EVERY_PUPIL, ADMIN: EVERY_PUPIL}


def pf(p: Party, rest: str = "") -> str:
    return f"/portfolio/me/{p['portfolio'].pk}/{rest}"


MATRIX: dict[str, Entry | Public] = {
    # registry and early warning
    "site:pupil": Entry(lambda p: f"/registry/pupils/{p['pupil'].pupil_key}/", owners=(S, CLB), city=PSEUDONYMS),
    "site:child_export": Entry(lambda p: f"/children/{p['pupil'].pupil_key}/export.json", owners=(PA,)),
    "api-pupil-detail": Entry(lambda p: f"/api/v1/pupils/{p['pupil'].pupil_key}/", owners=(S, CLB), city=PSEUDONYMS),
    "api-school-detail": Entry(lambda p: f"/api/v1/schools/{p['school'].school_number}/", owners=(S,), city={r: CATALOGUE for r in ROLES}),
    "ews:follow_up": Entry(lambda p: f"/ews/risk/{p['pupil'].pupil_key}/follow-up/", owners=(S,), post=True,
                           data=lambda p: {"kind": "conversation", "note": "Gesprek"}),
    "ews:portrait": Entry(lambda p: f"/ews/portrait/{p['school'].school_number}/", owners=(S, CLB)),
    # the home page's risk changes: the parameter names the change, not a party's object
    "site:risk_changes": Entry(lambda p: "/home/risk-changes/up/", owners=(S, CLB)),
    # the parties' schools are secondary, which have no primary school page (404 for everyone); who may open
    # a primary school's page is tested in tests/site/test_primary_school.py
    "registry:primary_school": Entry(lambda p: f"/registry/primary/{p['school'].school_number}/"),
    "ews:portrait_pdf": Entry(lambda p: f"/ews/portrait/{p['school'].school_number}/pdf/", owners=(S, CLB)),
    # the model card is the city's one model, the same for everyone who sees scores: no person, no party
    "ews:model_card_run": Entry(lambda p: f"/ews/model/{p['model_run'].version}/", owners=(S, CLB),
                                city={r: CATALOGUE for r in (AN, PM, ADMIN)}),
    "ews:portrait_comment": Entry(lambda p: f"/ews/portrait/{p['school'].school_number}/comment/", owners=(S,), post=True,
                                  data=lambda p: {"school_year": p["year"], "text": "Opmerking"}),
    # care
    "care:offer_detail": Entry(lambda p: f"/care/offers/{p['offer'].pk}/", owners=(S, OC, CC), city={r: CATALOGUE for r in ROLES}),
    "care:offer_edit": Entry(lambda p: f"/care/offers/{p['offer'].pk}/edit/", owners=(OC,)),
    "care:request_detail": Entry(lambda p: f"/care/requests/{p['request'].pk}/", owners=(S, CLB, CC, OC),
                                 city={CC: COORDINATORS_SEE_ALL_REQUESTS}),
    "care:request_action": Entry(lambda p: f"/care/requests/{p['request'].pk}/comment/", owners=(S, CLB, CC), post=True,
                                 city={CC: COORDINATORS_SEE_ALL_REQUESTS}),
    "care:case_detail": Entry(lambda p: f"/care/cases/{p['case'].pk}/", owners=(CLB, CC), city={CC: COORDINATORS_SEE_CASE_METADATA}),
    "care:case_action": Entry(lambda p: f"/care/cases/{p['case'].pk}/update/", owners=(CLB,), post=True),
    "care:handover_detail": Entry(lambda p: f"/care/handovers/{p['handover'].pk}/", owners=(S, CLB, CC),
                                  city={CC: COORDINATORS_SEE_ALL_HANDOVERS}),
    "care:handover_action": Entry(lambda p: f"/care/handovers/{p['handover'].pk}/acknowledge/", owners=(CLB,), post=True,
                                  city={CC: COORDINATORS_SEE_ALL_HANDOVERS}),
    "care:effect_report": Entry(lambda p: f"/care/effects/{p['offer'].pk}/{p['year']}/", city={r: CATALOGUE for r in ROLES}),
    "care:effect_report_pdf": Entry(lambda p: f"/care/effects/{p['offer'].pk}/{p['year']}/pdf/", city={r: CATALOGUE for r in ROLES}),
    # tutoring: tutors
    "tutoring:tutor_detail": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_profile": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/profile/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_screening": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/screening/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_decide": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/decision/", owners=(TC,), post=True, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_training": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/training/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_status": Entry(lambda p: f"/tutoring/tutors/{p['tutor'].pk}/status/", owners=(TC,), post=True,
                                  data=lambda p: {"action": "pause"}, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:tutor_review": Entry(lambda p: f"/tutoring/tutors/{p['tutor2'].pk}/review/", owners=(TC, T), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:initiative_edit": Entry(lambda p: f"/tutoring/initiatives/{p['initiative'].pk}/edit/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    # tutoring: needs, runs, matches
    "tutoring:need_detail": Entry(lambda p: f"/tutoring/needs/{p['need'].pk}/", owners=(S, CLB, TC), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:need_withdraw": Entry(lambda p: f"/tutoring/needs/{p['need'].pk}/withdraw/", owners=(S,), post=True, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:run_detail": Entry(lambda p: f"/tutoring/runs/{p['run'].pk}/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:run_publish": Entry(lambda p: f"/tutoring/runs/{p['run'].pk}/publish/", owners=(TC,), post=True, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:run_discard": Entry(lambda p: f"/tutoring/runs/{p['run'].pk}/discard/", owners=(TC,), post=True, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:match_action": Entry(lambda p: f"/tutoring/runs/{p['run'].pk}/proposals/override/?need={p['need2'].pk}", owners=(TC,),
                                  city={ADMIN: TUTORING_ADMIN},
                                  mixed=lambda a, b: f"/tutoring/runs/{a['run'].pk}/proposals/override/?need={b['need2'].pk}"),
    "tutoring:match_detail": Entry(lambda p: f"/tutoring/matches/{p['match'].pk}/", owners=(TC,), city={ADMIN: TUTORING_ADMIN}),
    "tutoring:match_end": Entry(lambda p: f"/tutoring/matches/{p['match'].pk}/end/", owners=(TC,), post=True, city={ADMIN: TUTORING_ADMIN}),
    "tutoring:checkin_new": Entry(lambda p: f"/tutoring/matches/{p['match'].pk}/check-in/", owners=(T,), city={ADMIN: TUTORING_ADMIN}),
    # learning-gain tests
    "assessments:pupil": Entry(lambda p: f"/assessments/pupils/{p['pupil'].pupil_key}/", owners=(S, CLB), city=PSEUDONYMS),
    # talent portfolio: the youth's side
    "portfolio:portfolio": Entry(lambda p: pf(p), owners=(Y, PA)),
    "portfolio:entry_new": Entry(lambda p: pf(p, "entries/new/"), owners=(Y,)),
    "portfolio:entry": Entry(lambda p: pf(p, f"entries/{p['entry'].pk}/"), owners=(Y, PA),
                             mixed=lambda a, b: pf(a, f"entries/{b['entry'].pk}/")),
    "portfolio:entry_parent": Entry(lambda p: pf(p, f"entries/{p['entry'].pk}/parent/"), owners=(Y,), post=True,
                                    data=lambda p: {"visible": "1"}, mixed=lambda a, b: pf(a, f"entries/{b['entry'].pk}/parent/")),
    "portfolio:evidence_file": Entry(lambda p: pf(p, f"evidence/{p['evidence'].pk}/"), owners=(Y,),
                                     mixed=lambda a, b: pf(a, f"evidence/{b['evidence'].pk}/")),
    "portfolio:code": Entry(lambda p: pf(p, "code/"), owners=(Y,)),
    "portfolio:request_new": Entry(lambda p: pf(p, "requests/new/"), owners=(Y,)),
    "portfolio:settings": Entry(lambda p: pf(p, "settings/"), owners=(Y,)),
    "portfolio:link_end": Entry(lambda p: pf(p, f"organisations/{p['issuer'].pk}/stop/"), owners=(Y,), post=True),
    "portfolio:grant_new": Entry(lambda p: pf(p, "shares/new/"), owners=(Y,)),
    "portfolio:grant": Entry(lambda p: pf(p, f"shares/{p['grant'].pk}/"), owners=(Y,), mixed=lambda a, b: pf(a, f"shares/{b['grant'].pk}/")),
    "portfolio:grant_revoke": Entry(lambda p: pf(p, f"shares/{p['grant'].pk}/stop/"), owners=(Y,), post=True,
                                   mixed=lambda a, b: pf(a, f"shares/{b['grant'].pk}/stop/")),
    "portfolio:credential_json": Entry(lambda p: pf(p, f"credentials/{p['credential'].pk}.json"), owners=(Y, OC),
                                      mixed=lambda a, b: pf(a, f"credentials/{b['credential'].pk}.json")),
    "portfolio:export": Entry(lambda p: pf(p, "export.zip"), owners=(Y,)),
    # talent portfolio: the organisation's side
    "portfolio:org_youth": Entry(lambda p: f"/portfolio/org/youths/{p['portfolio'].pk}/", owners=(OC,)),
    "portfolio:org_request": Entry(lambda p: f"/portfolio/org/requests/{p['attestation_request'].pk}/", owners=(OC,)),
    "portfolio:org_credential": Entry(lambda p: f"/portfolio/org/credentials/{p['credential'].pk}/", owners=(OC,)),
    # public routes: a secret token or a public identifier
    "portfolio:share": Public("a share link: whoever holds the token sees what the youth shared, nothing else",
                              lambda p: f"/portfolio/s/{p['grant'].token}/", wrong=lambda p: f"/portfolio/s/{p['grant'].token[:-4]}abcd/"),
    "portfolio:share_credential": Public(
        "a shared credential: only with the token of a share that holds it",
        lambda p: f"/portfolio/s/{p['grant'].token}/credentials/{p['credential'].pk}.json",
        wrong=lambda p: f"/portfolio/s/{p['grant'].token[:-4]}abcd/credentials/{p['credential'].pk}.json"),
    "portfolio:issuer_did": Public("the issuer's public key document (did:web): no person",
                                   lambda p: f"/portfolio/issuers/{p['issuer'].slug}/did.json"),
    "portfolio:status_list": Public("a published status list: one bit per credential, no person",
                                    lambda p: f"/portfolio/status/{p['issuer'].slug}/revocation/1"),
    "portfolio:achievement_public": Public("an achievement's public description: no person",
                                           lambda p: f"/portfolio/achievements/{p['achievement'].uuid}/"),
    "accounts:enrol": Public("a one-time invitation to set up an authenticator: only for the invited user, after their password",
                             lambda p: p["enrol"], wrong=lambda p: "/account/enrol/not-a-real-token-0123456789/", holder_only=True),
    "accounts:password_reset_confirm": Public("a password reset link: only with a valid token of the user's own account",
                                              lambda p: "/account/password-reset/MQ/abc-def/",
                                              wrong=lambda p: f"/account/password-reset/{p['users'][Role.YOUTH].pk}/abc-0123456789abcdef/"),
}


# Ids in the query string or the form of a route without URL parameters: listed by hand (the URL
# configuration does not say which routes read them).
QUERY_IDS: dict[str, Entry] = {
    "care:request_new?pupil_key": Entry(lambda p: f"/care/requests/new/?pupil_key={p['pupil'].pupil_key}", owners=(S,)),
    "care:request_new POST pupil_key": Entry(lambda p: "/care/requests/new/", owners=(S,), post=True, data=lambda p: {
        "pupil_key": p["pupil"].pupil_key, "subject_level": "pupil", "description": "Help", "name_attached": "on"}),
    "care:case_new?pupil_key": Entry(lambda p: f"/care/cases/new/?pupil_key={p['pupil'].pupil_key}", owners=(CLB,)),
    "care:case_new?request": Entry(lambda p: f"/care/cases/new/?request={p['request'].pk}", owners=(CC,),
                                   city={CC: COORDINATORS_SEE_ALL_REQUESTS}),
    "care:case_new POST pupil_key": Entry(lambda p: "/care/cases/new/", owners=(CLB,), post=True,
                                          data=lambda p: {"pupil_key": p["pupil"].pupil_key, "summary": "Case"}),
    "tutoring:need_new?pupil": Entry(lambda p: f"/tutoring/needs/new/?pupil={p['pupil2'].pupil_key}", owners=(S, CLB),
                                     city={ADMIN: TUTORING_ADMIN}),
    "tutoring:need_new POST pupil": Entry(lambda p: "/tutoring/needs/new/", owners=(S,), post=True, city={ADMIN: TUTORING_ADMIN},
                                          data=lambda p: {"pupil": p["pupil2"].pupil_key, "subject": "french", "level": "9",
                                                          "consent_by": "parent", "consent_on": clock.today().isoformat()}),
    "assessments:result_new?pupil_key": Entry(lambda p: f"/assessments/results/new/?pupil_key={p['pupil'].pupil_key}", owners=(S,)),
    "ews:risk_list?school": Entry(lambda p: f"/ews/risk/?school={p['school'].school_number}", owners=(S, CLB)),
    "tutoring:tutor_list?initiative": Entry(lambda p: f"/tutoring/tutors/?initiative={p['initiative'].pk}", owners=(TC,),
                                            city={ADMIN: TUTORING_ADMIN}),
    "tutoring:need_list?initiative": Entry(lambda p: f"/tutoring/needs/?initiative={p['initiative'].pk}", owners=(TC,),
                                           city={ADMIN: TUTORING_ADMIN}),
    "tutoring:run_new?initiative": Entry(lambda p: f"/tutoring/runs/new/?initiative={p['initiative'].pk}", owners=(TC,),
                                         city={ADMIN: TUTORING_ADMIN}),
    "portfolio:request_new?issuer": Entry(lambda p: pf(p, f"requests/new/?issuer={p['issuer'].pk}"), owners=(Y,),
                                          mixed=lambda a, b: pf(a, f"requests/new/?issuer={b['issuer'].pk}")),
}


# --- the tests ------------------------------------------------------------------------------------------

def test_every_id_route_has_a_matrix_entry():
    routes = id_routes()
    missing = sorted(r for r in routes if r not in MATRIX)
    assert not missing, ("routes that take an id without an entry in tests/foundation/test_access_matrix.py MATRIX (say how to fill "
                         f"their parameters from a party's objects, and which roles own them): {missing}")
    stale = sorted(k for k in MATRIX if k not in routes)
    assert not stale, f"entries for routes that no longer exist or take no parameter: {stale}"


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # a ZIP: look inside
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as z:
            content = b"".join(z.read(n) for n in z.namelist())
    return content.decode("utf-8", "replace")


def _leaks(text: str, party: Party) -> list[str]:
    lowered = text.lower()
    return [marker for marker in party.markers() if marker.lower() in lowered]


def _since() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _named(party: Party, since: int) -> list[str]:
    theirs = party.subjects()
    return [f"{e.action} {e.subject_type} {e.purpose!r}" for e in AuditEntry.objects.filter(id__gt=since).order_by("id")
            if theirs & set(e.subjects.split())]


LOGIN = re.compile(r"/account/(login|two-factor)")


def _request(client, entry, url: str, party: Party, method: str | None = None):
    if method == "POST":
        return client.post(url, entry.form(party) if entry.form else {})
    if isinstance(entry, Entry) and entry.post:
        return client.post(url, entry.data(party) if entry.data else {})
    return client.get(url)


def check_no_leak(client, entry, url: str, theirs: Party, what: str, method: str | None = None) -> None:
    since = _since()
    response = _request(client, entry, url, theirs, method)
    posting = method == "POST" or (isinstance(entry, Entry) and entry.post)
    status = response.status_code
    problems = []
    if status in (301, 302, 303):
        location = response["Location"]
        if not LOGIN.search(location):
            if posting:
                problems.append(f"a POST with the other party's ids was taken (redirect to {location})")
            followed = client.get(location)
            problems += [f"the page it redirects to ({location}) shows {m}" for m in _leaks(_body(followed), theirs)]
    elif status == 200:
        if posting:
            problems.append("a POST with the other party's ids answered 200")
        problems += [f"shows {m}" for m in _leaks(_body(response), theirs)]
    elif status not in (400, 403, 404, 405, 410):
        problems.append(f"answered {status}")
    problems += [f"audit entry names the other party: {e}" for e in _named(theirs, since)]
    problems += [f"a write was recorded: {e.action} {e.subject_type} {e.purpose!r} {e.object_repr!r}"
                 for e in AuditEntry.objects.filter(id__gt=since).exclude(action__in=("read", "export", "login"))]
    assert not problems, f"{what}: " + "; ".join(problems)


ENTRIES: dict[str, Entry] = {**{k: v for k, v in MATRIX.items() if isinstance(v, Entry)}, **QUERY_IDS}
CASES = [(route, str(role)) for route in ENTRIES for role in ROLES]


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{r}-{role}" for r, role in CASES])
def test_the_other_partys_ids_show_nothing_of_theirs(route, role, parties, db, client):
    entry = ENTRIES[route]
    ours, theirs = parties["a"], parties["b"]
    sign_in(client, ours.user(role))
    url = entry.url(theirs)
    what = f"{route} as {role} of party a, {'POST' if entry.post else 'GET'} {url}"
    if isinstance(entry.city.get(role), Pseudonym):
        response = _request(client, entry, url, theirs)
        names = [m for m in _leaks(_body(response), theirs) if re.match(entry.city[role].hidden, m)]
        assert not names, f"{what}: {entry.city[role].reason}, but it shows {names}"
        return
    if role in entry.city:
        pytest.skip(f"{role} sees every party's object: {entry.city[role]}")
    check_no_leak(client, entry, url, theirs, what)


OWNED = [(route, str(role)) for route, entry in ENTRIES.items() for role in entry.owners]


@pytest.mark.parametrize(("route", "role"), OWNED, ids=[f"{r}-{role}" for r, role in OWNED])
def test_the_owners_get_the_route_with_their_own_ids(route, role, parties, db, client):
    """The sanity side: the route answers its owners, so a refusal of the other party is not a refusal of all."""
    entry = ENTRIES[route]
    ours = parties["a"]
    sign_in(client, ours.user(role))
    url = entry.url(ours)
    response = _request(client, entry, url, ours)
    if entry.post:
        assert response.status_code in (200, 302, 303) and not LOGIN.search(response.get("Location", "")), (
            f"{route} as {role}: POST {url} answered {response.status_code} {response.get('Location', '')}")
    else:
        assert response.status_code == 200, f"{route} as {role}: GET {url} answered {response.status_code}"


# the pages with URL parameters (the query-string entries name their POSTs themselves)
POSTED = [(route, str(role)) for route, entry in MATRIX.items() if isinstance(entry, Entry) and not entry.post for role in entry.owners]


@pytest.mark.parametrize(("route", "role"), POSTED, ids=[f"{r}-{role}" for r, role in POSTED])
def test_a_post_to_a_page_of_the_other_party_is_refused(route, role, parties, db, client):
    """A page with a form, posted with the other party's ids by a role that passes the page's role check."""
    entry = MATRIX[route]
    if isinstance(entry.city.get(role), Pseudonym) or role in entry.city:
        pytest.skip(f"{role} sees every party's object")
    ours, theirs = parties["a"], parties["b"]
    sign_in(client, ours.user(role))
    url = entry.url(theirs)
    check_no_leak(client, entry, url, theirs, f"{route} as {role} of party a, POST {url}", method="POST")


MIXED = [(route, str(role)) for route, entry in ENTRIES.items() if entry.mixed for role in entry.owners]


@pytest.mark.parametrize(("route", "role"), MIXED, ids=[f"{r}-{role}" for r, role in MIXED])
def test_our_object_around_their_object_shows_nothing_of_theirs(route, role, parties, db, client):
    """Our portfolio with their entry, our run with their need: the inner id must be looked up inside the outer object."""
    entry = ENTRIES[route]
    ours, theirs = parties["a"], parties["b"]
    sign_in(client, ours.user(role))
    url = entry.mixed(ours, theirs)
    check_no_leak(client, entry, url, theirs, f"{route} as {role} of party a, {'POST' if entry.post else 'GET'} {url}")


def test_the_leak_check_can_fail(parties, db, client):
    """Our own pages show our markers, so the check that theirs are absent is not blind."""
    ours = parties["a"]
    sign_in(client, ours.user(S))
    html = _body(client.get(f"/registry/pupils/{ours['pupil'].pupil_key}/"))
    assert "ZqaFirstpupil" in html and ours["pupil"].short_key in html
    sign_in(client, ours.user(Y))
    assert "ZqaEntrytitle" in _body(client.get(pf(ours, f"entries/{ours['entry'].pk}/")))
    assert len(OWNED) >= 60


PUBLIC = [(route, str(role)) for route, entry in MATRIX.items() if isinstance(entry, Public) for role in [*ROLES, "anonymous"]]


@pytest.mark.parametrize(("route", "role"), PUBLIC, ids=[f"{r}-{role}" for r, role in PUBLIC])
def test_public_routes_with_a_wrong_token_show_nothing(route, role, parties, db, client):
    entry = MATRIX[route]
    theirs = parties["b"]
    if role != "anonymous":
        sign_in(client, parties["a"].user(role))
    if entry.wrong is not None:
        check_no_leak(client, entry, entry.wrong(theirs), theirs, f"{route} as {role} with a wrong token")
        if entry.holder_only:
            check_no_leak(client, entry, entry.url(theirs), theirs, f"{route} as {role} with another user's token")
    else:
        # a public identifier (an issuer's did, a status list, an achievement): no person's data in it
        response = client.get(entry.url(theirs))
        assert not _leaks(_body(response), theirs), f"{route}: {entry.reason}, but it shows a person's data"


def test_a_share_link_shows_what_was_shared_to_anyone(parties, db, client):
    """The sanity side of the share links: with the right token the shared credential is there."""
    theirs = parties["b"]
    response = client.get(f"/portfolio/s/{theirs['grant'].token}/")
    assert response.status_code == 200 and "Achievement B" in _body(response)
    assert client.get(f"/portfolio/s/{theirs['grant'].token}/credentials/{theirs['credential'].pk}.json").status_code == 200


def test_a_share_token_does_not_open_another_partys_credential(parties, db, client):
    ours, theirs = parties["a"], parties["b"]
    check_no_leak(client, MATRIX["portfolio:share_credential"],
                  f"/portfolio/s/{ours['grant'].token}/credentials/{theirs['credential'].pk}.json", theirs,
                  "our share token with their credential")


MOVED_PAGES = {
    "site:pupil": lambda k: f"/registry/pupils/{k}/",
    "api-pupil-detail": lambda k: f"/api/v1/pupils/{k}/",
    "assessments:pupil": lambda k: f"/assessments/pupils/{k}/",
    "tutoring:need_new": lambda k: f"/tutoring/needs/new/?pupil={k}",
    "care:request_new": lambda k: f"/care/requests/new/?pupil_key={k}",
    "care:case_new": lambda k: f"/care/cases/new/?pupil_key={k}",
    "registry:pupil_list": lambda k: "/registry/pupils/",
    "ews:risk_list": lambda k: "/ews/risk/",
    "care:request_list": lambda k: "/care/requests/",
    "care:case_list": lambda k: "/care/cases/",
    "care:handover_list": lambda k: "/care/handovers/",
    "tutoring:need_list": lambda k: "/tutoring/needs/",
    "tutoring:match_list": lambda k: "/tutoring/matches/",
    "tutoring:my_pupils": lambda k: "/tutoring/me/pupils/",
}
MOVED = [(page, str(role)) for page in MOVED_PAGES for role in (S, CLB, TC, T)]


@pytest.mark.parametrize(("page", "role"), MOVED, ids=[f"{p}-{r}" for p, r in MOVED])
def test_the_new_school_sees_nothing_the_old_school_wrote(page, role, parties, db, client):
    """Our pupil now, theirs last year: their follow-ups, requests, cases, needs and check-ins stay theirs."""
    moved = parties["moved"]
    sign_in(client, parties["a"].user(role))
    url = MOVED_PAGES[page](moved["pupil"].pupil_key)
    response = client.get(url)
    assert response.status_code in (200, 403, 404), f"{page} as {role}: GET {url} answered {response.status_code}"
    text = _body(response).lower()
    shown = [m for m in moved["marks"] if m.lower() in text]
    assert not shown, f"{page} as {role} of the new school, GET {url}: shows what the old school wrote: {shown}"


def test_the_old_school_wrote_it(parties, db, client):
    """The sanity side: the old school's staff see their own request about the pupil."""
    moved = parties["moved"]
    sign_in(client, parties["b"].user(S))
    assert "ZqsRequest" in _body(client.get(f"/care/requests/{moved['request'].pk}/"))
    sign_in(client, parties["b"].user(TC))
    html = _body(client.get(f"/tutoring/matches/{moved['match'].pk}/"))
    assert "ZqsCheckin" in html or "ZqsNeed" in html


FORMER = [(route, str(role)) for route, entry in MATRIX.items() if isinstance(entry, Entry) for role in (S, CLB, OC)
          if role not in entry.city]


@pytest.mark.parametrize(("route", "role"), FORMER, ids=[f"{r}-{role}" for r, role in FORMER])
def test_a_membership_that_ended_opens_nothing(route, role, parties, db, client):
    """Someone of party a who worked for party b until yesterday: b's ids show nothing of b's any more."""
    entry = MATRIX[route]
    theirs = parties["b"]
    sign_in(client, parties["former"][role])
    url = entry.url(theirs)
    check_no_leak(client, entry, url, theirs, f"{route} as a former {role} of party b, {'POST' if entry.post else 'GET'} {url}")


def test_a_membership_that_runs_opens_them(parties, db, client):
    """The sanity side: the same user with the membership still running sees b's pupil."""
    from leerloopbaan.accounts.models import Membership

    theirs = parties["b"]
    user = parties["former"][str(S)]
    Membership.objects.filter(user=user, school=theirs["school"]).update(end_date=None)
    sign_in(client, user)
    assert "ZqbFirstpupil" in _body(client.get(f"/registry/pupils/{theirs['pupil'].pupil_key}/"))


def test_the_invited_user_opens_their_own_invitation(parties, db, client):
    """The sanity side of the invitation links: the holder gets the set-up page."""
    ours = parties["a"]
    sign_in(client, ours.user(S))
    assert client.get(ours["enrol"]).status_code == 200
