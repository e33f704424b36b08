"""The portfolio's lifecycles in the workflow kernel: an organisation the city suspends cannot attest until it
is reinstated; an open attestation request is answered once (issued, declined or withdrawn by the youth)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from leerloopbaan.kernel import workflow
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.kernel.events.models import TransitionEvent
from leerloopbaan.portfolio.models import AttestationRequest, Issuer
from leerloopbaan.portfolio.youth import services
from leerloopbaan.portfolio.youth.services import PortfolioError

pytestmark = pytest.mark.django_db


def test_a_suspended_organisation_cannot_attest_until_reinstated(attested, city_user):
    issuer, contact = attested["issuer"], attested["contact"]
    assert [t.action for t in workflow.allowed_actions(city_user, issuer)] == ["suspend"]
    assert workflow.allowed_actions(contact, issuer) == []
    with pytest.raises(PortfolioError, match="Say why"):
        services.issuer_suspend(user=city_user, issuer=issuer, note=" ")
    with pytest.raises(PermissionDenied):
        services.issuer_suspend(user=contact, issuer=issuer, note="zelf")
    with assert_audited(count=1, action="update", subject_type="issuer"):
        issuer = services.issuer_suspend(user=city_user, issuer=issuer, note="Klacht in onderzoek")
    assert (issuer.status, issuer.status_note) == (Issuer.Status.SUSPENDED, "Klacht in onderzoek")
    with pytest.raises(PortfolioError, match="not verified"):
        services.credential_issue(user=contact, portfolio=attested["portfolio"], achievement=attested["achievement"])
    with pytest.raises(services.TransitionNotAllowed, match="already decided"):
        services.issuer_decide(user=city_user, issuer=issuer, verify=True)
    issuer = services.issuer_reinstate(user=city_user, issuer=issuer)
    assert issuer.status == Issuer.Status.VERIFIED
    assert list(TransitionEvent.objects.filter(lifecycle="portfolio.issuer", object_id=issuer.pk)
                .values_list("action", "from_state", "to_state")) == [("verify", "pending", "verified"),
                                                                       ("suspend", "verified", "suspended"),
                                                                       ("reinstate", "suspended", "verified")]


def test_an_attestation_request_is_answered_once(attested):
    youth, contact = attested["youth"], attested["contact"]
    ask = services.request_create(user=youth, portfolio=attested["portfolio"], issuer=attested["issuer"], message="Graag")
    assert [t.action for t in workflow.allowed_actions(contact, ask)] == ["issue", "decline"]
    assert [t.action for t in workflow.allowed_actions(youth, ask)] == ["withdraw"]
    with pytest.raises(PermissionDenied):
        services.request_withdraw(user=contact, request=ask)
    stale = AttestationRequest.objects.get(pk=ask.pk)
    ask = services.request_withdraw(user=youth, request=ask)
    assert (ask.status, ask.answered_by) == (AttestationRequest.Status.WITHDRAWN, youth)
    with pytest.raises(services.TransitionNotAllowed, match="already been answered"):
        services.request_decline(user=contact, request=stale, answer="Niet bij ons")  # a copy loaded while it was open
    assert AttestationRequest.objects.get(pk=ask.pk).status == AttestationRequest.Status.WITHDRAWN
