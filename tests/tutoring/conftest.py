"""Tutoring tests read messages and pages in English: services under ``translation.override``, pages
through the language cookie (the Dutch catalogue is tested by the browser tests)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(client):
    from django.conf import settings
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
