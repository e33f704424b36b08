"""The state machine of a tutor: screening, decision, training, pause and leaving; who may do each step;
lost updates refused; the coordinators' initiative settings."""
# ruff: noqa: F401, F811 -- the shared fixture tw is imported from test_tutors_helpers

import datetime
import sys
import types

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from leerloopbaan.accounts.models import User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import services as matching_services
from leerloopbaan.tutoring.models import Initiative, ScreeningDecision, ScreeningItem, TrainingModule, Tutor
from leerloopbaan.tutoring.tutors import services

from .test_tutors_helpers import active_tutor, admit, all_ok, sign_up, train, tw

pytestmark = pytest.mark.django_db(databases="__all__")


def fresh(tutor):
    tutor.refresh_from_db()
    return tutor


# --- screening and decision ------------------------------------------------------------------

def test_recording_the_checklist_moves_a_sign_up_to_screening(tw):
    tutor = sign_up(tw["X"])
    items = {"interview": {"status": "ok", "evidence": "Gesprek op 3/3, motivatie sterk"}}
    with assert_audited(count=1, action="update", subject_type="tutor", subjects=[f"tutor:{tutor.pk}"]):
        tutor = services.tutor_screening_record(user=tw["cx"], tutor=tutor, version=tutor.version, items=items)
    assert tutor.status == "screening" and tutor.history[-1]["to"] == "screening"
    row = ScreeningItem.objects.get(tutor=tutor, item="interview")
    assert (row.status, row.checked_by, row.evidence) == ("ok", tw["cx"], "Gesprek op 3/3, motivatie sterk")


@pytest.mark.parametrize(("data", "message"), [
    ({"status": "ok", "evidence": ""}, "Write what you checked"),
    ({"status": "ok", "evidence": "gezien", "document_date": None}, "Give the date on the certificate"),
    ({"status": "ok", "evidence": "gezien", "document_date": +1}, "cannot be in the future"),       # days from today
    ({"status": "ok", "evidence": "gezien", "document_date": -400}, "more than a year old"),
    ({"status": "maybe", "evidence": "gezien"}, "Choose a status"),
])
def test_the_certificate_of_good_conduct_needs_evidence_and_a_recent_date(data, message, tw):
    if isinstance(data.get("document_date"), int):  # a number of days from today, counted when the test runs
        data = {**data, "document_date": clock.today() + datetime.timedelta(days=data["document_date"])}
    tutor = sign_up(tw["X"])
    with pytest.raises(services.TutorError, match=message):
        services.tutor_screening_record(user=tw["cx"], tutor=tutor, version=tutor.version, items={"good_conduct": data})
    assert fresh(tutor).status == "applied"


def test_approve_is_refused_while_an_item_is_pending(tw):
    tutor = all_ok(sign_up(tw["X"]), tw["cx"], except_item="reference")
    with pytest.raises(services.TutorError, match="Not every screening item is in order yet: reference checked"):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve")
    tutor = fresh(tutor)
    assert tutor.status == "screening" and tutor.user is None and not ScreeningDecision.objects.exists()


def test_approve_is_refused_when_an_item_is_not_in_order(tw):
    tutor = all_ok(sign_up(tw["X"]), tw["cx"])
    tutor = services.tutor_screening_record(user=tw["cx"], tutor=tutor, version=tutor.version,
                                            items={"reference": {"status": "not_ok", "evidence": "Referentie negatief"}})
    with pytest.raises(services.TutorError, match="reference checked"):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve")


def test_approve_of_a_sign_up_not_yet_screened_is_refused(tw):
    tutor = sign_up(tw["X"])
    with pytest.raises(services.TransitionNotAllowed):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve")


def test_approve_creates_the_account_and_invites_by_mail(tw, client, django_capture_on_commit_callbacks):
    tutor = all_ok(sign_up(tw["X"]), tw["cx"])
    with django_capture_on_commit_callbacks(execute=True):
        tutor = services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve",
                                      base_url="https://leerloopbaan.example")
    assert tutor.status == "training" and tutor.approved_at is not None
    account = tutor.user
    assert (account.role, account.email, account.first_name, account.has_usable_password()) == (
        Role.TUTOR, "saar@example.test", "Saar", False)
    decision = ScreeningDecision.objects.get(tutor=tutor)
    assert (decision.decision, decision.decided_by) == ("approve", tw["cx"])
    invitation = mail.outbox[-1]
    assert invitation.to == ["saar@example.test"]
    link = next(w for w in invitation.body.split() if "/account/password-reset/" in w)
    assert link.startswith("https://leerloopbaan.example/account/password-reset/")
    response = client.get(link.removeprefix("https://leerloopbaan.example"), follow=True)
    assert response.status_code == 200 and b'name="new_password1"' in response.content  # the link works


def test_approve_goes_straight_to_active_when_the_training_is_done(tw):
    tutor = all_ok(sign_up(tw["X"]), tw["cx"])
    train(tutor, tw["cx"])
    assert fresh(tutor).status == "screening"  # training alone does not admit
    tutor = fresh(tutor)
    tutor = services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve")
    assert tutor.status == "active"


def test_reject_needs_a_reason(tw):
    tutor = sign_up(tw["X"])
    with pytest.raises(services.TutorError, match="Give the reason"):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="reject", reason="  ")
    assert fresh(tutor).status == "applied"
    tutor = services.tutor_decide(user=tw["cx"], tutor=fresh(tutor), version=tutor.version, decision="reject",
                                  reason="Geen bewijs van goed gedrag")
    assert tutor.status == "rejected" and tutor.user is None
    assert ScreeningDecision.objects.get(tutor=tutor).reason == "Geen bewijs van goed gedrag"


def test_reject_without_a_reason_in_the_page(tw, login, client):
    tutor = sign_up(tw["X"])
    login(tw["cx"])
    response = client.post(f"/tutoring/tutors/{tutor.pk}/decision/", {"version": tutor.version, "decision": "reject", "reason": ""},
                           follow=True)
    assert "Give the reason why this tutor is not admitted." in response.content.decode()
    assert fresh(tutor).status == "applied"


def test_approve_in_the_page_shows_what_is_missing(tw, login, client):
    tutor = all_ok(sign_up(tw["X"]), tw["cx"], except_item="interview")
    login(tw["cx"])
    response = client.post(f"/tutoring/tutors/{tutor.pk}/decision/", {"version": tutor.version, "decision": "approve"}, follow=True)
    assert "Not every screening item is in order yet: intake interview" in response.content.decode()
    assert fresh(tutor).status == "screening"


def test_the_screening_page_saves_the_checklist(tw, login, client):
    tutor = sign_up(tw["X"])
    login(tw["cx"])
    page = client.get(f"/tutoring/tutors/{tutor.pk}/screening/").content.decode()
    assert 'type="file"' not in page and 'for="id_good_conduct_document_date"' in page
    data = {"version": tutor.version}
    for item in ScreeningItem.Item.values:
        data[f"{item}_status"] = "ok"
        data[f"{item}_evidence"] = "gezien"
    data["good_conduct_document_date"] = ""
    response = client.post(f"/tutoring/tutors/{tutor.pk}/screening/", data)
    assert response.status_code == 200 and "Give the date on the certificate of good conduct (model 2)." in response.content.decode()
    data["good_conduct_document_date"] = (clock.today() - datetime.timedelta(days=3)).isoformat()
    response = client.post(f"/tutoring/tutors/{tutor.pk}/screening/", data)
    assert response.status_code == 302
    assert set(ScreeningItem.objects.filter(tutor=tutor).values_list("status", flat=True)) == {"ok"}
    assert ScreeningItem.objects.get(tutor=tutor, item="good_conduct").document_date == clock.today() - datetime.timedelta(days=3)
    response = client.post(f"/tutoring/tutors/{tutor.pk}/decision/", {"version": fresh(tutor).version, "decision": "approve"})
    assert fresh(tutor).status == "training"


# --- training ----------------------------------------------------------------------------

def test_completing_the_required_training_activates_an_admitted_tutor(tw):
    tutor = admit(sign_up(tw["X"]), tw["cx"])
    modules = list(TrainingModule.objects.filter(required=True))
    optional = TrainingModule.objects.create(code="extra", title="Extra", required=False, order=9)
    services.tutor_training_record(user=tw["cx"], tutor=tutor, module=optional)
    for module in modules[:-1]:
        services.tutor_training_record(user=tw["cx"], tutor=tutor, module=module, completed_on=clock.today())
        assert fresh(tutor).status == "training"
    with assert_audited(count=1, action="create", subject_type="tutor"):
        services.tutor_training_record(user=tw["cx"], tutor=tutor, module=modules[-1], completed_on=clock.today())
    assert fresh(tutor).status == "active"
    assert fresh(tutor).history[-1]["to"] == "active"


def test_training_in_the_future_or_after_leaving_is_refused(tw):
    tutor = admit(sign_up(tw["X"]), tw["cx"])
    module = TrainingModule.objects.first()
    with pytest.raises(services.TutorError, match="future"):
        services.tutor_training_record(user=tw["cx"], tutor=tutor, module=module, completed_on=clock.today() + datetime.timedelta(days=2))
    tutor = services.tutor_leave(user=tw["cx"], tutor=fresh(tutor), version=fresh(tutor).version, reason="verhuisd")
    with pytest.raises(services.TransitionNotAllowed):
        services.tutor_training_record(user=tw["cx"], tutor=tutor, module=module)


def test_the_tutor_sees_their_training_status(tw, login, client):
    tutor = admit(sign_up(tw["X"]), tw["cx"])
    services.tutor_training_record(user=tw["cx"], tutor=tutor, module=TrainingModule.objects.get(code="kennismaking-gedragscode"))
    login(tutor.user)
    with assert_audited(count=1, subject_type="tutor", subjects=[f"tutor:{tutor.pk}"]):
        html = client.get("/tutoring/me/training/").content.decode()
    assert "1 of 4 required modules done." in html and "Kennismaking en gedragscode" in html


def test_the_training_page_records_a_module(tw, login, client):
    tutor = admit(sign_up(tw["X"]), tw["cx"])
    module = TrainingModule.objects.get(code="omgaan-met-meertaligheid")
    login(tw["cx"])
    bad = client.post(f"/tutoring/tutors/{tutor.pk}/training/", {"module": module.pk, "completed_on": "gisteren"})
    assert bad.status_code == 200 and "Give the date as year-month-day" in bad.content.decode()
    ok = client.post(f"/tutoring/tutors/{tutor.pk}/training/", {"module": module.pk, "completed_on": clock.today().isoformat()})
    assert ok.status_code == 302 and tutor.trainings.filter(module=module).exists()


# --- illegal transitions and who may do them ---------------------------------------------

@pytest.mark.parametrize(("setup", "action"), [
    ("applied", "pause"), ("applied", "resume"), ("screening", "pause"), ("training", "pause"), ("training", "resume"),
    ("active", "screening"), ("active", "resume"), ("rejected", "screening"), ("rejected", "leave"),
    ("left", "resume"), ("left", "pause"), ("left", "leave"), ("paused", "pause"),
])
def test_illegal_transitions_are_refused(setup, action, tw):
    cx = tw["cx"]
    tutor = sign_up(tw["X"])
    if setup == "screening":
        tutor = services.tutor_screening_start(user=cx, tutor=tutor, version=tutor.version)
    elif setup == "training":
        tutor = admit(tutor, cx)
    elif setup in ("active", "paused", "left"):
        tutor = train(admit(tutor, cx), cx)
        if setup == "paused":
            tutor = services.tutor_pause(user=cx, tutor=tutor, version=tutor.version, reason="examens")
        if setup == "left":
            tutor = services.tutor_leave(user=cx, tutor=tutor, version=tutor.version, reason="verhuisd")
    elif setup == "rejected":
        tutor = services.tutor_decide(user=cx, tutor=tutor, version=tutor.version, decision="reject", reason="nee")
    tutor = fresh(tutor)
    assert tutor.status == setup
    with pytest.raises(services.TransitionNotAllowed):
        services.tutor_status_change(user=cx, tutor=tutor, version=tutor.version, action=action, reason="reden")
    assert fresh(tutor).status == setup


def test_a_decision_cannot_be_taken_twice(tw):
    tutor = admit(sign_up(tw["X"]), tw["cx"])
    with pytest.raises(services.TransitionNotAllowed):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="reject", reason="toch niet")
    with pytest.raises(services.TransitionNotAllowed):
        services.tutor_screening_record(user=tw["cx"], tutor=tutor, version=tutor.version,
                                        items={"interview": {"status": "not_ok", "evidence": "x"}})


def test_only_a_coordinator_of_the_initiative_screens_and_decides(tw, make_user):
    tutor = sign_up(tw["X"])
    for user in (tw["cy"], make_user(Role.CARE_COORDINATOR), make_user(Role.TUTOR)):
        with pytest.raises(PermissionDenied):
            services.tutor_screening_start(user=user, tutor=tutor, version=tutor.version)
        with pytest.raises(PermissionDenied):
            services.tutor_decide(user=user, tutor=tutor, version=tutor.version, decision="reject", reason="x")
        with pytest.raises(PermissionDenied):
            services.tutor_training_record(user=user, tutor=tutor, module=TrainingModule.objects.first())
    assert services.tutor_screening_start(user=tw["admin"], tutor=tutor, version=tutor.version).status == "screening"


def test_the_tutor_pauses_resumes_and_leaves_themself(tw, login, client, monkeypatch):
    calls = []
    monkeypatch.setattr(matching_services, "matches_end_for_tutor",
                        lambda *, user, tutor, reason: calls.append((user.pk, tutor.pk, reason)))
    tutor = active_tutor(tw["X"], tw["cx"])
    other = active_tutor(tw["X"], tw["cx"], email="jan@example.test", first_name="Jan")
    with pytest.raises(PermissionDenied):  # not another tutor's status
        services.tutor_pause(user=other.user, tutor=tutor, version=tutor.version, reason="x")
    login(tutor.user)
    response = client.post("/tutoring/me/status/", {"version": tutor.version, "action": "pause", "reason": ""}, follow=True)
    assert "Give a reason." in response.content.decode() and fresh(tutor).status == "active"
    client.post("/tutoring/me/status/", {"version": tutor.version, "action": "pause", "reason": "examens"})
    assert fresh(tutor).status == "paused"
    client.post("/tutoring/me/status/", {"version": fresh(tutor).version, "action": "resume"})
    assert fresh(tutor).status == "active"
    response = client.post("/tutoring/me/status/", {"version": fresh(tutor).version, "action": "leave", "reason": "verhuisd"})
    tutor = fresh(tutor)
    assert (tutor.status, tutor.left_reason) == ("left", "verhuisd") and tutor.left_at is not None
    assert calls == [(tutor.user_id, tutor.pk, "tutor_left")]
    assert User.objects.get(pk=tutor.user_id).is_active is False  # a tutor who left keeps no access
    assert [h["to"] for h in tutor.history] == ["applied", "screening", "training", "active", "paused", "active", "left"]


def test_leaving_without_matches_ends_nothing_else(tw):
    tutor = active_tutor(tw["X"], tw["cx"])
    assert services.tutor_leave(user=tw["cx"], tutor=tutor, version=tutor.version, reason="gestopt").status == "left"


def test_resume_needs_the_required_training(tw):
    tutor = active_tutor(tw["X"], tw["cx"])
    tutor = services.tutor_pause(user=tw["cx"], tutor=tutor, version=tutor.version, reason="even niet")
    TrainingModule.objects.create(code="nieuw", title="Nieuwe module", required=True, order=5)
    with pytest.raises(services.TutorError, match="Finish the required training"):
        services.tutor_resume(user=tw["cx"], tutor=tutor, version=tutor.version)


def test_a_withdrawal_before_admission_is_recorded_by_the_coordinator(tw):
    tutor = sign_up(tw["X"])
    tutor = services.tutor_leave(user=tw["cx"], tutor=tutor, version=tutor.version, reason="trekt zich terug")
    assert tutor.status == "left"


def test_a_tutor_who_left_and_comes_back_gets_their_account_back(tw):
    first = active_tutor(tw["X"], tw["cx"])
    account = first.user
    services.tutor_leave(user=tw["cx"], tutor=first, version=first.version, reason="pauze van een jaar")
    again = admit(sign_up(tw["Y"]), tw["cy"])
    assert again.user == account and User.objects.get(pk=account.pk).is_active
    assert fresh(first).user is None


def test_an_email_used_by_another_account_is_refused_at_approval(tw, make_user):
    make_user(Role.SCHOOL_STAFF, email="saar@example.test")
    tutor = all_ok(sign_up(tw["X"]), tw["cx"])
    with pytest.raises(services.TutorError, match="Another account already uses this e-mail address"):
        services.tutor_decide(user=tw["cx"], tutor=tutor, version=tutor.version, decision="approve")
    assert fresh(tutor).status == "screening"


# --- profile and lost updates ------------------------------------------------------------

def test_the_second_save_of_the_same_version_is_a_conflict(tw):
    tutor = active_tutor(tw["X"], tw["cx"])
    loaded = tutor.version
    services.tutor_profile_update(user=tutor.user, tutor=tutor, version=loaded, capacity=3)
    with pytest.raises(services.Conflict, match="Someone else changed this tutor"):
        services.tutor_profile_update(user=tw["cx"], tutor=tutor, version=loaded, capacity=1)
    assert fresh(tutor).capacity == 3


def test_the_tutor_edits_their_profile_in_the_page(tw, login, client):
    tutor = active_tutor(tw["X"], tw["cx"])
    login(tutor.user)
    page = client.get("/tutoring/me/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, "", False, [])}
    data.update({"slots": ["14", "15"], "subject_1": "dutch", "subject_2": "maths", "capacity": "3"})
    response = client.post("/tutoring/me/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    tutor = fresh(tutor)
    assert (tutor.slots, tutor.subjects, tutor.capacity) == ([14, 15], ["dutch", "maths"], 3)
    data["max_level"] = "1"
    data["version"] = tutor.version
    response = client.post("/tutoring/me/", data)
    assert response.status_code == 200 and "The highest level is below the lowest level." in response.content.decode()
    stale = client.post("/tutoring/me/", data | {"version": tutor.version - 1, "max_level": "12"})
    assert "Someone else changed this tutor" in stale.content.decode()


def test_a_tutor_cannot_change_their_name_or_e_mail(tw):
    tutor = active_tutor(tw["X"], tw["cx"])
    with pytest.raises(PermissionDenied):
        services.tutor_profile_update(user=tutor.user, tutor=tutor, version=tutor.version, first_name="Anders")
    with pytest.raises(services.TutorError, match="login"):
        services.tutor_profile_update(user=tw["cx"], tutor=tutor, version=tutor.version, email="nieuw@example.test")
    tutor = services.tutor_profile_update(user=tw["cx"], tutor=tutor, version=tutor.version, first_name="Sara", kind="volunteer")
    assert tutor.first_name == "Sara"


def test_the_coordinator_edits_a_profile_in_the_page(tw, login, client):
    tutor = sign_up(tw["X"])
    login(tw["cx"])
    page = client.get(f"/tutoring/tutors/{tutor.pk}/profile/")
    data = {k: v for k, v in page.context["form"].initial.items() if v not in (None, "", False, [])}
    data.update({"email": "nieuw@example.test", "slots": [str(s) for s in tutor.slots], "kind": "employee", "institution": ""})
    response = client.post(f"/tutoring/tutors/{tutor.pk}/profile/", data)
    assert response.status_code == 200 and "Fill in the school, university college or company." in response.content.decode()
    response = client.post(f"/tutoring/tutors/{tutor.pk}/profile/", data | {"institution": "Haven NV"})
    assert response.status_code == 302
    assert (fresh(tutor).email, fresh(tutor).institution) == ("nieuw@example.test", "Haven NV")


# --- initiative settings -----------------------------------------------------------------

def test_a_coordinator_sets_weights_and_capacity(tw, login, client):
    login(tw["cx"])
    url = f"/tutoring/initiatives/{tw['X'].pk}/edit/"
    assert client.get(url).status_code == 200
    base = {"version": 1, "weight_subject": 40, "weight_level": 20, "weight_distance": 10, "weight_language": 10,
            "weight_quality": 20, "capacity": 50}
    for bad, message in (({"weight_subject": -1}, "A weight cannot be negative."),
                         ({"weight_subject": "veel"}, "Give a whole number."),
                         ({k: 0 for k in base if k.startswith("weight_")}, "At least one criterion needs a weight above 0."),
                         ({"capacity": -5}, "The capacity cannot be negative.")):
        response = client.post(url, base | bad)
        assert response.status_code == 200 and message in response.content.decode(), bad
    assert client.post(url, base).status_code == 302
    x = Initiative.objects.get(pk=tw["X"].pk)
    assert x.weights == {"subject": 40, "level": 20, "distance": 10, "language": 10, "quality": 20} and x.capacity == 50
    stale = client.post(url, base)
    assert "Someone else changed this initiative" in stale.content.decode()
    assert client.get(f"/tutoring/initiatives/{tw['Y'].pk}/edit/").status_code == 404


def test_the_service_and_the_admin_form_validate_the_weights(tw):
    with pytest.raises(PermissionDenied):
        services.initiative_settings_update(user=tw["cy"], initiative=tw["X"], version=1, weights={"subject": 1}, capacity=None)
    with pytest.raises(services.TutorError):
        services.initiative_settings_update(user=tw["cx"], initiative=tw["X"], version=1, weights={"subject": 0}, capacity=None)
    with pytest.raises(services.TutorError):
        services.initiative_settings_update(user=tw["cx"], initiative=tw["X"], version=1, weights={"subject": 1.5}, capacity=None)
    x = tw["X"]
    for weights in ({"subject": -1}, {"colour": 3}, {k: 0 for k in ("subject", "level", "distance", "language", "quality")}, [1, 2]):
        x.weights = weights
        with pytest.raises(ValidationError):
            x.full_clean()
    x.weights = {"subject": 1}
    x.full_clean()
    from leerloopbaan.tutoring.admin import InitiativeAdminForm

    form = InitiativeAdminForm(data={"name": "Nieuw", "kind": "city", "weights": '{"subject": -2}', "coordinators": [tw["cx"].pk]})
    assert not form.is_valid() and "weights" in form.errors
    form = InitiativeAdminForm(data={"name": "Nieuw", "kind": "city", "weights": '{"quality": 3}', "coordinators": [tw["cx"].pk],
                                     "active": "on"})
    assert form.is_valid(), form.errors
    form = InitiativeAdminForm(data={"name": "Nieuw", "kind": "city", "coordinators": [tw["cy"].pk, tw["admin"].pk]})
    assert "coordinators" in form.errors  # only tutor coordinators


def test_initiative_weights_default(tw):
    assert services.initiative_weights(tw["X"]) == services.DEFAULT_WEIGHTS
    assert Tutor.Status.ACTIVE in services.TRANSITIONS[Tutor.Status.PAUSED]


def test_leaving_ends_the_active_matches_through_the_matching_slice(tw):
    """With the real matching slice wired: the tutor's active match ends with the reason "tutor left"."""
    services_matching = pytest.importorskip("leerloopbaan.tutoring.matching.services")
    if not hasattr(services_matching, "matches_end_for_tutor"):
        pytest.skip("the matching slice has no matches_end_for_tutor yet")
    from tests.factories import MatchFactory, PupilFactory, SchoolFactory

    school = SchoolFactory(school_number="901", name="School M", district="Deurne")
    pupil = PupilFactory(pupil_key="m" * 64, birth_date=datetime.date(2012, 1, 1))
    tutor = active_tutor(tw["X"], tw["cx"])
    match = MatchFactory(need__pupil=pupil, need__school=school, need__consent_on=clock.today(), tutor=tutor)
    services.tutor_leave(user=tutor.user, tutor=tutor, version=tutor.version, reason="verhuisd")
    match.refresh_from_db()
    assert (match.status, match.end_reason) == ("ended", "tutor_left")


def test_the_admin_manages_initiatives_and_modules_but_not_tutors(tw, login, client):
    admin = tw["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    login(admin)
    assert client.get("/admin/tutoring/initiative/add/").status_code == 200
    assert client.get(f"/admin/tutoring/initiative/{tw['X'].pk}/change/").status_code == 200
    assert client.get("/admin/tutoring/trainingmodule/").status_code == 200
    assert client.get("/admin/tutoring/tutor/").status_code == 404  # tutors only through the audited pages
