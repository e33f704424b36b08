"""The access layer (kernel.access): one audit entry per person per unit of work, scoped reads, fail closed."""

import datetime

import pytest
from django.core.management import call_command
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.urls import path

from leerloopbaan.ews import selectors as ews_selectors
from leerloopbaan.kernel import access as kernel_access
from leerloopbaan.kernel.access import Access, access_for, audited_read, unit_of_work
from leerloopbaan.kernel.audit import services as audit_services
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.registry import selectors
from leerloopbaan.registry.models import Enrolment, Pupil, PupilName, School

RENDERED = []


def three_selectors(request, pupil_key):
    """A page that reads one pupil through three selectors and both old-style audit calls."""
    pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="record")
    records = selectors.pupil_records(user=request.user, pupil=pupil)
    ews_selectors.pupil_page_risk(PupilSubject(user=request.user, pupil=pupil, label="",
                                               visible_until=records["visible_until"]))
    selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="second look")
    audited_read(user=request.user, subject_type="pupil", subjects=[pupil.pupil_key], purpose="legacy call")
    audit_record(action="read", subject_type="pupil", subjects=[pupil.pupil_key], purpose="legacy record")
    RENDERED.append(pupil.pupil_key)
    return HttpResponse(pupil.name.first_name)


def read_and_export(request, pupil_key):
    pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="export page")
    access_for(request.user).record(pupil, action="export", purpose="file")
    return HttpResponse(pupil.name.first_name)


def read_then_write(request, pupil_key):
    pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="form")
    audit_record(action="update", subject_type="pupil", subjects=[pupil.pupil_key], actor=request.user, purpose="saved")
    return HttpResponse("saved")


def streamed(request, pupil_key):
    pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="stream")
    return StreamingHttpResponse(iter([pupil.name.first_name, ";", pupil.pupil_key]))


urlpatterns = [
    path("three/<str:pupil_key>/", three_selectors),
    path("export/<str:pupil_key>/", read_and_export),
    path("write/<str:pupil_key>/", read_then_write),
    path("stream/<str:pupil_key>/", streamed),
]


@pytest.fixture
def world(db, make_user):
    a = School.objects.create(school_number="100", name="School A", network="GO", level="secondary", district="Deurne")
    b = School.objects.create(school_number="200", name="School B", network="GO", level="secondary", district="Hoboken")
    pupils = {}
    for label, school, first in (("mine", a, "Anouk"), ("other", b, "Bilal")):
        p = Pupil.objects.create(pupil_key=label[0] * 64, birth_date=datetime.date(2011, 5, 1), sex="F")
        PupilName.objects.create(pupil=p, first_name=first, last_name="Test")
        Enrolment.objects.create(pupil=p, school=school, school_year="2025-2026", start_date=datetime.date(2025, 9, 1), grade="S3")
        pupils[label] = p
    return {"A": a, "B": b, **pupils, "staff": make_user("school_staff", school=a)}


def entries_naming(key: str, since: int) -> list[AuditEntry]:
    return [e for e in AuditEntry.objects.filter(id__gt=since).order_by("id") if key in e.subjects.split()]


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.urls(__name__)
def test_one_entry_per_request_whatever_the_number_of_selectors(world, login, client):
    login(world["staff"])
    key = world["mine"].pupil_key
    before = last_id()
    response = client.get(f"/three/{key}/")
    assert response.status_code == 200 and response.content == b"Anouk"
    entries = entries_naming(key, before)
    assert len(entries) == 1, entries
    entry = entries[0]
    assert entry.action == "read" and entry.subject_type == "pupil" and entry.subjects == key and entry.subject_count == 1
    assert entry.purpose == "record; second look; legacy call; legacy record"
    assert entry.actor_id == world["staff"].pk and entry.role == "school_staff" and entry.path == f"/three/{key}/"
    assert [r["purpose"] for r in entry.detail["reads"]] == ["record", "second look", "legacy call", "legacy record"]


@pytest.mark.urls(__name__)
def test_a_pupil_out_of_scope_answers_404_and_names_nobody(world, login, client):
    login(world["staff"])
    key = world["other"].pupil_key
    before = last_id()
    assert client.get(f"/three/{key}/").status_code == 404
    assert entries_naming(key, before) == []
    assert not AuditEntry.objects.filter(id__gt=before, subject_type="pupil").exclude(subjects="").exists()


@pytest.mark.urls(__name__)
def test_an_export_in_the_unit_makes_its_one_entry_an_export(world, login, client):
    login(world["staff"])
    key = world["mine"].pupil_key
    before = last_id()
    assert client.get(f"/export/{key}/").status_code == 200
    [entry] = entries_naming(key, before)
    assert entry.action == "export" and entry.purpose == "export page; file"


@pytest.mark.urls(__name__)
def test_a_person_named_by_a_write_entry_is_not_named_again_by_a_read(world, login, client):
    login(world["staff"])
    key = world["mine"].pupil_key
    before = last_id()
    assert client.get(f"/write/{key}/").status_code == 200
    [entry] = entries_naming(key, before)
    assert entry.action == "update" and entry.purpose == "saved"


@pytest.mark.urls(__name__)
def test_fail_closed_the_data_is_not_sent_when_the_entry_cannot_be_written(world, login, client, monkeypatch):
    login(world["staff"])
    key = world["mine"].pupil_key

    def broken(**kwargs):
        raise RuntimeError("audit database down")

    monkeypatch.setattr(audit_services, "audit_write", broken)
    client.raise_request_exception = False
    RENDERED.clear()
    response = client.get(f"/three/{key}/")
    assert RENDERED == [key]  # the page was made ...
    assert response.status_code == 500
    assert b"Anouk" not in response.content  # ... and withheld
    assert response["X-Request-ID"]  # the outer middlewares still ran


@pytest.mark.urls(__name__)
def test_a_streamed_response_has_recorded_its_reads_before_it_is_returned(world, login, client, monkeypatch):
    login(world["staff"])
    key = world["mine"].pupil_key
    before = last_id()
    response = client.get(f"/stream/{key}/")
    assert len(entries_naming(key, before)) == 1  # written before a byte of the stream is read
    assert b"".join(response.streaming_content) == f"Anouk;{key}".encode()
    assert len(entries_naming(key, before)) == 1


def test_without_a_unit_a_selector_writes_at_once(world):
    user, key = world["staff"], world["mine"].pupil_key
    with assert_audited(count=1, subject_type="pupil", subjects=[key]):
        selectors.pupil_get(user=user, pupil_key=key)
    with assert_audited(count=2, subject_type="pupil", subjects=[key]):
        selectors.pupil_get(user=user, pupil_key=key)
        selectors.pupil_get(user=user, pupil_key=key)


def test_a_command_unit_writes_its_entries_when_it_ends(world):
    user, key = world["staff"], world["mine"].pupil_key
    before = last_id()
    with unit_of_work(user, label="test command") as access:
        assert isinstance(access, Access) and access.actor == user
        selectors.pupil_get(user=user, pupil_key=key, purpose="one")
        selectors.pupil_list(user=user, purpose="two")
        assert entries_naming(key, before) == []  # nothing written yet
    [entry] = entries_naming(key, before)
    assert entry.purpose == "one; two" and entry.actor_id == user.pk and entry.request_id


def test_a_failing_command_unit_still_writes_what_it_read(world):
    user, key = world["staff"], world["mine"].pupil_key
    before = last_id()
    with pytest.raises(ZeroDivisionError), unit_of_work(user, label="failing"):
        selectors.pupil_get(user=user, pupil_key=key)
        1 / 0  # noqa: B018
    assert len(entries_naming(key, before)) == 1


def test_units_nest_into_the_outer_one(world):
    user, key = world["staff"], world["mine"].pupil_key
    before = last_id()
    with unit_of_work(user, label="outer"):
        with unit_of_work(user, label="inner"):
            selectors.pupil_get(user=user, pupil_key=key)
        assert entries_naming(key, before) == []
        selectors.pupil_get(user=user, pupil_key=key)
    assert len(entries_naming(key, before)) == 1


def test_a_management_command_is_one_unit(world, monkeypatch, tmp_path):
    """``UnitOfWorkCommand``: a command runs in one unit, closed (its entries written) when it ends."""
    closed = []
    original = kernel_access.Unit.close

    def spy(self):
        closed.append(self.label)
        return original(self)

    monkeypatch.setattr(kernel_access.Unit, "close", spy)
    call_command("outflow", "--school-year", "2024-2025", "--out", str(tmp_path / "outflow.csv"))
    assert closed == ["command outflow"]
    assert kernel_access.current_unit() is None


def test_access_get_scopes_and_404s(world):
    access = Access(world["staff"])
    assert access.get(Pupil, purpose="t", pupil_key=world["mine"].pupil_key) == world["mine"]
    with pytest.raises(Http404):
        access.get(Pupil, purpose="t", pupil_key=world["other"].pupil_key)
    assert set(access.filter(Pupil)) == {world["mine"]}
    assert access.visible(world["mine"]) and not access.visible(world["other"])
    with pytest.raises(TypeError):
        access.scope(School)  # not a person-data model: nothing to scope


def test_every_person_model_says_who_may_see_it():
    """A new model with a pupil (or a tutor, a portfolio) must derive its queryset from PersonQuerySet."""
    from django.apps import apps

    from leerloopbaan.kernel.access import PersonQuerySet

    person = {apps.get_model("registry", "Pupil"), apps.get_model("tutoring", "Tutor")}
    ours = [m for m in apps.get_models() if m.__module__.startswith("leerloopbaan.")]
    grew = True
    while grew:  # every model that points at a person's data holds a person's data too
        grew = False
        for model in ours:
            if model in person:
                continue
            targets = {f.related_model for f in model._meta.get_fields()
                       if f.is_relation and not f.auto_created and (f.many_to_one or f.one_to_one)}
            if targets & person:
                person.add(model)
                grew = True
    missing = sorted(m._meta.label for m in person if not issubclass(m._default_manager._queryset_class, PersonQuerySet))
    assert not missing, f"person-data models without visible_to: {missing}"
    assert len(person) >= 30


# --- gaps the access layer closed ---------------------------------------------------------------

def test_granting_a_membership_is_on_record(world, make_user):
    from leerloopbaan.accounts.services import membership_add

    user = make_user("clb_worker")
    before = last_id()
    membership_add(user=user, school=world["B"], start_date=datetime.date(2025, 9, 1))
    [entry] = AuditEntry.objects.filter(id__gt=before)
    assert entry.action == "create" and entry.subjects == f"user:{user.pk}" and entry.purpose == "access granted"
    assert entry.detail["school"] == world["B"].pk and entry.detail["start_date"] == "2025-09-01"


def test_expiring_risk_scores_names_every_pupil_whose_scores_went(world):
    from leerloopbaan.ews.models import ModelRun, RiskScore
    from leerloopbaan.ews.services import expire_scores

    run = ModelRun.objects.create(version="t1", model_name="logistic", path="x.json")
    today = datetime.date(2026, 3, 1)
    for pupil, day in ((world["mine"], datetime.date(2024, 12, 1)), (world["other"], datetime.date(2025, 12, 1))):
        RiskScore.objects.create(pupil=pupil, school=world["A"], reference_date=day, model_run=run, risk=0.3, band="medium")
    before = last_id()
    assert expire_scores(today=today) == 1
    [entry] = AuditEntry.objects.filter(id__gt=before)
    assert entry.action == "delete" and entry.subjects == world["mine"].pupil_key and entry.detail == {"scores": 1}
    assert expire_scores(today=today) == 0 and last_id() == entry.id  # nothing deleted, nothing written


def test_the_pupil_page_checks_the_scope_once(world, make_user, monkeypatch):
    """pupil_get scopes the read; pupil_records and the ews panel trust the pupil it returned."""
    calls = []
    original = selectors.pupil_scope

    def counting(user, qs=None):
        calls.append(user)
        return original(user, qs)

    monkeypatch.setattr(selectors, "pupil_scope", counting)
    analyst = make_user("city_analyst")  # sees the pupil by pseudonym, no risk scores: only the pupil scope is at stake
    pupil = selectors.pupil_get(user=analyst, pupil_key=world["mine"].pupil_key)
    records = selectors.pupil_records(user=analyst, pupil=pupil)
    ews_selectors.pupil_page_risk(PupilSubject(user=analyst, pupil=pupil, label="", visible_until=records["visible_until"]))
    assert len(calls) == 1
    other = Pupil.objects.get(pk=world["other"].pk)  # not read through the Access: checked
    selectors.pupil_records(user=analyst, pupil=other)
    assert len(calls) == 2
    with pytest.raises(Http404):
        selectors.pupil_records(user=world["staff"], pupil=other)
