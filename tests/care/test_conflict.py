"""Two users save the same request at once: the second gets a clear conflict, nothing is lost."""

import pytest

from leerloopbaan.care.models import RequestEvent, SupportRequest
from leerloopbaan.care.requests import services

pytestmark = pytest.mark.django_db(databases="__all__")


def intake_request(care):
    req = services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"], description="x")
    return services.support_request_intake(user=care["coordinator"], request=req, version=1)


def test_second_save_of_the_same_version_is_a_conflict(care):
    req = intake_request(care)
    first = SupportRequest.objects.get(pk=req.pk)   # coordinator 1 loads version 2
    second = SupportRequest.objects.get(pk=req.pk)  # coordinator 2 loads version 2
    services.support_request_assign(user=care["coordinator"], request=first, version=first.version, kind="offer", offer=care["offer"])
    with pytest.raises(services.Conflict, match="Someone else changed this request"):
        services.support_request_assign(user=care["coordinator2"], request=second, version=second.version, kind="provider",
                                        organisation=care["other_org"])
    stored = SupportRequest.objects.get(pk=req.pk)
    assert (stored.organisation, stored.offer, stored.version) == (care["provider"], care["offer"], 3)
    assert RequestEvent.objects.filter(request=req, to_status="assigned").count() == 1


def test_the_update_itself_checks_the_version(care, monkeypatch):
    """Even when both pass the read check (a race), the UPDATE ... WHERE version=%s matches 0 rows for the second."""
    req = intake_request(care)
    real_get = SupportRequest.objects.select_for_update().get

    class StaleManager:
        def get(self, **kw):
            row = real_get(**kw)
            row.version, row.status = 2, "intake"  # what the second writer read before the first committed
            return row

    services.support_request_assign(user=care["coordinator"], request=req, version=2, kind="offer", offer=care["offer"])
    monkeypatch.setattr(SupportRequest.objects, "select_for_update", lambda: StaleManager())
    with pytest.raises(services.Conflict):
        services.support_request_close(user=care["coordinator"], request=req, version=2, outcome="referred")
    assert SupportRequest.objects.get(pk=req.pk).status == "assigned"


def test_conflict_message_in_the_page(care, login, client):
    req = intake_request(care)
    login(care["coordinator"])
    client.post(f"/care/requests/{req.pk}/assign/", {"version": 2, "kind": "offer", "offer": care["offer"].pk})
    c2 = client.__class__()
    login(care["coordinator2"], c2)
    response = c2.post(f"/care/requests/{req.pk}/assign/", {"version": 2, "kind": "clb"}, follow=True)
    html = response.content.decode()
    assert "Iemand anders" in html or "Someone else changed this request" in html
    stored = SupportRequest.objects.get(pk=req.pk)
    assert (stored.assigned_kind, stored.offer) == ("offer", care["offer"])
