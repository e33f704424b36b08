"""Benchmark: import a realistic absences file into PostgreSQL and compare with a plain COPY.

Usage: python benchmarks/import_absences.py [--rows 5000000] [--keep]
Needs a PostgreSQL server (PGHOST/PGUSER or postgres@127.0.0.1:5432 by default). It creates a
fresh database, migrates it, imports schools/pupils/enrolments, then times

1. ``import_paths`` on absences.csv (validation, pseudonyms, references, COPY into the real table);
2. a plain ``COPY`` of the same file into a bare table with the same columns as text;

and prints rows/s of both, the ratio, and the peak memory of this process. The database is dropped.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def check(nine: str, born_from_2000: bool) -> str:
    return f"{97 - int(('2' + nine) if born_from_2000 else nine) % 97:02d}"


def generate(folder: Path, rows: int, seed: int = 7) -> int:
    """Schools, pupils, one enrolment per pupil per school year, absences on school days."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    years = [2019, 2020, 2021, 2022]
    per_pupil = 60 * len(years)  # about 60 absent half days a year: heavy, so fewer pupils are needed
    pupils = max(rows // per_pupil + 1, 10)
    schools = [f"{100000 + i}" for i in range(80)]
    with open(folder / "schools.csv", "w") as f:
        f.write("school_number,name,network,level,district\n")
        for s in schools:
            f.write(f"{s},School {s},GO,secondary,Antwerpen\n")
    numbers = []
    with open(folder / "pupils.csv", "w") as p, open(folder / "enrolments.csv", "w") as e:
        p.write("national_number,birth_date,sex,as_of,home_language_not_dutch,mother_low_education,school_allowance,neighbourhood_high_delay\n")
        e.write("national_number,school_number,school_year,start_date,end_date,grade\n")
        for i in range(pupils):
            birth = datetime.date(2005, 1, 1) + datetime.timedelta(days=i % 1500)
            nine = birth.strftime("%y%m%d") + f"{(i // 1500) % 997 + 1:03d}"
            nn = nine + check(nine, True)
            numbers.append(nn)
            p.write(f"{nn},{birth},F,2018-09-01,0,1,0,1\n")
            school = schools[i % len(schools)]
            for y in years:
                e.write(f"{nn},{school},{y}-{y + 1},{y}-09-01,{y + 1}-06-30,S{min(1 + y - 2019, 7)}\n")
    days = {y: [d for d in (datetime.date(y, 9, 1) + datetime.timedelta(days=k) for k in range(303)) if d.weekday() < 5] for y in years}
    written = 0
    with open(folder / "absences.csv", "w") as a:
        a.write("national_number,school_number,date,half_day,code\n")
        buf = []
        for i, nn in enumerate(numbers):
            school = schools[i % len(schools)]
            for y in years:
                for d in rng.sample(days[y], 30):
                    for h in ("AM", "PM"):
                        if written >= rows:
                            break
                        buf.append(f"{nn},{school},{d},{h},{rng.choice('BZZRPM')}\n")
                        written += 1
            if len(buf) > 100_000:
                a.write("".join(buf))
                buf = []
        a.write("".join(buf))
    return written


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    db = f"llbench_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    os.environ["DATABASE_URL"] = f"{HOST}/{db}"
    os.environ.setdefault("LEERLOOPBAAN_PSEUDONYM_KEY", "benchmark-pseudonym-key-0123456789")
    os.environ.setdefault("LEERLOOPBAAN_DATA_DIR", tempfile.mkdtemp(prefix="llbench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "leerloopbaan.settings"
    tmp = Path(tempfile.mkdtemp(prefix="llbench-files-"))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from leerloopbaan.registry.importer import import_paths

        call_command("migrate", verbosity=0)
        t = time.monotonic()
        rows = generate(tmp, args.rows)
        print(f"generated {rows:,} absence rows in {time.monotonic() - t:.1f} s", file=sys.stderr)
        base = tmp / "base"
        base.mkdir()
        for name in ("schools.csv", "pupils.csv", "enrolments.csv"):
            (tmp / name).rename(base / name)
        result = import_paths([base], progress=lambda m: print(m, file=sys.stderr))
        assert result.ok, result.report_text()[:2000]
        t = time.monotonic()
        result = import_paths([tmp / "absences.csv"], progress=lambda m: print(m, file=sys.stderr))
        import_s = time.monotonic() - t
        assert result.ok, result.report_text()[:2000]
        assert result.counts["absences.csv"]["added"] == rows
        with connection.cursor() as cur:
            cur.execute("CREATE TABLE bench_plain (national_number text, school_number text, date date, half_day text, code text)")
        t = time.monotonic()
        with connection.cursor() as cur, open(tmp / "absences.csv", "rb") as f:
            raw = cur.cursor
            with raw.copy("COPY bench_plain FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                for block in iter(lambda: f.read(1 << 20), b""):
                    copy.write(block)
        copy_s = time.monotonic() - t
        import_rate, copy_rate = rows / import_s, rows / copy_s
        try:
            import psutil

            rss = psutil.Process().memory_info().rss / 2**20
        except ImportError:  # pragma: no cover
            rss = float("nan")
        print(f"rows: {rows:,}")
        print(f"import: {import_s:.1f} s, {import_rate:,.0f} rows/s")
        print(f"plain COPY: {copy_s:.1f} s, {copy_rate:,.0f} rows/s")
        print(f"ratio import/COPY: {import_rate / copy_rate:.2f}")
        print(f"peak memory: {peak_mib():,.0f} MiB (current {rss:,.0f} MiB)")
        from django.db import connections

        connections.close_all()
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=False)
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
