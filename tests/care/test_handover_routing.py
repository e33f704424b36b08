"""Issue 15: a warm handover reaches the receiving school whichever school's file is imported first."""

from __future__ import annotations

import pytest

from leerloopbaan.care.models import Handover
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import School
from tests.registry.conftest import ENROL_HEADER, PUPIL_HEADER, SCHOOL_HEADER, write

from .handover_city import LOTTE, A, B, _pupils, pupil_of


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PSEUDONYM_KEY = "example"
    settings.HANDOVER_LOOKBACK_DAYS = 100_000  # the data sets are of 2024-2025, whatever today is


OLD = [LOTTE, "100001", "2024-2025", "2024-09-02", "2025-01-17", "S3", "", "ASO", "0", "school_change"]
NEW = [LOTTE, "200002", "2024-2025", "2025-01-20", "", "S3", "", "TSO", "0", ""]


def _import(folder, enrolments):
    write(folder, "schools.csv", SCHOOL_HEADER, [A, B])
    write(folder, "pupils.csv", PUPIL_HEADER, _pupils()[:1])
    write(folder, "enrolments.csv", ENROL_HEADER, enrolments)
    result = import_paths([folder])
    assert result.ok, result.report_text()


@pytest.mark.parametrize("order", ["old school first", "new school first"])
def test_the_receiving_school_gets_the_handover_whatever_the_order(db, tmp_path, order):
    first, second = ([OLD], [NEW]) if order == "old school first" else ([NEW], [OLD])
    _import(tmp_path / "one", first)
    _import(tmp_path / "two", second)
    h = Handover.objects.get(pupil=pupil_of(LOTTE))
    b = School.objects.get(school_number="200002")
    assert (h.kind, h.to_school, h.to_clb, h.status) == (Handover.Kind.SCHOOL_CHANGE, b, b.clb, Handover.Status.OPEN)


def test_the_route_is_a_workflow_event(db, tmp_path):
    """The routing goes through the one workflow: the handover's history shows it."""
    from leerloopbaan.care.handovers.services import HANDOVER
    from leerloopbaan.kernel import workflow

    _import(tmp_path / "one", [OLD])
    h = Handover.objects.get(pupil=pupil_of(LOTTE))
    version = h.version
    _import(tmp_path / "two", [NEW])
    h.refresh_from_db()
    events = list(workflow.events_of(HANDOVER, h))
    assert [(e.action, e.from_state, e.to_state) for e in events][-1:] == [("route", "open", "open")]
    assert h.version == version + 1
    _import(tmp_path / "three", [NEW])  # importing again routes nothing twice
    assert len(list(workflow.events_of(HANDOVER, h))) == len(events)
