"""The demo city has no tutoring effect and no mode effect built in (its earlier matches draw online or
face to face at random): the growth report on it, Holm-corrected and with online against face to face
adjusted for band, level and starting score, finds no difference that holds."""

from __future__ import annotations

import pytest

from leerloopbaan.accounts.models import User
from leerloopbaan.assessments import selectors as assessment_selectors
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email
from leerloopbaan.demo.generator import generate_city
from leerloopbaan.demo.tutoring import create_demo_tutoring
from leerloopbaan.registry.importer import import_paths

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_demo_growth_report_finds_no_difference_after_correction_and_adjustment(tmp_path):
    from django.core.cache import cache

    generate_city(tmp_path / "city", pupils=2500, seed=5)
    assert import_paths([tmp_path / "city" / "import"], source="test").ok
    create_demo_accounts()
    create_demo_tutoring()
    cache.clear()
    report = assessment_selectors.growth_report(user=User.objects.get(email=demo_email("city_analyst")))
    shown = report["shown"] + report["shown_modes"]
    assert report["shown_modes"], "no online/face-to-face comparison shown in the demo"
    # the family: every comparison made, hidden ones too (they count with p = 1)
    assert report["family"] >= len(shown) >= 3
    for label, unit, i in shown:
        assert i.family == report["family"] and i.level >= 0.95
        assert i.covers(0.0) and i.p_adjusted >= 0.05, (label, unit, i)
    for m in report["modes"]:
        if m["difference"] is not None:  # the adjusted difference, not the raw one in means
            raw = m["m"].unadjusted
            assert m["difference"].estimate != pytest.approx(raw.estimate, abs=1e-9), (
                m["label"],
                raw,
                m["difference"],
            )
