"""The support-request state machine: allowed and refused transitions, the event log, mail on commit, overdue."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leerloopbaan.care.models import RequestEvent, SupportOffer, SupportRequest
from leerloopbaan.care.requests import selectors, services
from leerloopbaan.kernel.audit.models import AuditEntry

pytestmark = pytest.mark.django_db(databases="__all__")


def new_request(care, **kw):
    return services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                           description="Vaak afwezig", name_attached=True, **kw)


def test_create_attaches_reasons_and_sets_due(care, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = new_request(care)
    assert req.status == "new" and req.version == 1
    assert req.reasons and req.reasons[0]["text_en"] == "Many B absences"
    assert req.due_at > timezone.now() + datetime.timedelta(days=4)
    assert [e.to_status for e in req.events.all()] == ["new"]
    # the support team is told, without the pupil's name
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {care["coordinator"].email, care["coordinator2"].email}
    assert "Anouk" not in mail.outbox[0].body and f"#{req.pk}" in mail.outbox[0].subject
    assert AuditEntry.objects.filter(action="create", subjects=care["a7"].pupil_key).exists()


def test_full_path_with_events_and_mail(care, django_capture_on_commit_callbacks):
    req = new_request(care)
    c, p = care["coordinator"], care["contact"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        req = services.support_request_intake(user=c, request=req, version=1, note="bekeken")
        req = services.support_request_assign(user=c, request=req, version=2, kind="offer", offer=care["offer"])
        req = services.support_request_start(user=p, request=req, version=3)
        req = services.support_request_close(user=p, request=req, version=4, outcome="resolved", note="Komt weer naar school")
    assert len(callbacks) == 4
    assert (req.status, req.outcome, req.organisation, req.version) == ("closed", "resolved", care["provider"], 5)
    assert req.due_at is None
    events = list(RequestEvent.objects.filter(request=req).values_list("from_status", "to_status", "actor"))
    assert events == [("", "new", care["staff"].pk), ("new", "intake", c.pk), ("intake", "assigned", c.pk),
                      ("assigned", "in_progress", p.pk), ("in_progress", "closed", p.pk)]
    # the provider heard of the assignment; the school of the closing
    assert any(p.email in m.to for m in mail.outbox)
    assert care["staff"].email in mail.outbox[-1].to and p.email not in mail.outbox[-1].to


def test_refused_transitions(care):
    req = new_request(care)
    c = care["coordinator"]
    with pytest.raises(services.TransitionNotAllowed, match="cannot become"):
        services.support_request_assign(user=c, request=req, version=1, kind="offer", offer=care["offer"])
    with pytest.raises(PermissionDenied):
        services.support_request_intake(user=care["staff"], request=req, version=1)
    with pytest.raises(PermissionDenied):
        services.support_request_start(user=care["contact"], request=req, version=1)
    req = services.support_request_intake(user=c, request=req, version=1)
    with pytest.raises(PermissionDenied):  # another provider cannot start
        services.support_request_assign(user=care["contact"], request=req, version=2, kind="offer", offer=care["offer"])
    req = services.support_request_assign(user=c, request=req, version=2, kind="provider", organisation=care["provider"])
    with pytest.raises(PermissionDenied):
        services.support_request_start(user=care["other_contact"], request=req, version=3)
    with pytest.raises(services.TransitionNotAllowed):  # closing needs 'in progress' first
        services.support_request_close(user=c, request=req, version=3, outcome="resolved")
    with pytest.raises(services.TransitionNotAllowed):  # no withdrawing once assigned
        services.support_request_withdraw(user=care["staff"], request=req, version=3)
    with pytest.raises(services.CareError):
        services.support_request_assign(user=c, request=req, version=3, kind="nobody")
    assert RequestEvent.objects.filter(request=req).count() == 3


def test_school_withdraws_and_team_closes_after_intake(care):
    req = new_request(care)
    req = services.support_request_withdraw(user=care["staff"], request=req, version=1, note="opgelost")
    assert (req.status, req.outcome) == ("closed", "withdrawn")
    with pytest.raises(services.TransitionNotAllowed):
        services.support_request_intake(user=care["coordinator"], request=req, version=2)
    other = new_request(care)
    other = services.support_request_intake(user=care["coordinator"], request=other, version=1)
    other = services.support_request_close(user=care["coordinator"], request=other, version=2, outcome="referred", note="naar CMP")
    assert (other.status, other.outcome) == ("closed", "referred")
    with pytest.raises(PermissionDenied):  # staff of another school cannot withdraw
        services.support_request_withdraw(user=care["staff_b"], request=new_request(care), version=1)


def test_assign_to_clb_defaults_to_the_schools_clb(care):
    req = services.support_request_intake(user=care["coordinator"], request=new_request(care), version=1)
    req = services.support_request_assign(user=care["coordinator"], request=req, version=2, kind="clb")
    assert req.clb == care["X"] and req.organisation is None
    with pytest.raises(PermissionDenied):
        services.support_request_start(user=care["clb_y"], request=req, version=3)
    req = services.support_request_start(user=care["clb"], request=req, version=3)
    req = services.support_request_close(user=care["clb"], request=req, version=4, outcome="partly")
    assert req.outcome == "partly"


def test_create_refuses_other_schools_pupil_and_group_requests_carry_no_pupil(care):
    with pytest.raises(services.CareError):
        services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["b0"], description="x")
    with pytest.raises(PermissionDenied):
        services.support_request_create(user=care["staff"], school=care["B"], subject_level="school", description="x")
    req = services.support_request_create(user=care["staff"], school=care["A"], subject_level="group", pupil=care["a1"], group_label="3B",
                                          description="klasklimaat", name_attached=True)
    assert req.pupil is None and req.group_label == "3B" and not req.name_attached and req.reasons == []


def test_overdue(care):
    req = new_request(care)
    fresh = new_request(care)
    SupportRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    assert list(selectors.overdue_requests(user=care["coordinator"])) == [req]
    assert list(selectors.overdue_requests(user=care["contact"])) == []
    rows = selectors.request_list(user=care["coordinator"], overdue_only=True)
    assert [r.request for r in rows] == [req] and rows[0].overdue
    rows = selectors.request_list(user=care["coordinator"], sort="due")
    assert [r.request for r in rows] == [req, fresh]  # oldest due first
    closed = services.support_request_withdraw(user=care["staff"], request=req, version=1)
    assert not closed.is_overdue and list(selectors.overdue_requests(user=care["coordinator"])) == []


def test_working_days():
    friday = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
    assert services.add_working_days(friday, 1).weekday() == 0
    assert (services.add_working_days(friday, 5) - friday).days == 7


def test_offer_save_validation_and_rights(care):
    c, p = care["coordinator"], care["contact"]
    fields = {"title": "Huiswerkklas", "description": "Na school", "levels": ["pupil", "class"], "predictors": ["results"]}
    offer = services.support_offer_save(user=p, provider=care["provider"], **fields)
    assert offer.provider == care["provider"] and offer.predictors == ["results"]
    with pytest.raises(PermissionDenied):
        services.support_offer_save(user=care["other_contact"], offer=offer, provider=care["other_org"], **fields)
    with pytest.raises(PermissionDenied):
        services.support_offer_save(user=care["staff"], provider=care["provider"], **fields)
    with pytest.raises(services.CareError, match="Unknown"):
        services.support_offer_save(user=c, provider=care["provider"], **{**fields, "predictors": ["astrology"]})
    with pytest.raises(services.CareError):
        services.support_offer_save(user=c, provider=care["provider"], age_min=18, age_max=12, **fields)
    assert SupportOffer.objects.count() == 2
    found = selectors.offer_list(user=care["staff"], predictor="absence")
    assert [o.title for o in found] == ["Spijbelcoaching"]
    assert [o.title for o in selectors.offer_list(user=care["staff"], q="huiswerk")] == ["Huiswerkklas"]
    assert [o.title for o in selectors.offer_list(user=care["staff"], district="Hoboken")] == ["Huiswerkklas"]
