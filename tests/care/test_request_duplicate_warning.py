"""The support request form warns when the pupil already has an open request (shown, with a link), without
blocking a second one; a closed request, another pupil's, or another school's request gives no warning."""

from __future__ import annotations

from leerloopbaan.care.models import SupportRequest
from leerloopbaan.kernel.audit.testing import assert_audited
from tests.factories import SupportRequestFactory


def form_of(client, pupil) -> str:
    return client.get(
        f"/care/requests/new/?pupil_key={pupil.pupil_key}", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


def test_an_open_request_is_shown_with_a_link(care, login, client):
    open_req = SupportRequestFactory(school=care["A"], pupil=care["a7"], status="in_progress")
    login(care["staff"])
    with assert_audited(count=1, subject_type="pupil", subjects=[care["a7"].pupil_key]):
        html = form_of(client, care["a7"])
    assert 'id="open-requests"' in html
    assert f'href="/care/requests/{open_req.pk}/">Request #{open_req.pk}</a>' in html
    assert "This pupil already has an open support request" in html and "in progress" in html
    nl = client.get(
        f"/care/requests/new/?pupil_key={care['a7'].pupil_key}", HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "Deze leerling heeft al een open ondersteuningsvraag" in nl


def test_the_warning_does_not_block_a_second_request(care, login, client):
    SupportRequestFactory(school=care["A"], pupil=care["a7"], status="new")
    login(care["staff"])
    response = client.post(
        "/care/requests/new/",
        {
            "pupil_key": care["a7"].pupil_key,
            "school": "100",
            "subject_level": "pupil",
            "description": "Iets anders",
        },
    )
    assert response.status_code == 302
    assert SupportRequest.objects.filter(pupil=care["a7"]).count() == 2
    html = form_of(client, care["a7"])
    assert "already has 2 open support requests" in html


def test_no_warning_for_closed_requests_other_pupils_or_other_schools(care, login, client):
    SupportRequestFactory(school=care["A"], pupil=care["a7"], status="closed")
    SupportRequestFactory(school=care["A"], pupil=care["a6"], status="new")
    SupportRequestFactory(
        school=care["B"], pupil=care["a7"], status="new"
    )  # another school asked: not theirs to see
    login(care["staff"])
    html = form_of(client, care["a7"])
    assert 'id="open-requests"' not in html
    assert 'id="open-requests"' in form_of(client, care["a6"])
    # the request form of another school's pupil stays closed
    assert client.get(f"/care/requests/new/?pupil_key={care['b0'].pupil_key}").status_code == 404
