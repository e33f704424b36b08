"""Case management: opening, participants, plan, restricted notes, consents, state, optimistic locking."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from leerloopbaan.care.cases import services as services_cases
from leerloopbaan.care.models import Case, CaseGoal, CaseNote, CaseParticipant, Consent
from leerloopbaan.care.requests import services
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import CareConsentFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def pupil_request(care):
    return services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                           description="Veel afwezig, thuis moeilijk", name_attached=True)


@pytest.fixture
def case(care):
    return services_cases.case_open(user=care["coordinator"], request=pupil_request(care), summary="Meerdere problemen")


def test_open_from_a_request_makes_the_opener_manager_and_participant(care):
    req = pupil_request(care)
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[care["a7"].pupil_key]):
        case = services_cases.case_open(user=care["coordinator"], request=req)
    assert (case.pupil, case.school, case.opened_from, case.manager, case.status, case.version) == (
        care["a7"], care["A"], req, care["coordinator"], "open", 1)
    assert list(case.participants.values_list("user_id", "role")) == [(care["coordinator"].pk, "manager")]


def test_who_may_open_a_case(care):
    req = pupil_request(care)
    for user in (care["staff"], care["contact"]):
        with pytest.raises(PermissionDenied):
            services_cases.case_open(user=user, request=req)
    with pytest.raises(PermissionDenied):  # CLB Y does not serve school A
        services_cases.case_open(user=care["clb_y"], pupil=care["a7"])
    case = services_cases.case_open(user=care["clb"], pupil=care["a3"])  # CLB X serves school A: directly for a pupil
    assert (case.school, case.manager) == (care["A"], care["clb"])
    with pytest.raises(PermissionDenied):  # the support team: only for a pupil with a request
        services_cases.case_open(user=care["coordinator"], pupil=care["a3"])
    group = services.support_request_create(user=care["staff"], school=care["A"], subject_level="group", group_label="3A", description="x")
    with pytest.raises(PermissionDenied):
        services_cases.case_open(user=care["coordinator"], request=group)


def test_participants_added_and_removed_by_the_manager(care, case):
    c = care["coordinator"]
    with assert_audited(count=1, action="update", subject_type="pupil"):
        p = services_cases.case_participant_add(user=c, case=case, version=1, participant=care["staff"])
    assert p.role == "school"
    CareConsentFactory(pupil=case.pupil, recipient_organisation=care["provider"])  # a provider takes part only with a consent
    services_cases.case_participant_add(user=c, case=case, version=2, participant=care["contact"])
    assert services_cases.is_participant(care["contact"], case)
    with pytest.raises(services.CareError, match="already takes part"):
        services_cases.case_participant_add(user=c, case=case, version=3, participant=care["staff"])
    with pytest.raises(services.CareError, match="cannot take part"):  # staff of another school
        services_cases.case_participant_add(user=c, case=case, version=3, participant=care["staff_b"])
    with pytest.raises(PermissionDenied):  # only the manager
        services_cases.case_participant_add(user=care["staff"], case=case, version=3, participant=care["clb"])
    services_cases.case_participant_remove(user=c, case=case, version=3, participant=care["contact"])
    assert not services_cases.is_participant(care["contact"], case)
    assert CaseParticipant.objects.get(case=case, user=care["contact"]).removed_at is not None
    with pytest.raises(services.CareError, match="case manager cannot be removed"):
        services_cases.case_participant_remove(user=c, case=case, version=4, participant=c)
    services_cases.case_participant_add(user=c, case=case, version=4, participant=care["contact"])  # back again
    assert services_cases.is_participant(care["contact"], case)
    assert Case.objects.get(pk=case.pk).version == 5


def test_goals_tied_to_predictors_with_review_dates(care, case):
    c, review = care["coordinator"], care["today"] + datetime.timedelta(days=30)
    goal = services_cases.case_goal_add(user=c, case=case, version=1, predictor="absence", description="Elke dag op school",
                                        target="< 2 B-codes per maand", review_date=review)
    assert (goal.predictor_label(), goal.status, goal.review_date) == ("absence", "open", review)
    with pytest.raises(services.CareError, match="predictor"):
        services_cases.case_goal_add(user=c, case=case, version=2, predictor="luck", description="x", review_date=review)
    services_cases.case_participant_add(user=c, case=case, version=2, participant=care["staff"])
    goal = services_cases.case_goal_update(user=care["staff"], case=case, version=3, goal=goal, status="achieved")
    assert CaseGoal.objects.get(pk=goal.pk).status == "achieved"
    with pytest.raises(PermissionDenied):  # only the manager rewrites a goal
        services_cases.case_goal_update(user=care["staff"], case=case, version=4, goal=goal, description="iets anders")
    with pytest.raises(PermissionDenied):
        services_cases.case_goal_update(user=care["clb"], case=case, version=4, goal=goal, status="dropped")


def test_notes_only_by_participants_and_always_restricted(care, case):
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[care["a7"].pupil_key]):
        note = services_cases.case_note_add(user=care["coordinator"], case=case, text="Gesprek met moeder")
    assert note.restricted is True
    for outsider in (care["staff"], care["coordinator2"], care["clb"]):
        with pytest.raises(PermissionDenied):
            services_cases.case_note_add(user=outsider, case=case, text="x")
    with pytest.raises(services.CareError, match="Write a note"):
        services_cases.case_note_add(user=care["coordinator"], case=case, text="  ")
    assert CaseNote.objects.filter(case=case).count() == 1


def test_consent_active_withdrawn_and_expired(care, case):
    c, today = care["coordinator"], care["today"]
    consent = services_cases.consent_record(user=c, case=case, given_by="parent", what="Afwezigheden en gezinssituatie",
                                            categories=["attendance", "family"], to_whom="Buurtwerk Deurne", valid_until=today)
    assert consent.active and consent.state == "active" and consent.pupil == care["a7"]
    assert consent.category_labels() == ["attendance", "family situation"]
    with pytest.raises(services.CareError, match="valid until today or later"):
        services_cases.consent_record(user=c, case=case, given_by="pupil", what="x", to_whom="y", valid_until=today - datetime.timedelta(days=1))
    with pytest.raises(services.CareError, match="Unknown category"):
        services_cases.consent_record(user=c, case=case, given_by="pupil", what="x", to_whom="y", valid_until=today, categories=["dna"])
    expired = Consent.objects.create(pupil=care["a7"], case=case, given_by="pupil", what="x", to_whom="y",
                                     valid_until=today - datetime.timedelta(days=1))
    assert not expired.active and expired.state == "expired"
    with assert_audited(count=1, action="update", subject_type="pupil"):
        consent = services_cases.consent_withdraw(user=c, case=case, consent=consent)
    consent.refresh_from_db()
    assert not consent.active and consent.state == "withdrawn" and consent.withdrawn_at is not None
    with pytest.raises(services.CareError, match="already withdrawn"):
        services_cases.consent_withdraw(user=c, case=case, consent=consent)
    with pytest.raises(PermissionDenied):
        services_cases.consent_record(user=care["staff"], case=case, given_by="pupil", what="x", to_whom="y", valid_until=today)


def test_close_and_reopen(care, case):
    c = care["coordinator"]
    case = services_cases.case_close(user=c, case=case, version=1)
    assert (case.status, case.version) == ("closed", 2) and case.closed_at is not None
    with pytest.raises(services.TransitionNotAllowed):
        services_cases.case_close(user=c, case=case, version=2)
    with pytest.raises(services.CareError, match="closed"):
        services_cases.case_note_add(user=c, case=case, text="x")
    with pytest.raises(services.CareError, match="closed"):
        services_cases.case_goal_add(user=c, case=case, version=2, predictor="absence", description="x", review_date=care["today"])
    case = services_cases.case_reopen(user=c, case=case, version=2)
    assert (case.status, case.closed_at) == ("open", None)


def test_two_saves_of_the_same_case_version_conflict(care, case):
    c = care["coordinator"]
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)  # two tabs load version 1
    services_cases.case_update(user=c, case=first, version=first.version, summary="Versie van tab 1")
    n = AuditEntry.objects.count()
    with pytest.raises(services.Conflict, match="Someone else changed this case"):
        services_cases.case_update(user=c, case=second, version=second.version, summary="Versie van tab 2")
    with pytest.raises(services.Conflict):
        services_cases.case_goal_add(user=c, case=second, version=1, predictor="results", description="x", review_date=care["today"])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.summary, stored.version) == ("Versie van tab 1", 2)
    assert not CaseGoal.objects.filter(case=case).exists() and AuditEntry.objects.count() == n


def test_the_update_itself_checks_the_version(care, case, monkeypatch):
    """Even when both pass the read check (a race), the UPDATE ... WHERE version=%s matches 0 rows for the second."""
    c = care["coordinator"]
    services_cases.case_update(user=c, case=case, version=1, summary="eerst")
    real_get = Case.objects.select_for_update().get

    class StaleManager:
        def get(self, **kw):
            row = real_get(**kw)
            row.version = 1
            return row

    monkeypatch.setattr(Case.objects, "select_for_update", lambda: StaleManager())
    with pytest.raises(services.Conflict):
        services_cases.case_update(user=c, case=case, version=1, summary="tweede")
    assert Case.objects.get(pk=case.pk).summary == "eerst"


def test_conflict_message_in_the_page(care, case, login, client):
    login(care["coordinator"])
    client.post(f"/care/cases/{case.pk}/update/", {"version": 1, "summary": "eerste"})
    c2 = client.__class__()
    login(care["coordinator"], c2)
    html = c2.post(f"/care/cases/{case.pk}/update/", {"version": 1, "summary": "tweede"}, follow=True).content.decode()
    assert "Someone else changed this case" in html or "Iemand anders" in html
    assert Case.objects.get(pk=case.pk).summary == "eerste"


def test_pages_open_a_case_and_work_on_it(care, login, client):
    req = pupil_request(care)
    login(care["coordinator"])
    assert f'href="/care/cases/new/?request={req.pk}"' in client.get(f"/care/requests/{req.pk}/").content.decode()
    assert client.get(f"/care/cases/new/?request={req.pk}").status_code == 200
    response = client.post("/care/cases/new/", {"request": req.pk, "summary": "Samen aanpakken"})
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == f"/care/cases/{case.pk}/"
    client.post(f"/care/cases/{case.pk}/participant_add/", {"version": 1, "user": care["staff"].pk, "role": ""})
    client.post(f"/care/cases/{case.pk}/goal_add/", {"version": 2, "predictor": "absence", "description": "Elke dag naar school",
                                                     "target": "", "review_date": (clock.today() + datetime.timedelta(days=14)).isoformat()})
    client.post(f"/care/cases/{case.pk}/note/", {"text": "Huisbezoek gepland"})
    client.post(f"/care/cases/{case.pk}/consent/", {"given_by": "parent", "what": "Afwezigheden", "categories": ["attendance"],
                                                    "to_whom": "CLB X", "valid_until": clock.today().isoformat()})
    case.refresh_from_db()
    assert case.version == 3 and case.goals.count() == 1 and case.notes.count() == 1 and case.consents.count() == 1
    assert services_cases.is_participant(care["staff"], case)
    html = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "Huisbezoek gepland" in html and "Elke dag naar school" in html and "Anouk7 Test" in html
    consent = case.consents.get()
    client.post(f"/care/cases/{case.pk}/consent_withdraw/", {"consent": consent.pk})
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
    client.post(f"/care/cases/{case.pk}/close/", {"version": 3})
    assert Case.objects.get(pk=case.pk).status == "closed"
    assert client.post(f"/care/cases/{case.pk}/nonsense/", {}).status_code == 404


def test_clb_worker_opens_a_case_for_a_pupil(care, login, client):
    login(care["clb"])
    assert client.get(f"/care/cases/new/?pupil_key={care['a2'].pupil_key}").status_code == 200
    client.post("/care/cases/new/", {"pupil_key": care["a2"].pupil_key, "summary": ""})
    assert Case.objects.get().manager == care["clb"]
    assert client.get(f"/care/cases/new/?pupil_key={care['b2'].pupil_key}").status_code == 404
    login(care["staff"])
    assert client.get(f"/care/cases/new/?pupil_key={care['a2'].pupil_key}").status_code == 403


def test_demo_cases_are_cheap_and_idempotent(db):
    import time

    from leerloopbaan.demo.accounts import create_demo_accounts
    from leerloopbaan.demo.care.cases import create_demo_cases
    from leerloopbaan.demo.care.requests import create_demo_support

    from ..ews.test_roles_ews import build_city

    build_city()
    create_demo_accounts()
    create_demo_support()
    started = time.monotonic()
    assert create_demo_cases() == {"cases": 2}
    assert time.monotonic() - started < 1.0
    assert create_demo_cases() == {"cases": 0}
    # one consent for the school, the CLB and the support team; one naming the demo provider, who then takes part
    assert Case.objects.count() == 2 and CaseNote.objects.count() == 3 and Consent.objects.count() == 2
    assert CaseParticipant.objects.filter(removed_at__isnull=True).count() > 2
    assert CaseParticipant.objects.filter(user__role="organisation_contact", removed_at__isnull=True).count() == 1
