"""Tests of the synthetic city generator: determinism, the import format, and calibration.

Pure pytest, no database. The calibration figures are recomputed from the CSV files by the
independent checker below (it reads only the files, never the generator's internals), following the
definitions of shared/spec/data-format.md.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import pathlib

import pytest

from leerloopbaan.demo.generator import COLUMNS, FILES, TRUTH_COLUMNS, generate_city

CURRENT = 2026
CUTOFF = "2026-11-21"
QUALIFICATIONS = {
    "secondary_diploma", "bso_certificate", "dbso_certificate", "syntra_certificate", "buso_ov3_certificate",
    "buso_ov4_certificate", "modular_certificate",
}
TRACKS = {"", "ASO", "TSO", "KSO", "BSO", "DBSO", "BUSO", "OKAN", "doorstroom", "dubbel", "arbeidsmarkt"}
GRADES = {f"K{i}" for i in range(1, 4)} | {f"P{i}" for i in range(1, 7)} | {f"S{i}" for i in range(1, 8)}
DISTRICTS = {
    "Antwerpen", "Berchem", "Berendrecht-Zandvliet-Lillo", "Borgerhout", "Deurne", "Ekeren", "Hoboken",
    "Merksem", "Wilrijk", "outside",
}
ANTWERP_POSTCODES = {"2000", "2018", "2020", "2030", "2040", "2050", "2060", "2100", "2140", "2170", "2180",
                     "2600", "2610", "2660"}


def _read(folder: pathlib.Path, name: str) -> tuple[list[str], list[dict]]:
    with open(folder / "import" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _insz_ok(number: str) -> bool:
    if len(number) != 11 or not number.isdigit():
        return False
    first9, check = int(number[:9]), int(number[9:])
    return check == 97 - first9 % 97 or check == 97 - (2_000_000_000 + first9) % 97


def _digest(folder: pathlib.Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[pathlib.Path, dict]:
    folder = tmp_path_factory.mktemp("city")
    summary = generate_city(folder, pupils=4000, seed=11, current_year=CURRENT, years=13)
    data = {name: _read(folder, name) for name in FILES}
    return folder, {"summary": summary, **data}


# --------------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    a = generate_city(tmp_path / "a", pupils=1500, seed=5)
    b = generate_city(tmp_path / "b", pupils=1500, seed=5)
    c = generate_city(tmp_path / "c", pupils=1500, seed=6)
    da, db, dc = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert set(da) == {f"import/{n}.csv" for n in FILES} | {"truth/outcomes.csv"}
    assert da == db
    assert a["rows"] == b["rows"]
    assert all(da[k] != dc[k] for k in da if k != "import/schools.csv") and c["rows"] != a["rows"]


def test_summary_counts_match_the_files(city):
    folder, d = city
    s = d["summary"]
    for name in FILES:
        assert s["rows"][name] == len(d[name][1]), name
    current = {r["national_number"] for r in d["enrolments"][1]
               if r["school_year"] == f"{CURRENT}-{CURRENT + 1}" and r["grade"][0] in "PS"}
    assert s["pupils_current"] == len(current)
    assert abs(len(current) - 4000) / 4000 < 0.06


# --------------------------------------------------------------------------------------------------
# The import format
# --------------------------------------------------------------------------------------------------


def test_every_file_has_exactly_the_spec_columns(city):
    folder, d = city
    for name in FILES:
        assert d[name][0] == COLUMNS[name], name
    with open(folder / "truth" / "outcomes.csv", encoding="utf-8") as fh:
        assert fh.readline().strip().split(",") == TRUTH_COLUMNS


def test_schools(city):
    _, d = city
    rows = d["schools"][1]
    numbers = [r["school_number"] for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert len(set(r["name"] for r in rows)) == len(rows)
    for r in rows:
        assert r["school_number"].isdigit() and 1 <= len(r["school_number"]) <= 6
        assert r["network"] in {"GO", "CITY", "PROVINCE", "CATHOLIC", "OTHER"}
        assert r["level"] in {"primary", "secondary", "special_primary", "special_secondary"}
        assert r["district"] in DISTRICTS
        assert r["postcode"] in ANTWERP_POSTCODES
        assert r["clb"] and r["board"]
    levels = collections.Counter(r["level"] for r in rows)
    assert levels["primary"] >= 18 and levels["secondary"] >= 10
    # at least one primary and one secondary school with 20+ pupils in several districts
    enrol = d["enrolments"][1]
    per_school = collections.Counter((r["school_number"]) for r in enrol if r["school_year"] == f"{CURRENT}-{CURRENT + 1}")
    district_of = {r["school_number"]: (r["district"], r["level"]) for r in rows}
    ok = collections.defaultdict(set)
    for school, n in per_school.items():
        if n >= 20:
            dist, level = district_of[school]
            ok[dist].add(level)
    assert sum(1 for v in ok.values() if {"primary", "secondary"} <= v) >= 4


def test_pupils_have_valid_national_numbers_and_characteristics(city):
    _, d = city
    rows = d["pupils"][1]
    seen = set()
    for r in rows:
        nn = r["national_number"]
        assert _insz_ok(nn), nn
        born = r["birth_date"]
        assert nn[:6] == born[2:4] + born[5:7] + born[8:10]
        serial = int(nn[6:9])
        if r["sex"] == "M":
            assert serial % 2 == 1
        elif r["sex"] == "F":
            assert serial % 2 == 0
        else:
            assert r["sex"] == "X"
        assert r["postcode"] in ANTWERP_POSTCODES
        for k in ("home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"):
            assert r[k] in {"0", "1"}
        assert r["as_of"] <= CUTOFF
        assert r["first_name"] and r["last_name"]
        key = (nn, r["as_of"])
        assert key not in seen
        seen.add(key)
    # a pupil's birth date, sex and names never change between rows
    first = {}
    for r in rows:
        f = first.setdefault(r["national_number"], r)
        assert (f["birth_date"], f["sex"], f["first_name"], f["last_name"]) == (
            r["birth_date"], r["sex"], r["first_name"], r["last_name"])
    assert sum(r["sex"] == "X" for r in first.values()) < 0.01 * len(first)


def test_enrolments_are_valid_and_never_overlap(city):
    _, d = city
    pupils = {r["national_number"] for r in d["pupils"][1]}
    schools = {r["school_number"] for r in d["schools"][1]}
    by_pupil = collections.defaultdict(list)
    for r in d["enrolments"][1]:
        assert r["national_number"] in pupils
        assert r["school_number"] in schools
        y1, y2 = map(int, r["school_year"].split("-"))
        assert y2 == y1 + 1 and CURRENT - 12 <= y1 <= CURRENT
        lo, hi = f"{y1}-09-01", f"{y2}-08-31"
        assert lo <= r["start_date"] <= hi and r["start_date"] <= CUTOFF
        if r["end_date"]:
            assert r["start_date"] <= r["end_date"] <= hi and r["end_date"] <= CUTOFF
        else:
            assert y1 == CURRENT, "only current enrolments are open"
        assert r["grade"] in GRADES
        assert r["stream"] in {"", "A", "B"}
        if r["stream"]:
            assert r["grade"] in {"S1", "S2"}
        assert r["track"] in TRACKS
        assert r["dual"] in {"0", "1"}
        assert r["end_reason"] in {"", "school_change", "moved_out", "qualified", "left", "deceased", "other"}
        if r["end_reason"]:
            assert r["end_date"]
        by_pupil[r["national_number"]].append(r)
    for rows in by_pupil.values():
        rows.sort(key=lambda r: r["start_date"])
        for a, b in zip(rows, rows[1:], strict=False):
            assert a["end_date"] and a["end_date"] < b["start_date"], (a, b)
        # nothing after an enrolment that ended with leaving, moving out, a qualification or death
        for a in rows[:-1]:
            assert a["end_reason"] in {"", "school_change"}, rows


def test_absences_only_on_enrolled_weekdays_with_valid_codes(city):
    _, d = city
    schools = {r["school_number"]: r["level"] for r in d["schools"][1]}
    spans = collections.defaultdict(list)
    for r in d["enrolments"][1]:
        spans[r["national_number"]].append(
            (r["start_date"], r["end_date"] or CUTOFF, r["school_number"], r["grade"], r["track"], r["dual"]))
    seen = set()
    codes = collections.Counter()
    for r in d["absences"][1]:
        day = dt.date.fromisoformat(r["date"])
        assert day.weekday() < 5
        assert day.month not in (7, 8)
        assert r["date"] <= CUTOFF
        assert r["half_day"] in {"AM", "PM"}
        assert not (day.weekday() == 2 and r["half_day"] == "PM"), "no school on Wednesday afternoon"
        assert r["code"] in {"A", "R", "Z", "H", "P", "M", "B"}
        key = (r["national_number"], r["date"], r["half_day"])
        assert key not in seen
        seen.add(key)
        match = [s for s in spans[r["national_number"]] if s[0] <= r["date"] <= s[1] and s[2] == r["school_number"]]
        assert len(match) == 1, r
        _, _, school, grade, track, dual = match[0]
        if r["code"] == "A":
            assert grade.startswith("K")
        if r["code"] == "H":
            assert schools[school] in {"special_primary", "special_secondary"}
        if r["code"] == "M":
            assert dual == "1" or track == "DBSO"
        codes[r["code"]] += 1
    assert set(codes) == {"A", "R", "Z", "H", "P", "M", "B"}
    assert 0 < 2 * len(seen) / len(d["enrolments"][1]) < 100


def test_attestations(city):
    _, d = city
    last_school = {}
    grade_of = {}
    track_of = {}
    for r in sorted(d["enrolments"][1], key=lambda r: r["start_date"]):
        key = (r["national_number"], r["school_year"])
        last_school[key] = r["school_number"]
        grade_of[key] = r["grade"]
        track_of[key] = r["track"]
    seen = set()
    for r in d["attestations"][1]:
        key = (r["national_number"], r["school_year"])
        assert key not in seen
        seen.add(key)
        assert key in last_school and r["school_number"] == last_school[key]
        assert r["grade"] == grade_of[key]
        assert r["result"] in {"A", "B", "C", "certificate", "none"}
        assert r["school_year"] != f"{CURRENT}-{CURRENT + 1}"
        q = r["qualification"]
        assert q == "" or q in QUALIFICATIONS
        if q:
            assert r["result"] == "certificate"
        tr = track_of[key]
        if q == "secondary_diploma":
            assert (r["grade"] == "S6" and tr in {"ASO", "TSO", "KSO"}) or (r["grade"] == "S7" and tr == "BSO")
        if q == "bso_certificate":
            assert r["grade"] == "S6" and tr == "BSO"
        if q in {"dbso_certificate", "modular_certificate"}:
            assert tr == "DBSO"
        if q.startswith("buso"):
            assert tr == "BUSO"


# --------------------------------------------------------------------------------------------------
# Calibration, recomputed from the files
# --------------------------------------------------------------------------------------------------


def check_figures(enrolments: list[dict], attestations: list[dict], absences: list[dict], pupils: list[dict],
                  current: int) -> dict:
    """The headline figures by the spec's definitions, from the files alone."""
    birth = {}
    for r in pupils:
        birth[r["national_number"]] = int(r["birth_date"][:4])
    years_of = collections.defaultdict(set)
    sec_in = collections.defaultdict(set)  # year -> pupils in secondary (not BUSO OV1/OV2)
    last = {}
    first_of_year = {}
    for r in sorted(enrolments, key=lambda r: r["start_date"]):
        p = r["national_number"]
        y = int(r["school_year"][:4])
        years_of[p].add(y)
        last[p] = r
        first_of_year.setdefault((p, y), r)
        if r["grade"].startswith("S") and not (r["track"] == "BUSO" and r["programme"][:3] in {"OV1", "OV2"}):
            sec_in[y].add(p)
    qual_year = {}
    for r in attestations:
        if r["qualification"]:
            y = int(r["school_year"][:4])
            qual_year[r["national_number"]] = min(y, qual_year.get(r["national_number"], y))
    # VSV: secondary in X, not enrolled in X+1, censored if the last enrolment ended with moving out/death
    vsv = {}
    for x in range(current - 12, current):
        unq = qual = 0
        for p in sec_in[x]:
            if x + 1 in years_of[p] or max(years_of[p]) > x:
                continue
            if last[p]["end_reason"] in {"moved_out", "deceased"}:
                continue
            if p in qual_year and qual_year[p] <= x:
                qual += 1
            elif birth[p] + 18 <= x + 1:
                unq += 1
        vsv[x] = (unq, qual)
    # delay in regular secondary (not OKAN, not BUSO) on the first enrolment of the year
    delay = {}
    for (p, y), r in first_of_year.items():
        if r["grade"].startswith("S") and r["track"] not in {"OKAN", "BUSO"}:
            expected = y - birth[p] - 11
            d = delay.setdefault(y, [0, 0])
            d[0] += int(r["grade"][1]) < expected
            d[1] += 1
    # problematic absence: 30+ B half days in the school year, among pupils in secondary that year
    bcount = collections.Counter()
    for r in absences:
        if r["code"] == "B":
            y = int(r["date"][:4])
            y = y if int(r["date"][5:7]) >= 9 else y - 1
            bcount[(r["national_number"], y)] += 1
    secondary = collections.defaultdict(set)
    for r in enrolments:
        if r["grade"].startswith("S"):
            secondary[int(r["school_year"][:4])].add(r["national_number"])
    pa = {y: (sum(bcount[(p, y)] >= 30 for p in ps), len(ps)) for y, ps in secondary.items() if y < current}
    # low SES (school allowance or low-educated mother) among current primary + secondary pupils, latest row
    latest = {}
    for r in sorted(pupils, key=lambda r: r["as_of"]):
        latest[r["national_number"]] = r
    cur = {r["national_number"] for r in enrolments if int(r["school_year"][:4]) == current and r["grade"][0] in "PS"}
    low = sum(latest[p]["school_allowance"] == "1" or latest[p]["mother_low_education"] == "1" for p in cur)
    return {"vsv": vsv, "delay": delay, "pa": pa, "low_ses": low / len(cur), "current": len(cur)}


def test_calibration_from_the_files(city):
    _, d = city
    f = check_figures(d["enrolments"][1], d["attestations"][1], d["absences"][1], d["pupils"][1], CURRENT)
    years = range(CURRENT - 11, CURRENT)  # leavers with a full history and a known next year
    unq = sum(f["vsv"][y][0] for y in years)
    qual = sum(f["vsv"][y][1] for y in years)
    vsv = unq / (unq + qual)
    delayed = sum(v[0] for v in f["delay"].values()) / sum(v[1] for v in f["delay"].values())
    pa = sum(v[0] for v in f["pa"].values()) / sum(v[1] for v in f["pa"].values())
    print(f"VSV {vsv:.3f} (n={unq + qual}), delay {delayed:.3f}, problematic absence {pa:.3f}, "
          f"low SES {f['low_ses']:.3f}")
    assert 0.17 <= vsv <= 0.25
    assert 0.35 <= delayed <= 0.46
    assert 0.05 <= pa <= 0.08
    assert 0.35 <= f["low_ses"] <= 0.45
    # the generator's own truth agrees with the files within a point or two
    s = d["summary"]
    truth = [s["vsv_rate"][f"{y}-{y + 1}"] for y in years]
    assert abs(sum(truth) / len(truth) - vsv) < 0.03


def test_truth_file_covers_every_pupil_and_agrees_with_the_files(city):
    folder, d = city
    with open(folder / "truth" / "outcomes.csv", encoding="utf-8") as fh:
        truth = {r["national_number"]: r for r in csv.DictReader(fh)}
    pupils = {r["national_number"] for r in d["pupils"][1]}
    assert set(truth) == pupils
    outcomes = collections.Counter(r["outcome"] for r in truth.values())
    assert {"still_enrolled", "qualified_leaver", "unqualified_leaver", "censored_moved_out"} <= set(outcomes)
    last = {}
    for r in sorted(d["enrolments"][1], key=lambda r: r["start_date"]):
        last[r["national_number"]] = r
    for p, r in truth.items():
        e = last[p]
        if r["outcome"] == "censored_moved_out":
            assert e["end_reason"] == "moved_out"
        if r["outcome"] == "still_enrolled":
            assert e["school_year"] == f"{CURRENT}-{CURRENT + 1}" and not e["end_reason"]
        if r["outcome"] in {"unqualified_leaver", "qualified_leaver"}:
            assert e["end_reason"] in {"left", "qualified"}
    # engagement predicts the outcome: unqualified leavers had lower engagement on entering secondary
    def mean(xs):
        return sum(xs) / len(xs)
    unq = [float(r["engagement_s1"]) for r in truth.values() if r["outcome"] == "unqualified_leaver" and r["engagement_s1"]]
    qual = [float(r["engagement_s1"]) for r in truth.values() if r["outcome"] == "qualified_leaver" and r["engagement_s1"]]
    assert mean(unq) < mean(qual) - 0.3
