"""The workflow kernel on a lifecycle of its own (declared here, not registered): the order of its checks,
what it writes (the row, one event row, exactly one audit entry) and when it notifies (after the commit
only). The lifecycle runs on the tutor table because that model has a state and a version."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import workflow
from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.kernel.events.models import TransitionEvent
from leerloopbaan.tutoring.models import Initiative, Tutor

NOTIFIED: list[tuple[int, str]] = []


def _coordinator(user, tutor) -> bool:
    return user.role == Role.TUTOR_COORDINATOR


def _entry(tutor, change) -> dict:
    return {"action": "update", "subject_type": "tutor", "subjects": [f"tutor:{tutor.pk}"], "actor": change.actor,
            "purpose": "workflow test", "detail": {"from": change.source, "to": change.target}}


TINY = workflow.Lifecycle(
    name="test.tiny", model=Tutor, noun="tutor", states=Tutor.Status.values, initial=["applied"], terminal=[],
    conflict_message="Changed in the meantime.", audit=_entry, notify=lambda tutor, change: NOTIFIED.append((tutor.pk, change.action)),
    register=False,
    transitions=[
        workflow.Transition("screen", ("applied",), "screening", "Screen", _coordinator),
        workflow.Transition("note", ("applied", "screening"), None, "Note", _coordinator),
    ],
)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def tiny(db, make_user):
    NOTIFIED.clear()
    initiative = Initiative.objects.create(name="Proefproject", kind=Initiative.Kind.CITY)
    tutor = Tutor.objects.create(initiative=initiative, first_name="Ada", last_name="Peeters", email="ada@example.test",
                                 kind=Tutor.Kind.VOLUNTEER)
    return {"tutor": tutor, "coordinator": make_user(Role.TUTOR_COORDINATOR), "staff": make_user(Role.SCHOOL_STAFF)}


def written(tutor) -> tuple:
    """Everything a transition may write: the row's state and version, event rows, audit entries."""
    row = Tutor.objects.values_list("status", "version").get(pk=tutor.pk)
    return row, TransitionEvent.objects.filter(lifecycle="test.tiny").count(), AuditEntry.objects.count()


def test_a_transition_writes_the_row_one_event_and_exactly_one_audit_entry(tiny, django_capture_on_commit_callbacks):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    (_, events, audits) = written(tutor)
    with assert_audited(count=1, action="update", subject_type="tutor", subjects=[f"tutor:{tutor.pk}"]) as audit:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            moved = workflow.transition(TINY, tutor, "screen", actor=c, version=1, note="gesprek gepland")
            assert NOTIFIED == []  # not before the commit
    assert len(callbacks) == 1 and NOTIFIED == [(tutor.pk, "screen")]
    assert (moved.status, moved.version) == ("screening", 2)
    assert (tutor.status, tutor.version) == ("applied", 1)  # the caller's instance keeps what it loaded
    assert written(tutor) == (("screening", 2), events + 1, audits + 1)
    event = TransitionEvent.objects.get(lifecycle="test.tiny", object_id=tutor.pk)
    assert (event.action, event.from_state, event.to_state, event.actor_id, event.note) == ("screen", "applied", "screening", c.pk,
                                                                                             "gesprek gepland")
    assert (audit.entries[0].purpose, audit.entries[0].detail) == ("workflow test", {"from": "applied", "to": "screening"})


def test_an_edit_keeps_the_state_bumps_the_version_and_writes_no_event(tiny):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    (_, events, audits) = written(tutor)
    moved = workflow.transition(TINY, tutor, "note", actor=c, version=1, values={"motivation": "graag"})
    assert (moved.status, moved.version, moved.motivation) == ("applied", 2, "graag")
    assert written(tutor) == (("applied", 2), events, audits + 1)


def test_an_illegal_transition_is_refused_and_writes_nothing(tiny):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    workflow.transition(TINY, tutor, "screen", actor=c, version=1)
    before = written(tutor)
    with pytest.raises(workflow.TransitionNotAllowed, match="A tutor that is in screening cannot become in screening"):
        workflow.transition(TINY, tutor, "screen", actor=c, version=2)
    assert written(tutor) == before and NOTIFIED == []


def test_a_refusing_guard_writes_nothing(tiny):
    tutor = tiny["tutor"]
    before = written(tutor)
    with pytest.raises(PermissionDenied):
        workflow.transition(TINY, tutor, "screen", actor=tiny["staff"], version=1)
    tiny["staff"].is_active = False
    with pytest.raises(PermissionDenied):  # an inactive account never passes a guard
        workflow.transition(TINY, tutor, "screen", actor=tiny["staff"], version=1)
    assert written(tutor) == before


def test_a_stale_version_is_a_conflict_and_writes_nothing(tiny):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    workflow.transition(TINY, tutor, "note", actor=c, version=1)
    before = written(tutor)
    with pytest.raises(workflow.Conflict, match="Changed in the meantime"):
        workflow.transition(TINY, tutor, "screen", actor=c, version=1)  # what the caller loaded before the note
    assert written(tutor) == before


def test_the_update_itself_checks_the_version(tiny, monkeypatch):
    """Both writers passed the read check (a race): the UPDATE ... WHERE version matches no row for the second."""
    tutor, c = tiny["tutor"], tiny["coordinator"]
    workflow.transition(TINY, tutor, "note", actor=c, version=1)
    before = written(tutor)
    real = Tutor.objects.select_for_update

    class Stale:
        def get(self, **kw):
            row = real().get(**kw)
            row.version = 1  # what the second writer read before the first committed
            return row

    monkeypatch.setattr(Tutor.objects, "select_for_update", lambda: Stale())
    with pytest.raises(workflow.Conflict):
        workflow.transition(TINY, tutor, "screen", actor=c, version=1)
    assert written(tutor) == before


def test_a_refusal_in_the_values_rolls_back_and_writes_nothing(tiny):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    before = written(tutor)

    def refuse(current):
        raise ValueError("not like this")

    with pytest.raises(ValueError):
        workflow.transition(TINY, tutor, "screen", actor=c, version=1, values=refuse)
    with pytest.raises(RuntimeError):
        workflow.transition(TINY, tutor, "screen", actor=c, version=1, apply=lambda obj, change: (_ for _ in ()).throw(RuntimeError()))
    assert written(tutor) == before and NOTIFIED == []


def test_allowed_actions_follow_the_state_and_the_guard(tiny):
    tutor, c, staff = tiny["tutor"], tiny["coordinator"], tiny["staff"]
    assert [t.action for t in workflow.allowed_actions(c, tutor, TINY)] == ["screen", "note"]
    assert workflow.allowed_actions(staff, tutor, TINY) == []
    moved = workflow.transition(TINY, tutor, "screen", actor=c, version=1)
    assert [t.action for t in workflow.allowed_actions(c, moved, TINY)] == ["note"]
    assert workflow.may(c, moved, "note", TINY) and not workflow.may(c, moved, "screen", TINY)
    assert workflow.state_graph(TINY)["applied"] == {"screening"}


@pytest.mark.django_db(transaction=True)
def test_notifications_go_out_after_the_commit_and_never_on_a_rollback(tiny):
    tutor, c = tiny["tutor"], tiny["coordinator"]
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.transition(TINY, tutor, "screen", actor=c, version=1)
        raise RuntimeError("the use case fails after the transition")
    assert NOTIFIED == [] and Tutor.objects.get(pk=tutor.pk).status == "applied"
    assert not TransitionEvent.objects.filter(lifecycle="test.tiny").exists()
    with transaction.atomic():
        workflow.transition(TINY, tutor, "screen", actor=c, version=1)
        assert NOTIFIED == []
    assert NOTIFIED == [(tutor.pk, "screen")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transitions_on_one_row_one_wins_one_conflicts(tiny):
    """Row lock on PostgreSQL: the second writer waits for the first one's commit, then finds a newer version."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    tutor, c = tiny["tutor"], tiny["coordinator"]
    locked = threading.Event()
    outcome: dict[str, object] = {}

    def hold(obj, change):
        locked.set()
        time.sleep(0.5)  # keep the row lock while the other writer tries

    def first():
        try:
            with transaction.atomic():
                workflow.transition(TINY, tutor, "screen", actor=c, version=1, apply=hold)
            outcome["first"] = "moved"
        finally:
            connection.close()

    def second():
        try:
            locked.wait(5)
            started = time.monotonic()
            try:
                with transaction.atomic():
                    workflow.transition(TINY, tutor, "screen", actor=c, version=1)
                outcome["second"] = "moved"
            except workflow.Conflict:
                outcome["second"] = "conflict"
            outcome["waited"] = time.monotonic() - started
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcome["first"] == "moved" and outcome["second"] == "conflict"
    assert outcome["waited"] >= 0.3  # it waited for the lock instead of reading the row beside it
    assert Tutor.objects.values_list("status", "version").get(pk=tutor.pk) == ("screening", 2)
    assert TransitionEvent.objects.filter(lifecycle="test.tiny", object_id=tutor.pk).count() == 1
