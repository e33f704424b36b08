"""Consent is enforced at read time (issue 14, item 5): what (categories), to whom (organisation or role),
until when (the Brussels date), for case notes, a handover's support and what helped, and the risk reasons
of a support request; a provider takes part in a case only with a consent naming them and logs in with a
second factor."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from leerloopbaan.accounts.roles import Role, requires_two_factor
from leerloopbaan.care.cases import selectors as selectors_cases
from leerloopbaan.care.cases import services as services_cases
from leerloopbaan.care.cases.consent import covers
from leerloopbaan.care.handovers import selectors as selectors_handovers
from leerloopbaan.care.models import CaseParticipant, Consent, Handover
from leerloopbaan.care.requests import selectors as selectors_requests
from leerloopbaan.care.requests import services
from leerloopbaan.kernel import clock
from tests.factories import CareConsentFactory

pytestmark = pytest.mark.django_db(databases="__all__")

NOTE = "Vertrouwelijk: moeilijke thuissituatie"
REASON = [{"code": "absence_b", "text_nl": "Veel B-afwezigheden", "text_en": "Many unauthorised absences"}]


def verified(user):
    """The user as the request sees it after the second factor (django-otp sets ``is_verified``)."""
    user.is_verified = lambda: True
    return user


def pupil_request(care, reasons=None):
    return services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"],
                                           description="Vaak afwezig", name_attached=True, reasons=reasons)


@pytest.fixture
def case(care):
    """A case about a7 (school A) managed by the coordinator, with the school taking part and one note."""
    case = services_cases.case_open(user=care["coordinator"], request=pupil_request(care), summary="Meerdere problemen")
    services_cases.case_participant_add(user=care["coordinator"], case=case, version=case.version, participant=care["staff"])
    services_cases.case_note_add(user=care["coordinator"], case=case, text=NOTE)
    return case


def add_contact(care, case, **consent):
    """The provider joins the case under a consent naming its organisation (or ``consent``)."""
    given = CareConsentFactory(pupil=case.pupil, case=case, **(consent or {"recipient_organisation": care["provider"]}))
    case.refresh_from_db()
    services_cases.case_participant_add(user=care["coordinator"], case=case, version=case.version, participant=care["contact"])
    return given


# --- the rule -------------------------------------------------------------------------------

def test_the_school_the_clb_and_the_support_team_need_no_consent(care):
    for user in (care["staff"], care["clb"], care["coordinator"]):
        assert covers(care["a7"], user, "case_notes")


def test_a_provider_needs_a_consent_naming_it_and_the_category(care):
    contact = verified(care["contact"])
    assert not covers(care["a7"], contact, "case_notes")
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"])  # no recipient: school, CLB and support team only
    assert not covers(care["a7"], contact, "case_notes")
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"], recipient_organisation=care["other_org"])
    assert not covers(care["a7"], contact, "case_notes")
    CareConsentFactory(pupil=care["a7"], categories=["attendance"], recipient_organisation=care["provider"])
    assert not covers(care["a7"], contact, "case_notes")  # the wrong category
    CareConsentFactory(pupil=care["a3"], categories=["case_notes"], recipient_organisation=care["provider"])
    assert not covers(care["a7"], contact, "case_notes")  # another pupil
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"], recipient_organisation=care["provider"])
    assert covers(care["a7"], contact, "case_notes")
    assert covers(care["a7"], verified(care["other_contact"]), "case_notes")  # named by the other organisation's consent


def test_a_consent_naming_the_role_covers_every_provider(care):
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"], recipient_role=Consent.Recipient.PROVIDER)
    assert covers(care["a7"], verified(care["contact"]), "case_notes")
    assert covers(care["a7"], verified(care["other_contact"]), "case_notes")


def test_without_the_second_factor_a_provider_reads_nothing_even_with_a_consent(care):
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"], recipient_organisation=care["provider"])
    contact = care["contact"]  # loaded without a session: no verified second factor
    assert not covers(care["a7"], contact, "case_notes")
    contact.is_verified = lambda: False
    assert not covers(care["a7"], contact, "case_notes")


def test_organisation_contacts_log_in_with_a_second_factor(care, client, case):
    assert requires_two_factor(Role.ORGANISATION_CONTACT)
    add_contact(care, case)
    client.force_login(care["contact"])  # the password only
    response = client.get(f"/care/cases/{case.pk}/")
    assert response.status_code == 302 and "/account/2fa/" in response["Location"]


# --- case notes -----------------------------------------------------------------------------

def test_a_provider_cannot_join_a_case_without_a_consent_naming_it(care, case):
    with pytest.raises(services_cases.CareError, match="No active consent"):
        services_cases.case_participant_add(user=care["coordinator"], case=case, version=case.version, participant=care["contact"])
    CareConsentFactory(pupil=case.pupil, categories=["case_notes"], recipient_organisation=care["other_org"])
    with pytest.raises(services_cases.CareError, match="No active consent"):
        services_cases.case_participant_add(user=care["coordinator"], case=case, version=case.version, participant=care["contact"])
    CareConsentFactory(pupil=case.pupil, categories=["case_notes"], recipient_organisation=care["provider"],
                       withdrawn_at=timezone.now())
    with pytest.raises(services_cases.CareError, match="No active consent"):
        services_cases.case_participant_add(user=care["coordinator"], case=case, version=case.version, participant=care["contact"])
    assert not CaseParticipant.objects.filter(case=case, user=care["contact"]).exists()
    add_contact(care, case)
    assert services_cases.is_participant(care["contact"], case)


def test_the_add_participant_form_says_why_in_dutch(care, case, login, client):
    login(care["coordinator"])
    response = client.post(f"/care/cases/{case.pk}/participant_add/", {"version": case.version, "user": care["contact"].pk, "role": ""},
                           HTTP_ACCEPT_LANGUAGE="nl", follow=True)
    html = response.content.decode()
    assert "Geen actieve toestemming" in html
    assert not CaseParticipant.objects.filter(case=case, user=care["contact"]).exists()


def test_a_participating_provider_reads_the_notes_only_under_a_consent_covering_them(care, case):
    consent = add_contact(care, case, recipient_organisation=care["provider"], categories=["attendance"])
    contact = verified(care["contact"])
    view = selectors_cases.case_get(user=contact, pk=case.pk)
    assert view.participant and view.notes == [] and view.notes_withheld  # named, but not for the notes
    assert view.case.summary == ""  # nor the summary
    Consent.objects.filter(pk=consent.pk).update(categories=["attendance", "case_notes"])
    view = selectors_cases.case_get(user=contact, pk=case.pk)
    assert [n.text for n in view.notes] == [NOTE] and not view.notes_withheld and view.case.summary == "Meerdere problemen"
    assert [n.text for n in selectors_cases.case_get(user=care["staff"], pk=case.pk).notes] == [NOTE]


def test_what_a_goal_works_on_is_a_risk_signal(care, case):
    """A goal of the plan names the early-warning predictor it works on: a provider sees the goal, and
    what it works on only under a consent covering risk signals."""
    case.refresh_from_db()
    services_cases.case_goal_add(user=care["coordinator"], case=case, version=case.version, predictor="absence",
                                 description="Elke dag op tijd", review_date=clock.today() + datetime.timedelta(days=30))
    consent = add_contact(care, case, recipient_organisation=care["provider"], categories=["case_notes"])
    contact = verified(care["contact"])
    view = selectors_cases.case_get(user=contact, pk=case.pk)
    assert [g.description for g in view.goals] == ["Elke dag op tijd"]
    assert [g.shown_predictor for g in view.goals] == [""] and view.predictors_withheld
    Consent.objects.filter(pk=consent.pk).update(categories=["case_notes", "risk_signals"])
    view = selectors_cases.case_get(user=contact, pk=case.pk)
    assert view.goals[0].shown_predictor and not view.predictors_withheld
    assert selectors_cases.case_get(user=care["staff"], pk=case.pk).goals[0].shown_predictor  # the school: always


def test_a_withdrawal_takes_effect_at_the_next_read(care, case):
    consent = add_contact(care, case)
    contact = verified(care["contact"])
    assert selectors_cases.case_get(user=contact, pk=case.pk).notes
    services_cases.consent_withdraw(user=care["coordinator"], case=case, consent=consent)
    view = selectors_cases.case_get(user=contact, pk=case.pk)
    assert view.notes == [] and view.notes_withheld
    assert selectors_cases.case_get(user=care["staff"], pk=case.pk).notes  # the school keeps reading


def test_an_expiry_takes_effect_on_the_next_brussels_day(care, case):
    add_contact(care, case, recipient_organisation=care["provider"], valid_until=datetime.date(2026, 12, 6))
    contact = verified(care["contact"])
    # 23:30 in Brussels on the last valid day (22:30 UTC): still valid
    with time_machine.travel(datetime.datetime(2026, 12, 6, 22, 30, tzinfo=datetime.UTC), tick=False):
        assert clock.today() == datetime.date(2026, 12, 6)
        assert selectors_cases.case_get(user=contact, pk=case.pk).notes
    # 00:30 in Brussels the next day (23:30 UTC, still 6 December in UTC): expired
    with time_machine.travel(datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC), tick=False):
        assert selectors_cases.case_get(user=contact, pk=case.pk).notes_withheld


def test_the_case_page_hides_the_notes_from_a_provider_without_a_covering_consent(care, case, login, client):
    consent = add_contact(care, case)
    login(care["contact"])
    html = client.get(f"/care/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert NOTE in html
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    html = client.get(f"/care/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert NOTE not in html and 'id="case-notes-withheld"' in html


def test_the_manager_records_a_consent_naming_an_organisation(care, case, login, client):
    login(care["coordinator"])
    until = (clock.today() + datetime.timedelta(days=30)).isoformat()
    client.post(f"/care/cases/{case.pk}/consent/", {"given_by": "parent", "what": "Notities", "categories": ["case_notes"],
                                                    "recipient_organisation": care["provider"].pk, "valid_until": until})
    consent = Consent.objects.get(case=case)
    assert (consent.recipient_organisation, consent.recipient_role, consent.categories) == (care["provider"], "", ["case_notes"])
    response = client.post(f"/care/cases/{case.pk}/consent/", {"given_by": "parent", "what": "x", "categories": ["case_notes"],
                                                               "recipient_organisation": care["provider"].pk, "recipient_role": "school",
                                                               "valid_until": until}, HTTP_ACCEPT_LANGUAGE="nl", follow=True)
    assert Consent.objects.filter(case=case).count() == 1
    assert "niet allebei" in response.content.decode()


# --- risk reasons on requests ---------------------------------------------------------------

def assigned_request(care):
    req = pupil_request(care, reasons=REASON)
    req = services.support_request_intake(user=care["coordinator"], request=req, version=1)
    return services.support_request_assign(user=care["coordinator"], request=req, version=2, kind="offer", offer=care["offer"])


def test_a_provider_sees_the_request_not_the_risk_reasons(care):
    req = assigned_request(care)
    contact = verified(care["contact"])
    seen = selectors_requests.request_get(user=contact, pk=req.pk)
    assert seen.description == "Vaak afwezig" and seen.offer == care["offer"]
    assert seen.reasons == [] and seen.reasons_withheld
    assert [r.request.reasons for r in selectors_requests.request_list(user=contact)] == [[]]
    assert selectors_requests.request_get(user=care["coordinator"], pk=req.pk).reasons == REASON
    assert selectors_requests.request_get(user=care["staff"], pk=req.pk).reasons == REASON


def test_a_provider_sees_the_risk_reasons_under_a_consent_for_risk_signals(care, login, client):
    req = assigned_request(care)
    CareConsentFactory(pupil=care["a7"], categories=["case_notes"], recipient_organisation=care["provider"])
    login(care["contact"])
    html = client.get(f"/care/requests/{req.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Veel B-afwezigheden" not in html and 'id="request-reasons-withheld"' in html
    CareConsentFactory(pupil=care["a7"], categories=["risk_signals"], recipient_organisation=care["provider"])
    html = client.get(f"/care/requests/{req.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Veel B-afwezigheden" in html
    assert not Consent.objects.filter(categories=[]).exists()


# --- handovers ------------------------------------------------------------------------------

@pytest.fixture
def handover(care):
    """a7 moved from school A to school B (CLB Y); school A wrote what helped and had support."""
    return Handover.objects.create(pupil=care["a7"], from_school=care["A"], to_school=care["B"], to_clb=care["Y"], kind="school_change",
                                   left_on=clock.today(), what_helped="Een vast aanspreekpunt hielp.",
                                   current_support=[{"status": "open", "kind": "clb", "offer": "", "since": "2026-09-01"}])


def test_what_helped_and_the_support_go_to_the_receiving_side_only_under_a_consent(care, handover):
    receivers = (care["staff_b"], care["clb_y"], care["coordinator"])
    for user in receivers:
        h = selectors_handovers.handover_get(user=user, pk=handover.pk)
        assert (h.what_helped, h.current_support, h.what_helped_withheld, h.support_withheld) == ("", [], True, True)
    sender = selectors_handovers.handover_get(user=care["staff"], pk=handover.pk)
    assert sender.what_helped and sender.current_support  # the sending school's own
    CareConsentFactory(pupil=care["a7"], categories=["what_helped"], recipient_role=Consent.Recipient.PROVIDER)
    assert selectors_handovers.handover_get(user=care["staff_b"], pk=handover.pk).what_helped == ""  # not named
    consent = CareConsentFactory(pupil=care["a7"], categories=["what_helped"])  # no recipient: school, CLB, support team
    for user in receivers:
        h = selectors_handovers.handover_get(user=user, pk=handover.pk)
        assert h.what_helped == "Een vast aanspreekpunt hielp." and h.current_support == []  # not the support
    CareConsentFactory(pupil=care["a7"], categories=["support"], recipient_role=Consent.Recipient.SCHOOL)
    assert selectors_handovers.handover_get(user=care["staff_b"], pk=handover.pk).current_support
    assert selectors_handovers.handover_get(user=care["clb_y"], pk=handover.pk).current_support == []
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())  # takes effect at the next read
    assert selectors_handovers.handover_get(user=care["staff_b"], pk=handover.pk).what_helped == ""
    assert Handover.objects.get(pk=handover.pk).what_helped  # nothing was changed in the database


def test_the_handover_page_says_what_is_not_shared(care, handover, login, client):
    login(care["staff_b"])
    html = client.get(f"/care/handovers/{handover.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Een vast aanspreekpunt" not in html
    assert 'id="handover-what-helped-withheld"' in html and 'id="handover-support-withheld"' in html
