"""The demo's support offers and requests: every state, through the real services, cheap and idempotent."""

import time

import pytest

from leerloopbaan.care.models import SupportOffer, SupportRequest
from leerloopbaan.demo.accounts import create_demo_accounts
from leerloopbaan.demo.care.requests import create_demo_support

from ..ews.test_roles_ews import build_city

pytestmark = pytest.mark.django_db(databases="__all__")


def test_demo_support_covers_every_state_and_is_idempotent():
    build_city()
    create_demo_accounts()
    started = time.monotonic()
    made = create_demo_support()
    assert time.monotonic() - started < 1.0
    assert made["offers"] == 4 and made["requests"] == 6
    assert set(SupportRequest.objects.values_list("status", flat=True)) == set(SupportRequest.Status.values)
    assert any(r.is_overdue for r in SupportRequest.objects.all())
    assert create_demo_support() == {"offers": 0, "requests": 0}
    assert SupportOffer.objects.count() == 4 and SupportRequest.objects.count() == 6
