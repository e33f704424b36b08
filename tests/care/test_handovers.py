"""Warm handovers: detection from real imports, idempotence, the state machine, conflicts, mail, audit,
and the follow-up list."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.cases.models import Consent
from leerloopbaan.care.handovers import selectors, services
from leerloopbaan.care.models import Handover, SupportRequest
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Pupil, School
from tests.factories import PupilFactory, SchoolFactory

from .handover_city import LOTTE, SAM, build_city, first_set, pupil_of, second_set


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PSEUDONYM_KEY = "example"
    settings.HANDOVER_LOOKBACK_DAYS = 100_000  # the data sets are of 2024-2025, whatever today is


@pytest.fixture
def city(db, tmp_path, make_user):
    return build_city(tmp_path, make_user)


def _pupil(nn: str) -> Pupil:
    return pupil_of(nn)


def test_the_first_import_opens_nothing(db, tmp_path):
    assert import_paths([first_set(tmp_path / "one")]).ok
    assert Handover.objects.count() == 0


def test_a_school_change_in_an_import_opens_a_handover_to_the_new_school_and_its_clb(city):
    h = Handover.objects.get(pupil=city["lotte"])
    assert h.kind == Handover.Kind.SCHOOL_CHANGE and h.status == Handover.Status.OPEN
    assert (h.from_school, h.to_school, h.to_clb) == (city["A"], city["B"], city["Y"])
    assert h.import_run_id == city["run2"].pk and h.left_on == datetime.date(2025, 1, 17)
    assert h.from_enrolment.school == city["A"]


def test_a_pupil_who_left_without_a_qualification_goes_to_the_follow_up_team(city):
    h = Handover.objects.get(pupil=city["sam"])
    assert h.kind == Handover.Kind.DISAPPEARED and h.to_school is None and h.to_clb is None and h.from_school == city["A"]
    assert not Handover.objects.filter(pupil=city["noor"]).exists()
    assert Handover.objects.count() == 2


def test_detection_is_idempotent(city, tmp_path):
    assert services.handovers_detect() == {"school_change": 0, "disappeared": 0}
    assert import_paths([second_set(tmp_path / "again")]).ok
    assert Handover.objects.count() == 2


def test_detection_is_set_based(city, django_assert_max_num_queries):
    Handover.objects.all().delete()
    with django_assert_max_num_queries(12):
        assert services.handovers_detect() == {"school_change": 1, "disappeared": 1}


def test_old_school_changes_outside_the_lookback_are_left_alone(city, settings):
    Handover.objects.all().delete()
    settings.HANDOVER_LOOKBACK_DAYS = 365
    assert services.handovers_detect(today=datetime.date(2026, 6, 1)) == {"school_change": 0, "disappeared": 0}
    assert services.handovers_detect(today=datetime.date(2025, 6, 1)) == {"school_change": 1, "disappeared": 1}


def test_a_qualified_leaver_is_not_disappeared(city):
    from leerloopbaan.registry.models import Attestation

    Handover.objects.all().delete()
    Attestation.objects.create(pupil=city["sam"], school=city["A"], school_year="2023-2024", grade="S6", result="A",
                               qualification="secondary_diploma")
    assert services.handovers_detect() == {"school_change": 1, "disappeared": 0}


def test_current_support_carries_only_the_kinds_of_support_the_school_shared(db, tmp_path, make_user):
    assert import_paths([first_set(tmp_path / "one")]).ok
    lotte, a = _pupil(LOTTE), School.objects.get(school_number="100001")
    SupportRequest.objects.create(school=a, pupil=lotte, subject_level="pupil", name_attached=True, description="secret question",
                                  status="in_progress", assigned_kind="clb", clb=a.clb)
    SupportRequest.objects.create(school=a, pupil=lotte, subject_level="pupil", name_attached=False, description="not shared")
    Consent.objects.create(pupil=lotte, given_by="parent", what="support in a handover", to_whom="the new school",
                           valid_until=clock.today() + datetime.timedelta(days=365))
    assert import_paths([second_set(tmp_path / "two")]).ok
    h = Handover.objects.get(pupil=lotte)
    assert len(h.current_support) == 1
    assert h.current_support[0]["kind"] == "clb" and h.current_support[0]["status"] == "open"
    assert "secret" not in str(h.current_support)
    assert selectors.support_labels(h)


def test_no_support_is_handed_over_without_an_active_consent(db, tmp_path, make_user):
    """The support is kept with the handover, but the receiving school reads it only while a consent covers
    it (checked at the read, care.cases.consent): a withdrawn consent shows nothing."""
    assert import_paths([first_set(tmp_path / "one")]).ok
    lotte, a = _pupil(LOTTE), School.objects.get(school_number="100001")
    SupportRequest.objects.create(school=a, pupil=lotte, subject_level="pupil", name_attached=True, description="q",
                                  status="in_progress", assigned_kind="clb", clb=a.clb)
    Consent.objects.create(pupil=lotte, given_by="pupil", what="support", to_whom="school", withdrawn_at=timezone.now(),
                           categories=["support"], valid_until=clock.today() + datetime.timedelta(days=365))
    assert import_paths([second_set(tmp_path / "two")]).ok
    h = Handover.objects.get(pupil=lotte)
    seen = selectors.handover_get(user=make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="200002")), pk=h.pk)
    assert seen.current_support == [] and seen.support_withheld


def test_detection_is_one_audit_entry_and_mails_the_receiving_side(db, tmp_path, make_user, mailoutbox, django_capture_on_commit_callbacks):
    assert import_paths([first_set(tmp_path / "one")]).ok
    b = School.objects.get(school_number="200002")
    staff_b = make_user(Role.SCHOOL_STAFF, school=b)
    clb_y = make_user(Role.CLB_WORKER, clb=b.clb)
    coordinator = make_user(Role.CARE_COORDINATOR)
    staff_a = make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="100001"))
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[_pupil(LOTTE).pupil_key, _pupil(SAM).pupil_key]):
        with django_capture_on_commit_callbacks(execute=True):
            assert import_paths([second_set(tmp_path / "two")]).ok
    to = {m.to[0] for m in mailoutbox}
    assert {staff_b.email, clb_y.email, coordinator.email} <= to and staff_a.email not in to
    assert not any("Lotte" in m.body or "Sam" in m.body for m in mailoutbox)


def test_the_new_school_acknowledges(city, mailoutbox, django_capture_on_commit_callbacks):
    h = Handover.objects.get(pupil=city["lotte"])
    with assert_audited(count=1, action="update", subject_type="pupil", subjects=[city["lotte"].pupil_key]):
        with django_capture_on_commit_callbacks(execute=True):
            h = services.handover_acknowledge(user=city["staff_b"], handover=h, version=h.version)
    assert h.status == Handover.Status.ACKNOWLEDGED and h.acknowledged_by == city["staff_b"] and h.acknowledged_at and h.version == 2
    assert [m.to for m in mailoutbox] == [[city["staff_a"].email]]


def test_the_receiving_clb_may_acknowledge_the_old_school_may_not(city):
    h = Handover.objects.get(pupil=city["lotte"])
    for user in (city["staff_a"], city["clb_x"], city["coordinator"]):
        with pytest.raises(PermissionDenied):
            services.handover_acknowledge(user=user, handover=h, version=h.version)
    h = services.handover_acknowledge(user=city["clb_y"], handover=h, version=h.version)
    assert h.status == Handover.Status.ACKNOWLEDGED


def test_the_follow_up_team_acknowledges_a_disappeared_pupil(city):
    h = Handover.objects.get(pupil=city["sam"])
    with pytest.raises(PermissionDenied):
        services.handover_acknowledge(user=city["staff_b"], handover=h, version=h.version)
    assert services.handover_acknowledge(user=city["coordinator"], handover=h, version=h.version).status == "acknowledged"


def test_a_stale_version_is_a_conflict_and_writes_nothing(city):
    h = Handover.objects.get(pupil=city["lotte"])
    stale = h.version
    services.handover_note_what_helped(user=city["staff_a"], handover=h, version=stale, text="Korte gesprekjes met de mentor")
    with pytest.raises(services.Conflict):
        services.handover_acknowledge(user=city["staff_b"], handover=h, version=stale)
    h.refresh_from_db()
    assert h.status == Handover.Status.OPEN and h.version == stale + 1 and h.what_helped.startswith("Korte")


def test_a_transition_not_allowed(city):
    h = Handover.objects.get(pupil=city["lotte"])
    with pytest.raises(services.TransitionNotAllowed):
        services.handover_close(user=city["staff_b"], handover=h, version=h.version)  # acknowledge first
    h = services.handover_acknowledge(user=city["staff_b"], handover=h, version=h.version)
    with pytest.raises(services.TransitionNotAllowed):
        services.handover_acknowledge(user=city["staff_b"], handover=h, version=h.version)
    h = services.handover_close(user=city["staff_b"], handover=h, version=h.version)
    assert h.status == Handover.Status.CLOSED and h.closed_at
    with pytest.raises(services.TransitionNotAllowed):
        services.handover_note_what_helped(user=city["staff_a"], handover=h, version=h.version, text="te laat")


def test_only_the_sending_school_writes_what_helped(city):
    h = Handover.objects.get(pupil=city["lotte"])
    with pytest.raises(PermissionDenied):
        services.handover_note_what_helped(user=city["staff_b"], handover=h, version=h.version, text="x")
    with pytest.raises(services.CareError):
        services.handover_note_what_helped(user=city["staff_a"], handover=h, version=h.version, text="  ")


def test_the_coordinator_closes_any_open_handover(city):
    h = Handover.objects.get(pupil=city["sam"])
    assert services.handover_close(user=city["coordinator"], handover=h, version=h.version).status == "closed"


def test_scope(city):
    lotte_h, sam_h = Handover.objects.get(pupil=city["lotte"]), Handover.objects.get(pupil=city["sam"])
    assert set(selectors.handover_scope(city["staff_a"])) == {lotte_h, sam_h}  # outgoing
    assert set(selectors.handover_scope(city["staff_b"])) == {lotte_h}  # incoming
    assert set(selectors.handover_scope(city["clb_y"])) == {lotte_h}
    assert set(selectors.handover_scope(city["clb_x"])) == set()
    assert set(selectors.handover_scope(city["coordinator"])) == {lotte_h, sam_h}


def test_list_is_one_audited_read(city):
    with assert_audited(count=1, subject_type="pupil", subjects=[city["lotte"].pupil_key]):
        rows = selectors.handover_list(user=city["staff_b"])
    assert [(r.pupil, r.direction) for r in rows] == [("Lotte Peeters", "in")]
    rows = selectors.handover_list(user=city["coordinator"])
    assert {r.pupil for r in rows} == {city["lotte"].short_key, city["sam"].short_key}  # pseudonyms for the follow-up team


def test_follow_up_list(city):
    with assert_audited(count=1, subject_type="pupil", subjects=[city["sam"].pupil_key]):
        data = selectors.follow_up_list(user=city["coordinator"], days=0)
    assert {r.handover.pupil_id for r in data.unacknowledged} == {city["lotte"].pk, city["sam"].pk}
    assert [r.pupil for r in data.neet] == [city["sam"]]
    neet = data.neet[0]
    assert neet.leaving_year == "2024-2025" and neet.last_school == city["A"] and neet.handover.kind == "disappeared"
    # acknowledged handovers leave the list; older than N days only
    h = Handover.objects.get(pupil=city["lotte"])
    services.handover_acknowledge(user=city["staff_b"], handover=h, version=h.version)
    assert {r.handover.pupil_id for r in selectors.follow_up_list(user=city["coordinator"], days=0).unacknowledged} == {city["sam"].pk}
    assert selectors.follow_up_list(user=city["coordinator"], days=10).unacknowledged == []


def test_the_new_school_sees_and_acknowledges_through_the_pages(city, login, client):
    h = Handover.objects.get(pupil=city["lotte"])
    login(city["staff_b"])
    page = client.get("/care/handovers/")
    assert page.status_code == 200 and "Lotte Peeters" in page.content.decode() and "Sam" not in page.content.decode()
    detail = client.get(f"/care/handovers/{h.pk}/")
    assert detail.status_code == 200 and 'id="acknowledge-form"' in detail.content.decode()
    assert 'id="what-helped-form"' not in detail.content.decode()
    response = client.post(f"/care/handovers/{h.pk}/acknowledge/", {"version": h.version})
    assert response.status_code == 302
    h.refresh_from_db()
    assert h.status == "acknowledged"
    # the same form again: a conflict, shown as a message, nothing written
    client.post(f"/care/handovers/{h.pk}/acknowledge/", {"version": 1}, follow=True)
    h.refresh_from_db()
    assert h.version == 2


def test_the_old_school_writes_what_helped_through_the_page(city, login, client):
    h = Handover.objects.get(pupil=city["lotte"])
    login(city["staff_a"])
    detail = client.get(f"/care/handovers/{h.pk}/").content.decode()
    assert 'id="what-helped-form"' in detail and 'id="acknowledge-form"' not in detail
    client.post(f"/care/handovers/{h.pk}/what_helped/", {"version": h.version, "text": "Een vaste mentor"})
    h.refresh_from_db()
    assert h.what_helped == "Een vaste mentor"
    assert client.post(f"/care/handovers/{h.pk}/nonsense/", {"version": h.version}).status_code == 404


def test_demo_handovers_are_fast_and_idempotent(city):
    import time

    from leerloopbaan.demo.care.handovers import create_demo_handovers

    Handover.objects.all().delete()
    started = time.monotonic()
    assert create_demo_handovers() == {"school_change": 1, "disappeared": 1}
    assert time.monotonic() - started < 3.0
    assert create_demo_handovers() == {"school_change": 0, "disappeared": 0}


def test_the_pages_speak_dutch(city, login, client):
    h = Handover.objects.get(pupil=city["lotte"])
    login(city["staff_b"])
    html = client.get(f"/care/handovers/{h.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Bevestig de overdracht" in html and "Wat hielp" in html
    login(city["coordinator"])
    assert "Opvolglijst" in client.get("/care/handovers/follow-up/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()


def test_support_in_a_handover_is_dated_by_the_brussels_calendar(db):
    """A request made at 00:30 in Brussels (23:30 UTC the day before) is "since" the Brussels date."""
    pupil, school = PupilFactory(), SchoolFactory()
    request = SupportRequest.objects.create(school=school, pupil=pupil, subject_level="pupil", name_attached=True, description="q")
    SupportRequest.objects.filter(pk=request.pk).update(created_at=datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC))
    Consent.objects.create(pupil=pupil, given_by="parent", what="support in a handover", to_whom="the new school",
                           valid_until=clock.today() + datetime.timedelta(days=365))
    assert services.support_summary({(pupil.pk, school.pk)})[(pupil.pk, school.pk)][0]["since"] == "2026-12-07"
