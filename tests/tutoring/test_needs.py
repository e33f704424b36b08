"""Pupils' tutoring needs: entry with consent, scope, priority, the list, withdraw.

Also the shared set-up of the matching tests (``build_world`` and the ``make_*`` helpers), imported by
test_matching_db, test_matches, test_roles_matching and test_reports.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.models import ModelRun
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.models import Pupil, PupilAccountLink, School
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import Initiative, Match, MatchRun, Tutor, TutoringNeed
from tests.factories import (
    ClbFactory,
    EnrolmentFactory,
    InitiativeFactory,
    MatchFactory,
    ModelRunFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
    TutorFactory,
    TutoringNeedFactory,
    pupil_key,
    school_year_start,
)

# --- shared set-up ------------------------------------------------------------------------------------
# Dates are read from the (Brussels) clock when a test runs, never when the module is imported.


def consent_on() -> datetime.date:
    """The day consent was given in these tests: three days ago."""
    return clock.today() - datetime.timedelta(days=3)


def key(name: str) -> str:
    return pupil_key(name)


def make_pupil(school: School, first: str, last: str = "Testpupil", *, grade: str = "S2", oki: int = 0, band: str | None = None,
               run: ModelRun | None = None) -> Pupil:
    start = school_year_start()
    flags = [i < oki for i in range(4)]
    p = PupilFactory(pupil_key=key(first + last), birth_date=datetime.date(clock.today().year - 13, 3, 1),
                     first_name=first, last_name=last,
                     characteristics={"as_of": start, "home_language_not_dutch": flags[0], "mother_low_education": flags[1],
                                      "school_allowance": flags[2], "neighbourhood_high_delay": flags[3]})
    EnrolmentFactory(pupil=p, school=school, grade=grade)
    if band:
        run = run or ModelRunFactory(version="test", model_name="x")
        RiskScoreFactory(pupil=p, school=school, reference_date=start, model_run=run, band=band, grade=grade)
    return p


def give_band(pupil: Pupil, band: str, *, reference_date: datetime.date | None = None):
    """A new latest EWS score of ``band`` for the pupil (the matching reads the priority from it at every run)."""
    enrolment = pupil.enrolments.order_by("-start_date").first()
    return RiskScoreFactory(pupil=pupil, school=enrolment.school, reference_date=reference_date or clock.today(),
                            model_run=ModelRunFactory(), band=band, grade=enrolment.grade)


def make_tutor(initiative: Initiative, first: str, *, subjects=("maths",), user=None, status=Tutor.Status.ACTIVE, capacity: int = 1,
               min_level: int = 7, max_level: int = 12, slots=(1, 4), modes=("online", "offline"), languages=("nl",), district="Deurne",
               language_support: bool = False, approved_at=None, left_at=None) -> Tutor:
    extra = {"approved_at": approved_at} if approved_at else {}
    return TutorFactory(
        initiative=initiative, user=user, first_name=first, status=status, languages=list(languages), subjects=list(subjects),
        min_level=min_level, max_level=max_level, language_support=language_support, slots=list(slots), modes=list(modes),
        district=district, capacity=capacity, left_at=left_at, **extra)


def make_need(pupil: Pupil, school: School, *, subject="maths", level=8, slots=(1,), modes=("online",), priority=3, status="waiting",
              created_at=None, **kw) -> TutoringNeed:
    if created_at:
        kw["created_at"] = created_at
    return TutoringNeedFactory(pupil=pupil, school=school, subject=subject, level=level, slots=list(slots), modes=list(modes),
                               priority=priority, status=status, **kw)


def activate(need: TutoringNeed, tutor: Tutor, *, started_on=None, run=None) -> Match:
    need.status = TutoringNeed.Status.MATCHED
    need.save(update_fields=["status"])
    return MatchFactory(run=run, need=need, tutor=tutor, started_on=started_on or clock.today())


def build_world(make_user) -> dict:
    """Schools A (Deurne) and B (Hoboken), pupils a1..a6 and b1..b3 (S2), initiatives X and Y with a coordinator
    each, school staff and a CLB worker of A, staff of B."""
    clb_x, clb_y = ClbFactory(name="CLB X"), ClbFactory(name="CLB Y")
    a = SchoolFactory(school_number="100", name="School A", network="GO", district="Deurne", clb=clb_x)
    b = SchoolFactory(school_number="200", name="School B", network="CITY", district="Hoboken", clb=clb_y)
    w = {"A": a, "B": b, "X_clb": clb_x}
    for i in range(1, 7):
        w[f"a{i}"] = make_pupil(a, f"Amira{i}", "Alphalast")
    for i in range(1, 4):
        w[f"b{i}"] = make_pupil(b, f"Bram{i}", "Betalast")
    w["cx"], w["cy"] = make_user(Role.TUTOR_COORDINATOR), make_user(Role.TUTOR_COORDINATOR)
    w["X"] = InitiativeFactory(name="Initiative X", kind="volunteer", coordinators=[w["cx"]])
    w["Y"] = InitiativeFactory(name="Initiative Y", kind="company", coordinators=[w["cy"]])
    w["staff"] = make_user(Role.SCHOOL_STAFF, school=a)
    w["staff_b"] = make_user(Role.SCHOOL_STAFF, school=b)
    w["clb"] = make_user(Role.CLB_WORKER, clb=clb_x)
    return w


def link_youth(make_user, pupil: Pupil):
    user = make_user(Role.YOUTH)
    PupilAccountLinkFactory(user=user, pupil=pupil, relation=PupilAccountLink.Relation.SELF)
    return user


@pytest.fixture
def world(db, make_user):
    return build_world(make_user)


def form_data(pupil: Pupil, **over) -> dict:
    data = {"pupil": pupil.pupil_key, "subject": "maths", "level": "8", "languages": ["nl"], "home_language": "", "slots": ["1", "7"],
            "modes": ["online", "offline"], "district": "Deurne", "description": "Wil oefenen met breuken.", "consent_by": "parent",
            "consent_on": consent_on().isoformat(),
            "initiatives": [str(pk) for pk in Initiative.objects.filter(active=True).values_list("pk", flat=True)]}
    data.update(over)
    return data


# --- entering a need -----------------------------------------------------------------------------------

def test_need_without_consent_is_refused(world, login, client):
    staff, pupil = world["staff"], world["a1"]
    with pytest.raises(svc.MatchingError, match="consent"):
        svc.need_create(user=staff, pupil=pupil, subject="maths", consent_by="", consent_on=consent_on(), slots=[1], modes=["online"])
    with pytest.raises(svc.MatchingError, match="date"):
        svc.need_create(user=staff, pupil=pupil, subject="maths", consent_by="parent", consent_on=None, slots=[1], modes=["online"])
    with pytest.raises(svc.MatchingError, match="future"):
        svc.need_create(user=staff, pupil=pupil, subject="maths", consent_by="parent", consent_on=clock.today() + datetime.timedelta(days=1),
                        slots=[1], modes=["online"])
    login(staff)
    response = client.post("/tutoring/needs/new/", form_data(pupil, consent_by="", consent_on=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say who gave consent for tutoring" in html and "Give the date on which consent was given" in html
    assert "Traceback" not in html
    assert not TutoringNeed.objects.exists()


def test_school_staff_cannot_enter_a_need_for_a_pupil_of_another_school(world, login, client):
    staff, other = world["staff"], world["b1"]
    login(staff)
    with assert_audited(count=0, action=None):
        assert client.get(f"/tutoring/needs/new/?pupil={other.pupil_key}").status_code == 404
        assert client.post("/tutoring/needs/new/", form_data(other)).status_code == 404
    with pytest.raises(PermissionDenied):
        svc.need_create(user=staff, pupil=other, subject="maths", consent_by="parent", consent_on=consent_on(), slots=[1], modes=["online"])
    assert not TutoringNeed.objects.exists()


@pytest.mark.parametrize("role", [Role.TUTOR_COORDINATOR, Role.TUTOR, Role.CITY_ANALYST, Role.YOUTH, Role.ADMIN])
def test_other_roles_cannot_enter_needs(role, world, make_user, login, client):
    login(make_user(role))
    assert client.get(f"/tutoring/needs/new/?pupil={world['a1'].pupil_key}").status_code in (403, 404)
    assert client.post("/tutoring/needs/new/", form_data(world["a1"])).status_code in (403, 404)
    assert not TutoringNeed.objects.exists()


@pytest.mark.parametrize("bands, oki, expected", [
    ([], 0, 3),
    (["low"], 1, 3),
    (["medium"], 0, 2),
    (["high"], 2, 1),
    (["low"], 3, 2),        # OKI 3 raises by one
    (["medium"], 4, 1),
    (["high"], 4, 1),       # never above 1
    (["high", "low"], 0, 3),  # the LATEST band counts
    (["low", "medium"], 0, 2),
])
def test_priority_from_the_latest_band_and_oki(bands, oki, expected, world):
    school = world["A"]
    pupil = make_pupil(school, "Prio", "Case", oki=oki)
    run = ModelRunFactory(version="prio", model_name="x")
    for i, band in enumerate(bands):
        RiskScoreFactory(pupil=pupil, school=school, reference_date=school_year_start() + datetime.timedelta(days=30 * i), model_run=run, risk=0.3,
                         band=band)
    assert svc.need_priority(pupil) == expected
    need = svc.need_create(user=world["staff"], pupil=pupil, subject="maths", consent_by="pupil", consent_on=consent_on(), slots=[1],
                           modes=["online"], initiatives=[world["X"]])
    assert need.priority == expected


def test_the_form_is_prefilled_from_the_query_and_the_pupil(world, login, client):
    login(world["staff"])
    pupil = world["a1"]
    with assert_audited(count=1, subject_type="pupil", subjects=[pupil.pupil_key]):
        response = client.get(f"/tutoring/needs/new/?pupil={pupil.pupil_key}&subject=french")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="french" selected>' in html
    assert '<option value="8" selected>S2</option>' in html  # level from the grade S2
    assert '<option value="Deurne" selected>' in html         # the school's district
    assert 'id="slot-grid"' in html and 'for="slot-0"' in html
    assert "Amira1 Alphalast" in html


def test_entering_a_need_through_the_page(world, login, client):
    pupil = make_pupil(world["A"], "Nora", "Nieuw", oki=3, band="medium")
    login(world["staff"])
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[pupil.pupil_key]):
        response = client.post("/tutoring/needs/new/", form_data(pupil, level="9", language_support="on", home_language="ar",
                                                                 languages=["nl", "fr"], district=""))
    need = TutoringNeed.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tutoring/needs/{need.pk}/"
    assert (need.level, need.age_group, need.priority, need.status) == (9, "upper_secondary", 1, "waiting")
    assert need.language_support and need.home_language == "ar" and need.languages == ["nl", "fr"]
    assert need.slots == [1, 7] and need.modes == ["online", "offline"]
    assert need.district == "Deurne" and need.school == world["A"] and need.created_by == world["staff"]
    assert (need.consent_by, need.consent_on) == ("parent", consent_on())


def test_clear_messages_for_bad_input(world, login, client):
    login(world["staff"])
    pupil = world["a1"]
    html = client.post("/tutoring/needs/new/", form_data(pupil, slots=[], modes=[])).content.decode()
    assert "Tick at least one moment in the week" in html and "Choose online, face to face or both" in html
    html = client.post("/tutoring/needs/new/", form_data(pupil, description="Heeft ADHD en dyslexie")).content.decode()
    assert "Leave diagnoses and medical information out" in html and "adhd" in html
    html = client.post("/tutoring/needs/new/", form_data(pupil, level="99")).content.decode()
    assert "Select a valid choice" in html
    assert not TutoringNeed.objects.exists()
    svc.need_create(user=world["staff"], pupil=pupil, subject="maths", consent_by="parent", consent_on=consent_on(), slots=[1], modes=["online"],
                    initiatives=[world["X"]])
    html = client.post("/tutoring/needs/new/", form_data(pupil)).content.decode()
    assert "already has an open need for this subject" in html
    assert TutoringNeed.objects.count() == 1


def test_clb_worker_enters_a_need_for_a_school_they_serve(world, login, client):
    login(world["clb"])
    assert client.post("/tutoring/needs/new/", form_data(world["a2"])).status_code == 302
    assert client.post("/tutoring/needs/new/", form_data(world["b2"])).status_code == 404
    assert TutoringNeed.objects.get().school == world["A"]


def test_the_pupil_page_links_to_the_need_form(world, login, client):
    login(world["staff"])
    html = client.get(f"/registry/pupils/{world['a1'].pupil_key}/").content.decode()
    assert f'href="/tutoring/needs/new/?pupil={world["a1"].pupil_key}"' in html


# --- the list and withdrawing --------------------------------------------------------------------------

def test_the_school_list_shows_status_waiting_since_and_the_tutors_first_name(world, login, client):
    a1, a2, a3 = world["a1"], world["a2"], world["a3"]
    waiting = make_need(a1, world["A"], created_at=timezone.now() - datetime.timedelta(days=10))
    matched = make_need(a2, world["A"])
    ended = make_need(a3, world["A"], status="ended")
    make_need(world["b1"], world["B"])
    tutor = make_tutor(world["X"], "Tijs")
    activate(matched, tutor, started_on=clock.today() - datetime.timedelta(days=5))
    MatchFactory(need=ended, tutor=tutor, status="ended", started_on=school_year_start(), ended_on=clock.today(), end_reason="goal_reached")
    login(world["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/tutoring/needs/").content.decode()
    assert audit.subjects() == {a1.pupil_key, a2.pupil_key, a3.pupil_key}
    assert "Amira1 Alphalast" in html and "Bram1" not in html
    assert (clock.today() - datetime.timedelta(days=10)).isoformat() in html and "10 days" in html
    assert "Tijs" in html and "Tutorlast" not in html  # the tutor's first name only
    assert "ended" in html
    assert f'href="/tutoring/needs/{waiting.pk}/"' in html


def test_withdraw_a_need(world, login, client):
    need = make_need(world["a1"], world["A"])
    login(world["staff"])
    html = client.get(f"/tutoring/needs/{need.pk}/").content.decode()
    assert 'id="withdraw-form"' in html
    stale = client.post(f"/tutoring/needs/{need.pk}/withdraw/", {"version": need.version + 5})
    assert stale.status_code == 409 and "Someone else changed this" in stale.content.decode()  # the kernel's answer to a stale version
    need.refresh_from_db()
    assert need.status == "waiting"  # stale version: refused
    with assert_audited(count=1, action="update", subjects=[world["a1"].pupil_key]):
        client.post(f"/tutoring/needs/{need.pk}/withdraw/", {"version": need.version})
    need.refresh_from_db()
    assert need.status == "withdrawn" and need.closed_at is not None
    # staff of another school: 404
    login(world["staff_b"])
    assert client.post(f"/tutoring/needs/{need.pk}/withdraw/", {"version": need.version}).status_code == 404


def test_withdrawing_a_matched_need_ends_the_match(world):
    need = make_need(world["a1"], world["A"])
    match = activate(need, make_tutor(world["X"], "Tijs"))
    svc.need_withdraw(user=world["staff"], need=need, version=need.version)
    match.refresh_from_db()
    assert match.status == "ended" and match.end_reason == "pupil_stopped" and match.ended_on == clock.today()
    assert TutoringNeed.objects.get(pk=need.pk).status == "withdrawn"
    assert not MatchRun.objects.exists()
