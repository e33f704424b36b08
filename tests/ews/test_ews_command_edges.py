"""`leerloopbaan ews evaluate` and `model-card` on runs at the edges: a run its release refuses
though its flag says approved, only a rule baseline stored."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leerloopbaan.ews.models import ModelRun, RiskScore
from tests.factories import ModelRunFactory

from .test_approval import baseline_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_runs():
    RiskScore.objects.all().delete()
    ModelRun.objects.all().delete()


def test_evaluate_says_not_approved_when_the_release_refuses_a_run_flagged_approved():
    ModelRunFactory(
        version="flagged",
        model_name="lightgbm",
        approved=True,
        reasons=[],
        report={"release": {"approved": False, "reasons": ["recall ratio of OKI 4 is 0.70"]}},
    )
    out = io.StringIO()
    call_command("ews", "evaluate", stdout=out)
    text = out.getvalue()
    assert "model flagged: NOT approved" in text and "recall ratio of OKI 4 is 0.70" in text


def test_the_model_card_command_with_only_a_rule_baseline_says_so():
    baseline_run()
    with pytest.raises(CommandError, match="only the rule baseline"):
        call_command("ews", "model-card", stdout=io.StringIO())
