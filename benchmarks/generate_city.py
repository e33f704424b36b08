"""Benchmark: time to generate the synthetic city, beside a reference measured in the same run.

    .venv/bin/python benchmarks/generate_city.py [--sizes 10000 103000] [--seed 1] [--keep DIR]

For each size the generator runs in a fresh subprocess (so its peak memory is its own). The
reference is the time the standard ``csv`` module needs just to *write* the same number of rows
(same widths, rows prepared beforehand), so the ratio says how the whole simulation compares with
merely serialising its output the ordinary way. Targets: <= 10 s at 10,000 pupils, < 60 s at
103,000 pupils on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, pathlib, resource, sys, time
from leerloopbaan.demo.generator import generate_city
out, pupils, seed = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
summary = generate_city(out, pupils=pupils, seed=seed)
elapsed = time.perf_counter() - t
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sizes = {p.name: p.stat().st_size for p in sorted(out.rglob("*.csv"))}
print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024, "summary": summary, "bytes": sizes}))
"""

SAMPLE = {  # one typical row per file, to write with csv.writer as the reference
    "pupils": ["09031410135", "Yassine", "El Amrani", "2009-03-14", "M", "2140", "2014-09-01", "1", "1", "0", "1"],
    "enrolments": ["09031410135", "030551", "2018-2019", "2018-09-01", "2019-06-30", "S4", "", "TSO", "0",
                   "Elektromechanica", ""],
    "absences": ["09031410135", "030551", "2018-10-08", "AM", "B"],
    "attestations": ["09031410135", "030551", "2017-2018", "S4", "B", ""],
}


def csv_reference(rows: dict[str, int], folder: pathlib.Path) -> float:
    """Seconds for csv.writer to write the same number of rows per file (rows prepared in chunks)."""
    t = time.perf_counter()
    for name, n in rows.items():
        if name not in SAMPLE:
            continue
        chunk = [SAMPLE[name]] * 100_000
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            left = n
            while left > 0:
                w.writerows(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 103_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=pathlib.Path, default=None, help="keep the generated cities under this folder")
    args = ap.parse_args()
    root = args.keep or pathlib.Path(tempfile.mkdtemp(prefix="city-bench-"))
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print(f"{'pupils':>8} {'generate s':>11} {'csv-write ref s':>16} {'ratio':>6} {'peak MiB':>9}  rows")
    for n in args.sizes:
        out = root / f"city-{n}"
        res = subprocess.run([sys.executable, "-c", CHILD, str(out), str(n), str(args.seed)],
                             check=True, capture_output=True, text=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        ref_dir = root / f"ref-{n}"
        ref_dir.mkdir(parents=True, exist_ok=True)
        ref = csv_reference(r["summary"]["rows"], ref_dir)
        rows = r["summary"]["rows"]
        print(f"{n:>8} {r['seconds']:>11.2f} {ref:>16.2f} {r['seconds'] / ref:>6.2f} {r['peak_mib']:>9.0f}  "
              + ", ".join(f"{k}={v}" for k, v in rows.items()))
        mb = sum(r["bytes"].values()) / 1e6
        s = r["summary"]
        vsv = sum(s["vsv_rate"].values()) / max(len(s["vsv_rate"]), 1)
        print(f"{'':>8} {mb:.0f} MB on disk; pupils in the current year {s['pupils_current']}; "
              f"truth: VSV {vsv:.3f}, low SES {s['low_ses_share']:.3f}")
        for d in (ref_dir,) if args.keep else (out, ref_dir):
            for p in sorted(d.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            d.rmdir()
    if not args.keep:
        root.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
