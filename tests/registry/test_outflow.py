"""Outflow: the worked example, suppression and the command's contract."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.outflow.report import outflow

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("outflow", *args, stdout=out)
    return out.getvalue().splitlines()


def test_example_figures(example):
    assert import_paths([example]).ok
    assert run("--school-year", "2018-2019") == ["group,leavers,unqualified,rate", "all,2,1,0.5"]
    assert run("--school-year", "2019-2020") == ["group,leavers,unqualified,rate", "all,1,0,0.0"]
    assert run("--school-year", "2018-2019", "--by", "district") == ["group,leavers,unqualified,rate", "Antwerpen,<5,<5,<5"]


def test_out_file(example, tmp_path):
    import_paths([example])
    run("--school-year", "2018-2019", "--out", str(tmp_path / "o.csv"))
    assert (tmp_path / "o.csv").read_text().splitlines()[1] == "all,2,1,0.5"


def test_bad_usage_exit_2():
    with pytest.raises(CommandError) as exc:
        call_command("outflow", "--school-year", "2018-2020")
    assert exc.value.returncode == 2


def test_raw_rows_for_computations(example):
    # outflow() is for computations inside the platform: the raw counts, the small group flagged;
    # what a page or the command shows goes through published() (tests/registry/test_disclosure_outflow.py)
    import_paths([example])
    rows = outflow("2018-2019", by="school")
    assert [(r.group, r.leavers, r.unqualified, r.rate) for r in rows] == [("012345", 2, 1, 0.5)]
    assert rows[0].suppressed
