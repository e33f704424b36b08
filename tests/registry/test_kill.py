"""A killed import (SIGKILL in the middle) leaves the database as it was."""

from __future__ import annotations

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.registry.conftest import (
    ABSENCE_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

BIN = Path(sys.executable).with_name("leerloopbaan")


@pytest.mark.slow
def test_sigkill_mid_import_leaves_database_as_before(tmp_path):
    env = {**os.environ, "LEERLOOPBAAN_DATA_DIR": str(tmp_path / "var"), "LEERLOOPBAAN_PSEUDONYM_KEY": "example"}
    env.pop("DATABASE_URL", None)
    for db in ("default", "audit"):
        subprocess.run([str(BIN), "migrate", "-v0", "--database", db], env=env, check=True)
    folder = tmp_path / "ds"
    pupils, enrol, absences = [], [], []
    days = [datetime.date(2018, 9, 3) + datetime.timedelta(days=d) for d in range(280)]
    days = [d.isoformat() for d in days if d.weekday() < 5]
    for i in range(1500):
        nn = national_number("2004-05-06", (i % 997) + 1) if i < 997 else national_number("2004-05-07", (i % 997) + 1)
        pupils.append([nn, "", "", "2004-05-06" if i < 997 else "2004-05-07", "F", "", "2016-09-01", "0", "0", "0", "0"])
        enrol.append([nn, "030551", "2018-2019", "2018-09-01", "2019-06-30", "S2", "", "", "0", ""])
        absences += [[nn, "030551", d, h, "Z"] for d in days for h in ("AM", "PM")]
    write(folder, "schools.csv", SCHOOL_HEADER, [["030551", "School", "GO", "secondary", "Borgerhout", "", "", ""]])
    write(folder, "pupils.csv", PUPIL_HEADER, pupils)
    write(folder, "enrolments.csv", ENROL_HEADER, enrol)
    write(folder, "absences.csv", ABSENCE_HEADER, absences)
    proc = subprocess.Popen([str(BIN), "import", str(folder)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # wait until the absences are being written
        if "rows checked" in line or time.monotonic() > deadline:
            break
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(tmp_path / "var" / "leerloopbaan.sqlite3")
    for table in ("registry_school", "registry_pupil", "registry_enrolment", "registry_absence", "registry_importrun"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    con.close()
    # and the same files import afterwards
    done = subprocess.run([str(BIN), "import", str(folder)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    con = sqlite3.connect(tmp_path / "var" / "leerloopbaan.sqlite3")
    assert con.execute("SELECT count(*) FROM registry_absence").fetchone()[0] == len(absences)
