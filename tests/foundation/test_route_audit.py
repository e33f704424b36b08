"""Every route that shows a person writes exactly one audit entry naming that person.

The table below has an entry for every route of the URL configuration (walked recursively): either
how to request it as a role that may see a person and whom it shows (``Shows``; also an invalid POST
where the page shows the person again), or why it shows nobody (``NoPerson``). A new route without
an entry fails ``test_every_route_has_an_entry``, naming the route.

The worlds are the apps' own test worlds (the fixtures of tests/ews, tests/care, tests/tutoring,
tests/assessments and tests/portfolio), plus what each route needs on top of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.access import PersonQuerySet
from leerloopbaan.kernel.audit.models import AuditEntry
from tests.assessments.conftest import city as assessments_city  # noqa: F401 (fixture)
from tests.care.conftest import care  # noqa: F401 (fixture)
from tests.ews.test_roles_ews import city as ews_city  # noqa: F401 (fixture)
from tests.foundation.routes import route_keys
from tests.portfolio.conftest import attested, city_user, make_issuer, make_youth, skill  # noqa: F401 (fixtures)
from tests.tutoring.test_needs import link_youth
from tests.tutoring.test_roles_matching import world as tutoring  # noqa: F401 (fixture)

# --- the table ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shows:
    """Request ``url(w)`` as ``role`` (a key of the world, or ``(w, make_user) -> user``; None: anonymous):
    exactly one audit entry names ``person(w)`` (a pupil key, or ``tutor:<id>``). ``post(w)``: the data of an
    invalid POST that shows the person again (the form with its errors)."""

    world: str
    role: str | Callable | None
    url: Callable[[dict], str]
    person: Callable[[dict], str]
    post: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class NoPerson:
    reason: str


STATIC = NoPerson("static or public: no person's data")
LOGIN = NoPerson("login, logout, password reset, second factor: the user's own account only")
AGGREGATE = NoPerson("aggregates only (counts, rates, suppressed small cells): no person")
CATALOGUE = NoPerson("institutions, offers or reference data (schools, offers, organisations, ESCO, keys): no person")
POST_ONLY = NoPerson("POST only: a write whose service entry names the person; it redirects and shows nobody")
NUMBERS = NoPerson("a form or numbers of runs and initiatives: no pupil or tutor by name")


def staff_of(school_key: str):
    return lambda w, make_user: make_user(Role.SCHOOL_STAFF, school=w[school_key])


def key(pupil) -> str:
    return pupil.pupil_key


def tutor_subject(tutor) -> str:
    return f"tutor:{tutor.pk}"


def fellow(w):
    from leerloopbaan.tutoring.models import Tutor

    return Tutor.objects.get(initiative=w["X"], first_name="Xavier")


def proposal(w):
    return w["x_run"].matches.select_related("need__pupil").order_by("pk").first()


TABLE: dict[str, NoPerson | tuple[Shows, ...]] = {
    # site and accounts
    "home-root": AGGREGATE,
    "site:home": AGGREGATE,
    "accounts:login": LOGIN,
    "accounts:logout": LOGIN,
    "accounts:two_factor": LOGIN,
    "accounts:enrol": LOGIN,
    "accounts:account": LOGIN,
    "accounts:password_reset": LOGIN,
    "accounts:password_reset_done": LOGIN,
    "accounts:password_reset_confirm": LOGIN,
    "accounts:password_reset_complete": LOGIN,
    "set_language": STATIC,
    "javascript-catalog": STATIC,
    "api-root": STATIC,
    "api-schema": STATIC,
    "admin:*": NoPerson("the operator's admin: users, organisations, schools, imports, reference data and the audit log; "
                        "no person-data model is registered (test_no_person_model_in_the_admin)"),
    # registry
    "registry:pupil_list": (Shows("ews_city", staff_of("A"), lambda w: "/registry/pupils/", lambda w: key(w["a0"])),),
    "site:pupil": (Shows("ews_city", staff_of("A"), lambda w: f"/registry/pupils/{key(w['a0'])}/", lambda w: key(w["a0"])),),
    # the upload form and the user's own imports (files and counts: an import is the service's entry); city
    # analysts and admins also see the rows of school imports held for the city, by pseudonym: a read
    "registry:import": (Shows("import_world", lambda w, make_user: make_user(Role.CITY_ANALYST), lambda w: "/registry/import/",
                              lambda w: key(w["a0"])),
                        Shows("import_world", lambda w, make_user: make_user(Role.ADMIN), lambda w: "/registry/import/",
                              lambda w: key(w["a0"]))),
    "registry:outflow": AGGREGATE,
    "registry:primary_school": AGGREGATE,
    "api-school-list": CATALOGUE,
    "api-school-detail": CATALOGUE,
    "api-pupil-list": (Shows("ews_city", staff_of("A"), lambda w: "/api/v1/pupils/", lambda w: key(w["a0"])),),
    "api-pupil-detail": (Shows("ews_city", staff_of("A"), lambda w: f"/api/v1/pupils/{key(w['a0'])}/", lambda w: key(w["a0"])),),
    # early warning
    "ews:risk_list": (Shows("ews_city", staff_of("A"), lambda w: "/ews/risk/", lambda w: key(w["a0"])),),
    "ews:risk_list_export": (Shows("ews_city", staff_of("A"), lambda w: "/ews/risk/export/?format=csv", lambda w: key(w["a0"])),),
    # the follow-up form shows the pupil's name (GET); the POST is the service's write
    "ews:follow_up": (Shows("ews_city", staff_of("A"), lambda w: f"/ews/risk/{key(w['a0'])}/follow-up/", lambda w: key(w["a0"])),),
    "site:risk_changes": (Shows("ews_city", staff_of("A"), lambda w: "/home/risk-changes/up/", lambda w: key(w["a7"])),),
    "ews:portrait_home": CATALOGUE,
    "ews:portrait": AGGREGATE,
    "ews:portrait_pdf": AGGREGATE,
    "ews:portrait_comment": POST_ONLY,
    "ews:city_dashboard": AGGREGATE,
    "ews:city_monitoring": AGGREGATE,
    "ews:model_card": AGGREGATE,
    "ews:model_card_run": AGGREGATE,
    # care: offers, requests, cases, handovers, effects
    "care:offer_list": CATALOGUE,
    "care:offer_new": CATALOGUE,
    "care:offer_detail": CATALOGUE,
    "care:offer_edit": CATALOGUE,
    "care:request_list": (Shows("care_world", "staff", lambda w: "/care/requests/", lambda w: key(w["a7"])),),
    "care:request_new": (Shows("care_world", "staff", lambda w: f"/care/requests/new/?pupil_key={key(w['a0'])}", lambda w: key(w["a0"]),
                               post=lambda w: {"pupil_key": key(w["a0"]), "subject_level": "pupil", "description": ""}),),
    "care:request_detail": (Shows("care_world", "staff", lambda w: f"/care/requests/{w['request'].pk}/", lambda w: key(w["a7"])),
                            Shows("care_world", "coordinator", lambda w: f"/care/requests/{w['request'].pk}/", lambda w: key(w["a7"]))),
    "care:request_action": POST_ONLY,
    "care:case_list": (Shows("care_world", "clb", lambda w: "/care/cases/", lambda w: key(w["a3"])),),
    "care:case_new": (Shows("care_world", "clb", lambda w: f"/care/cases/new/?pupil_key={key(w['a1'])}", lambda w: key(w["a1"])),
                      Shows("care_world", "coordinator", lambda w: f"/care/cases/new/?request={w['request'].pk}", lambda w: key(w["a7"]))),
    "care:case_detail": (Shows("care_world", "clb", lambda w: f"/care/cases/{w['case'].pk}/", lambda w: key(w["a3"])),),
    "care:case_action": POST_ONLY,
    "care:handover_list": (Shows("care_world", "staff", lambda w: "/care/handovers/", lambda w: key(w["a5"])),),
    "care:follow_up_list": (Shows("care_world", "coordinator", lambda w: "/care/handovers/follow-up/", lambda w: key(w["a5"])),),
    "care:handover_detail": (Shows("care_world", "staff", lambda w: f"/care/handovers/{w['handover'].pk}/", lambda w: key(w["a5"])),),
    "care:handover_action": POST_ONLY,
    "care:effect_list": AGGREGATE,
    "care:flagged_schools": AGGREGATE,
    "care:effect_report": AGGREGATE,
    "care:effect_report_pdf": AGGREGATE,
    # tutoring: tutors
    "tutoring:signup": NoPerson("public sign-up: the visitor's own form; a sign-up is the service's entry"),
    "tutoring:signup_done": STATIC,
    "tutoring:tutor_list": (Shows("tutoring", "cx", lambda w: "/tutoring/tutors/", lambda w: tutor_subject(w["tutor"])),),
    "tutoring:tutor_detail": (Shows("tutoring", "cx", lambda w: f"/tutoring/tutors/{w['tutor'].pk}/", lambda w: tutor_subject(w["tutor"])),),
    "tutoring:tutor_profile": (Shows("tutoring", "cx", lambda w: f"/tutoring/tutors/{w['tutor'].pk}/profile/",
                                     lambda w: tutor_subject(w["tutor"]), post=lambda w: {"first_name": ""}),),
    "tutoring:tutor_screening": (Shows("tutoring", "cx", lambda w: f"/tutoring/tutors/{w['tutor'].pk}/screening/",
                                       lambda w: tutor_subject(w["tutor"])),),
    "tutoring:tutor_decide": POST_ONLY,
    "tutoring:tutor_training": (Shows("tutoring", "cx", lambda w: f"/tutoring/tutors/{w['tutor'].pk}/training/",
                                      lambda w: tutor_subject(w["tutor"]), post=lambda w: {}),),
    "tutoring:tutor_status": POST_ONLY,
    "tutoring:tutor_review": (Shows("tutoring", "cx", lambda w: f"/tutoring/tutors/{w['tutor'].pk}/review/",
                                    lambda w: tutor_subject(w["tutor"]), post=lambda w: {}),
                              Shows("tutoring", "tutor_user", lambda w: f"/tutoring/tutors/{fellow(w).pk}/review/",
                                    lambda w: tutor_subject(fellow(w)), post=lambda w: {})),
    "tutoring:initiative_edit": NUMBERS,
    "tutoring:me_profile": (Shows("tutoring", "tutor_user", lambda w: "/tutoring/me/", lambda w: tutor_subject(w["tutor"]),
                                  post=lambda w: {}),),
    "tutoring:me_status": POST_ONLY,
    "tutoring:me_training": (Shows("tutoring", "tutor_user", lambda w: "/tutoring/me/training/", lambda w: tutor_subject(w["tutor"])),),
    "tutoring:me_fellows": (Shows("tutoring", "tutor_user", lambda w: "/tutoring/me/fellows/", lambda w: tutor_subject(fellow(w))),),
    # tutoring: needs, runs, matches
    "tutoring:need_list": (Shows("tutoring", "staff", lambda w: "/tutoring/needs/", lambda w: key(w["p1"])),
                           Shows("tutoring", "cx", lambda w: "/tutoring/needs/", lambda w: key(w["a5"])),
                           # the other initiative's coordinator: the waiting needs that asked Y, and Y's own matches
                           Shows("tutoring", "cy", lambda w: "/tutoring/needs/", lambda w: key(w["a4"]))),
    "tutoring:need_new": (Shows("tutoring", "staff", lambda w: f"/tutoring/needs/new/?pupil={key(w['a1'])}", lambda w: key(w["a1"]),
                                post=lambda w: {"pupil": key(w["a1"])}),),
    "tutoring:need_detail": (Shows("tutoring", "staff", lambda w: f"/tutoring/needs/{w['n1'].pk}/", lambda w: key(w["p1"])),
                             Shows("tutoring", "cx", lambda w: f"/tutoring/needs/{w['n1'].pk}/", lambda w: key(w["p1"])),
                             Shows("tutoring", "cy", lambda w: f"/tutoring/needs/{w['m_y'].need_id}/", lambda w: key(w["a4"]))),
    "tutoring:need_withdraw": POST_ONLY,
    "tutoring:run_list": NUMBERS,
    "tutoring:run_new": NUMBERS,
    "tutoring:rematch": NUMBERS,
    "tutoring:city_run": NUMBERS,
    "tutoring:run_detail": (Shows("tutoring", "cx", lambda w: f"/tutoring/runs/{w['x_run'].pk}/", lambda w: key(proposal(w).need.pupil)),),
    "tutoring:run_publish": POST_ONLY,
    "tutoring:run_discard": POST_ONLY,
    "tutoring:match_action": (Shows("tutoring", "cx", lambda w: f"/tutoring/runs/{w['x_run'].pk}/proposals/override/?need={proposal(w).need_id}",
                                    lambda w: key(proposal(w).need.pupil), post=lambda w: {"need": proposal(w).need_id}),),
    "tutoring:match_list": (Shows("tutoring", "cx", lambda w: "/tutoring/matches/", lambda w: key(w["p1"])),),
    "tutoring:match_detail": (Shows("tutoring", "cx", lambda w: f"/tutoring/matches/{w['m1'].pk}/", lambda w: key(w["p1"])),),
    "tutoring:match_end": POST_ONLY,
    "tutoring:checkin_new": (Shows("tutoring", "tutor_user", lambda w: f"/tutoring/matches/{w['m1'].pk}/check-in/", lambda w: key(w["p1"]),
                                   post=lambda w: {}),),
    "tutoring:my_pupils": (Shows("tutoring", "tutor_user", lambda w: "/tutoring/me/pupils/", lambda w: key(w["p1"])),),
    "tutoring:my_tutoring": (Shows("tutoring", lambda w, make_user: link_youth(make_user, w["p1"]), lambda w: "/tutoring/me/tutoring/",
                                   lambda w: key(w["p1"])),),
    "tutoring:reports": AGGREGATE,
    # learning-gain tests
    "assessments:index": NoPerson("redirects to the page of the user's role"),
    "assessments:pupil": (Shows("assessments_city", "staff", lambda w: f"/assessments/pupils/{key(w['a0'])}/", lambda w: key(w["a0"])),),
    "assessments:result_new": (Shows("assessments_city", "staff", lambda w: f"/assessments/results/new/?pupil_key={key(w['a0'])}",
                                     lambda w: key(w["a0"]), post=lambda w: {"pupil_key": key(w["a0"])}),),
    "assessments:proposals": (Shows("assessments_city", "staff", lambda w: "/assessments/proposals/", lambda w: key(w["a0"])),),
    "assessments:norms": AGGREGATE,
    "assessments:growth": AGGREGATE,
    # talent portfolio: the youth's side, shares, verification
    "portfolio:home": (Shows("portfolio_world", "parent", lambda w: "/portfolio/", lambda w: key(w["pupil"])),),
    "site:children": (Shows("portfolio_world", "parent", lambda w: "/children/", lambda w: key(w["pupil"])),),
    "site:child_export": (Shows("portfolio_world", "parent", lambda w: f"/children/{key(w['pupil'])}/export.json",
                                lambda w: key(w["pupil"])),),
    "portfolio:portfolio": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/", lambda w: key(w["pupil"])),
                            Shows("portfolio_world", "parent", lambda w: f"/portfolio/me/{w['portfolio'].pk}/", lambda w: key(w["pupil"]))),
    "portfolio:entry_new": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/entries/new/",
                                  lambda w: key(w["pupil"]), post=lambda w: {"title": ""}),),
    "portfolio:entry": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/entries/{w['credential'].entry_id}/",
                              lambda w: key(w["pupil"])),),
    "portfolio:entry_parent": POST_ONLY,
    "portfolio:evidence_file": (Shows("portfolio_world", "youth",
                                      lambda w: f"/portfolio/me/{w['portfolio'].pk}/evidence/{w['evidence'].pk}/", lambda w: key(w["pupil"])),),
    "portfolio:code": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/code/", lambda w: key(w["pupil"])),),
    "portfolio:request_new": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/requests/new/",
                                    lambda w: key(w["pupil"]), post=lambda w: {"message": ""}),),
    "portfolio:settings": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/settings/",
                                 lambda w: key(w["pupil"]), post=lambda w: {"display_name": ""}),),
    "portfolio:link_end": POST_ONLY,
    "portfolio:grant_new": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/shares/new/",
                                  lambda w: key(w["pupil"]), post=lambda w: {"audience_name": ""}),),
    "portfolio:grant": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/shares/{w['grant'].pk}/",
                              lambda w: key(w["pupil"])),),
    "portfolio:grant_revoke": POST_ONLY,
    "portfolio:credential_json": (
        Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/credentials/{w['credential'].pk}.json",
              lambda w: key(w["pupil"])),
        Shows("portfolio_world", "contact", lambda w: f"/portfolio/me/{w['portfolio'].pk}/credentials/{w['credential'].pk}.json",
              lambda w: key(w["pupil"]))),
    "portfolio:export": (Shows("portfolio_world", "youth", lambda w: f"/portfolio/me/{w['portfolio'].pk}/export.zip", lambda w: key(w["pupil"])),),
    "portfolio:share": (Shows("portfolio_world", None, lambda w: f"/portfolio/s/{w['grant'].token}/", lambda w: key(w["pupil"])),),
    "portfolio:share_credential": (Shows("portfolio_world", None, lambda w: f"/portfolio/s/{w['grant'].token}/credentials/{w['credential'].pk}.json",
                                         lambda w: key(w["pupil"])),),
    "portfolio:verify": NoPerson("checks a credential the visitor brings; reads nothing stored about anyone"),
    "api-credential-verify": NoPerson("checks a credential the caller sends; reads nothing stored about anyone"),
    "portfolio:issuer_did": STATIC,
    "portfolio:status_list": NoPerson("a published status list: one bit per credential, no person"),
    # talent portfolio: organisations and the city
    "portfolio:register": NoPerson("public registration of an organisation"),
    "portfolio:register_done": STATIC,
    "portfolio:places": CATALOGUE,
    "portfolio:achievement_public": CATALOGUE,
    "portfolio:org_home": NoPerson("the organisation's own page with counts: no young person"),
    "portfolio:org_achievements": CATALOGUE,
    "portfolio:org_achievement_new": CATALOGUE,
    "portfolio:esco_search": CATALOGUE,
    "portfolio:org_redeem": NoPerson("a code form; redeeming a code is the service's entry (and a redirect)"),
    "portfolio:org_youths": (Shows("portfolio_world", "contact", lambda w: "/portfolio/org/youths/", lambda w: key(w["pupil"])),),
    "portfolio:org_youth": (Shows("portfolio_world", "contact", lambda w: f"/portfolio/org/youths/{w['portfolio'].pk}/",
                                  lambda w: key(w["pupil"]), post=lambda w: {}),),
    "portfolio:org_requests": (Shows("portfolio_world", "contact", lambda w: "/portfolio/org/requests/", lambda w: key(w["pupil"])),),
    "portfolio:org_request": (Shows("portfolio_world", "contact", lambda w: f"/portfolio/org/requests/{w['attestation_request'].pk}/",
                                    lambda w: key(w["pupil"]), post=lambda w: {"action": "decline"}),),
    "portfolio:org_credentials": (Shows("portfolio_world", "contact", lambda w: "/portfolio/org/credentials/", lambda w: key(w["pupil"])),),
    "portfolio:org_credential": (Shows("portfolio_world", "contact", lambda w: f"/portfolio/org/credentials/{w['credential'].pk}/",
                                       lambda w: key(w["pupil"]), post=lambda w: {}),),
    "portfolio:org_keys": CATALOGUE,
    "portfolio:org_places": CATALOGUE,
    "portfolio:city_issuers": CATALOGUE,
    "portfolio:city_figures": AGGREGATE,
}


# --- the worlds, on top of the apps' own --------------------------------------------------------------

@pytest.fixture
def care_world(care):  # noqa: F811 (the fixture imported above)
    """The care tests' city, with a support request about a7, a case about a3 (CLB X manages it) and a
    handover of a5 from school A to school B left unacknowledged for a month."""
    from leerloopbaan.care.cases import services as cases
    from leerloopbaan.care.models import Handover
    from leerloopbaan.care.requests import services as requests

    care["request"] = requests.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                                      description="Veel afwezig", name_attached=True)
    care["case"] = cases.case_open(user=care["clb"], pupil=care["a3"], summary="Meerdere problemen")
    care["handover"] = Handover.objects.create(pupil=care["a5"], from_school=care["A"], to_school=care["B"], kind="school_change",
                                               opened_at=timezone.now() - datetime.timedelta(days=30))
    return care


@pytest.fixture
def import_world(ews_city):  # noqa: F811 (the fixture imported above)
    """The early warning's city, with a school import whose enrolment of a0 was held for the city."""
    from leerloopbaan.registry.models import ImportRun

    ImportRun.objects.create(source="upload", status=ImportRun.Status.DONE, finished_at=timezone.now(), held=[
        {"file": "enrolments.csv", "kind": "enrolments", "pupil_key": key(ews_city["a0"]),
         "values": {"school_number": "200", "school_year": ews_city["year"], "start_date": "2020-10-01", "end_date": None}}])
    return ews_city


@pytest.fixture
def portfolio_world(attested, make_youth, settings, tmp_path):  # noqa: F811
    """The portfolio tests' attested youth, with an entry with an evidence file, a share of the attested
    entry, a request to the organisation, and a parent of two children (the choice on the home page)."""
    from leerloopbaan.portfolio.models import Evidence
    from leerloopbaan.portfolio.youth import services
    from leerloopbaan.registry.models import PupilAccountLink

    settings.MEDIA_ROOT = tmp_path
    w = attested
    today = timezone.localdate()
    entry = services.entry_create(user=w["youth"], portfolio=w["portfolio"], kind="experience", title="Jeugdkamp",
                                  started_on=today - datetime.timedelta(days=40), parent_visible=True,
                                  evidence_file=SimpleUploadedFile("bewijs.pdf", b"%PDF-1.4 test", content_type="application/pdf"))
    w["evidence"] = Evidence.objects.get(entry=entry, kind="file")
    w["grant"] = services.grant_create(user=w["youth"], portfolio=w["portfolio"], entries=[w["credential"].entry], audience="employer",
                                       audience_name="Bakkerij", expires_on=today + datetime.timedelta(days=30))
    w["attestation_request"] = services.request_create(user=w["youth"], portfolio=w["portfolio"], issuer=w["issuer"],
                                                       message="Mag ik een attest?", entry=entry)
    sibling, _youth, _parent = make_youth(9, "Tom")
    PupilAccountLink.objects.create(user=w["parent"], pupil=sibling, relation="parent")
    return w


# --- the tests ------------------------------------------------------------------------------------------

def test_every_route_has_an_entry():
    routes = route_keys()
    missing = [r for r in routes if r not in TABLE]
    assert not missing, (
        "routes without an entry in tests/foundation/test_route_audit.py TABLE (say whom they show and how to request them, "
        f"or why they show nobody): {missing}")
    stale = [k for k in TABLE if k not in routes]
    assert not stale, f"entries for routes that no longer exist: {stale}"


def test_no_person_model_in_the_admin():
    """The admin is one table entry: it must not show a person-data model."""
    registered = [m._meta.label for m in admin.site._registry if issubclass(m._default_manager._queryset_class, PersonQuerySet)]
    assert not registered, f"person-data models in the admin (they would bypass visible_to and the audit): {registered}"


CASES = [(route, n, method) for route, entry in TABLE.items() if isinstance(entry, tuple)
         for n, shows in enumerate(entry) for method in (("GET", "POST") if shows.post else ("GET",))]


def _entries_naming(person: str, since: int) -> list[AuditEntry]:
    return [e for e in AuditEntry.objects.filter(id__gt=since).order_by("id") if person in e.subjects.split()]


@pytest.mark.parametrize(("route", "n", "method"), CASES, ids=[f"{r}-{n}-{m}" for r, n, m in CASES])
def test_a_route_that_shows_a_person_names_them_in_exactly_one_entry(route, n, method, request, make_user, login, client):
    shows = TABLE[route][n]
    w = request.getfixturevalue(shows.world)
    if shows.role is not None:
        user = shows.role(w, make_user) if callable(shows.role) else w[shows.role]
        login(user)
    url, person = shows.url(w), shows.person(w)
    since = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.post(url, shows.post(w)) if method == "POST" else client.get(url)
    assert response.status_code == 200, f"{method} {url}: {response.status_code}"
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    entries = _entries_naming(person, since)
    assert len(entries) == 1, f"{method} {url} ({route}) wrote {len(entries)} entries naming {person[:16]}: " + "; ".join(
        f"{e.action} {e.subject_type} {e.purpose!r}" for e in entries)
    assert entries[0].action in ("read", "export")
    if shows.role is not None:
        assert entries[0].actor_id == user.pk


def test_the_table_covers_every_kind_of_person_page():
    """A guard against a table that shows nothing: the person routes are many, and invalid POSTs are among them."""
    assert len({r for r, _n, _m in CASES}) >= 50
    assert sum(1 for _r, _n, m in CASES if m == "POST") >= 15
