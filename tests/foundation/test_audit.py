"""The audit log: one entry per read, kept when the request fails, append-only on PostgreSQL."""

import datetime

import pytest
from django.db import DatabaseError, connections, transaction
from django.urls import path

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.database import retention_in_database, set_retention
from leerloopbaan.kernel.audit.models import AppendOnlyError, AuditEntry
from leerloopbaan.kernel.audit.services import audit_purge, audit_record
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry import selectors
from tests.factories import EnrolmentFactory, PupilFactory, SchoolFactory


class Boom(Exception):
    pass


def read_then_fail(request, pupil_key):
    """An audited read followed by a failure inside the request's transaction."""
    with transaction.atomic():
        selectors.pupil_get(user=request.user, pupil_key=pupil_key, purpose="test")
        raise Boom("after the read")


urlpatterns = [path("t/<str:pupil_key>/", read_then_fail)]


@pytest.fixture
def school_and_pupil(db):
    """A school and a pupil enrolled there (so its staff may read the pupil)."""
    school = SchoolFactory(school_number="1", name="A")
    pupil = PupilFactory(pupil_key="a" * 64)
    EnrolmentFactory(pupil=pupil, school=school, school_year="2025-2026", grade="S2")
    return school, pupil


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_audited_view_writes_one_entry_even_when_the_request_fails(client, make_user, login, school_and_pupil):
    school, pupil = school_and_pupil
    user = make_user("school_staff", school=school)
    login(user)
    client.raise_request_exception = False
    with assert_audited(count=1, action="read", subject_type="pupil", subjects=[pupil.pupil_key]) as audit:
        response = client.get(f"/t/{pupil.pupil_key}/")
    assert response.status_code == 500
    entry = audit.entries[0]
    assert entry.actor_id == user.pk and entry.role == "school_staff" and entry.purpose == "test"
    assert entry.request_id and entry.path == f"/t/{pupil.pupil_key}/"


@pytest.mark.django_db(transaction=True)
def test_entry_survives_rollback_of_the_callers_transaction():
    before = AuditEntry.objects.count()
    with pytest.raises(Boom), transaction.atomic():
        audit_record(action="read", subject_type="pupil", subjects=["x"], purpose="rollback test")
        raise Boom
    assert AuditEntry.objects.count() == before + 1


@pytest.mark.django_db
def test_orm_refuses_change_and_delete():
    entry = audit_record(action="read", subject_type="pupil", subjects=["y"])
    entry.purpose = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def _is_postgres():
    return connections["default"].vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_database_refuses_update_and_delete_on_postgresql():
    if not _is_postgres():
        pytest.skip("the database trigger exists on PostgreSQL (CI runs this against PostgreSQL)")
    entry = audit_record(action="read", subject_type="pupil", subjects=["z"])
    conn = connections["audit"]
    for sql in ("UPDATE audit_auditentry SET purpose = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using="audit"), conn.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, purpose="").exists()


@pytest.fixture
def retention_30_days(settings):
    """A 30-day retention: in the settings, and on PostgreSQL in the database, where ``migrate`` (as the
    migration role, which the tests run as) stores it."""
    settings.AUDIT_RETENTION_DAYS = 30
    before = retention_in_database()
    if before is not None:
        set_retention(30)
    yield
    if before is not None:
        set_retention(before)


def _entry_of_age(days: int, purpose: str) -> AuditEntry:
    entry = AuditEntry(at=clock.now() - datetime.timedelta(days=days), action="read", subject_type="pupil",
                       subjects=purpose, subject_count=1, purpose=purpose)
    entry.save(using="audit", force_insert=True)
    return entry


@pytest.mark.django_db(transaction=True)
def test_purge_removes_only_entries_older_than_retention(retention_30_days):
    old, recent = _entry_of_age(40, "old"), _entry_of_age(20, "recent")
    assert audit_purge() >= 1
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=recent.pk).exists()
    assert audit_purge() == 0
    # the purge itself is on record
    assert AuditEntry.objects.filter(subject_type="audit_entry", purpose="retention").exists()


@pytest.mark.django_db(transaction=True)
def test_a_use_case_touching_many_people_names_every_one_in_parts():
    from leerloopbaan.kernel.audit.services import SUBJECTS_PER_ENTRY
    keys = [f"{i:064x}" for i in range(SUBJECTS_PER_ENTRY * 2 + 5)]
    before = AuditEntry.objects.count()
    first = audit_record(action="create", subject_type="pupil", subjects=keys, purpose="city-wide detection")
    parts = list(AuditEntry.objects.filter(id__gte=first.id).order_by("id"))
    assert AuditEntry.objects.count() - before == 3 == len(parts)
    assert [p.detail["part"] for p in parts] == [1, 2, 3] and {p.detail["parts"] for p in parts} == {3}
    assert sum(p.subject_count for p in parts) == len(keys)
    assert {s for p in parts for s in p.subjects.split()} == set(keys)
    assert len({p.request_id for p in parts}) == 1
