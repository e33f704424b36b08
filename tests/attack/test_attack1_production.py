"""Attack 1: production mode. Debug pages in production, and the demo pointed at a server database."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.foundation.test_production import GOOD

PG = "postgres://postgres@127.0.0.1:5432/attack1_no_such_db"


def _env(extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEERLOOPBAAN_") and k != "DATABASE_URL"}
    env.update({"LEERLOOPBAAN_DATA_DIR": str(tmp_path), **extra})
    return env


def test_production_does_not_serve_with_debug_on(tmp_path):
    """LEERLOOPBAAN_DEBUG=1 in production: Django's debug page shows settings, SQL and local variables
    (pupil rows) to anyone who triggers an error. Serving must refuse it like a missing secret."""
    code = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','leerloopbaan.settings');django.setup();"
            "from leerloopbaan.site.deploy import serving_problems;print(serving_problems())")
    env = _env({**GOOD, "DATABASE_URL": PG, "LEERLOOPBAAN_DEBUG": "1"}, tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    problems = out.stdout.strip().splitlines()[-1]
    assert "debug" in problems.lower(), problems


def test_the_demo_refuses_a_server_database(tmp_path):
    """`leerloopbaan demo` with DATABASE_URL exported (docs/deploy.md runs every command that way) would
    migrate the production database, import the synthetic city into it and create demo accounts with the
    published password (a parent and a young person tied to real pupils; city roles without a second
    factor) that outlive the demo. The demo keeps to its own embedded database."""
    env = _env({"DATABASE_URL": PG}, tmp_path)
    out = subprocess.run([sys.executable, "-m", "leerloopbaan.cli", "demo", "--no-serve", "--pupils", "100"], env=env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "DATABASE_URL" in out.stderr and "Traceback" not in out.stderr
