"""The synthetic city: a population of pupils that looks like Antwerp in the figures that matter.

Django-free. ``generate_city`` simulates every pupil's school career year by year (vectorised with
numpy over all pupils of a year), and writes the files of ``shared/spec/data-format.md`` to
``out_dir/import/`` plus the true outcome of every pupil to ``out_dir/truth/outcomes.csv`` (never
imported). The model and the published figures it is calibrated to are described in
``docs/demo-city.md``.

Deterministic: the same arguments give byte-identical files (one ``numpy.random.Generator`` seeded
with ``seed``, every step in a fixed order, no hashing or set iteration).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import pathlib
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np

from . import names as _names

BRUSSELS = ZoneInfo("Europe/Brussels")

__all__ = ["CityConfig", "generate_city", "FILES", "COLUMNS"]

# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------

GRADES = ["K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "S1", "S2", "S3", "S4", "S5", "S6", "S7"]
K1, K2, K3, P1, P2, P6, S1, S2, S3, S5, S6, S7 = 0, 1, 2, 3, 4, 8, 9, 10, 11, 13, 14, 15

T_NONE, ASO, TSO, KSO, BSO, DBSO, BUSO, OKAN = range(8)
TRACKS = ["", "ASO", "TSO", "KSO", "BSO", "DBSO", "BUSO", "OKAN"]
STREAMS = ["", "A", "B"]
CLASS_LETTERS = "ABC"
END_REASONS = ["", "school_change", "moved_out", "qualified", "left", "deceased", "other"]
R_NONE, R_CHANGE, R_MOVED, R_QUALIFIED, R_LEFT, R_DECEASED = range(6)
RESULTS = ["A", "B", "C", "certificate", "none"]
RES_A, RES_B, RES_C, RES_CERT, RES_NONE = range(5)
QUALIFICATIONS = [
    "",
    "secondary_diploma",
    "bso_certificate",
    "dbso_certificate",
    "syntra_certificate",
    "buso_ov3_certificate",
    "buso_ov4_certificate",
    "modular_certificate",
]
Q_NONE, Q_DIPLOMA, Q_BSO, Q_DBSO, Q_SYNTRA, Q_OV3, Q_OV4, Q_MODULAR = range(8)
CODES = ["A", "R", "Z", "H", "P", "M", "B"]
C_A, C_R, C_Z, C_H, C_P, C_M, C_B = range(7)

# outcomes in truth/outcomes.csv
OUTCOMES = [
    "still_enrolled",
    "qualified_leaver",
    "unqualified_leaver",
    "censored_moved_out",
    "censored_deceased",
    "left_buso_ov1_ov2",
    "left_compulsory_age",
]
O_STILL, O_QUAL, O_UNQUAL, O_MOVED, O_DECEASED, O_OV12, O_YOUNG = range(7)

# school-choice categories ("what the pupil needs a school for")
N_PRIM, N_SPRIM, N_S1A, N_S1B, N_ASO, N_TSO, N_KSO, N_BSO, N_DBSO, N_BUSO, N_OKAN = range(11)
N_NEEDS = 11
LEVELS = ["primary", "special_primary", "secondary", "special_secondary"]

FILES = ["schools", "pupils", "enrolments", "absences", "attestations", "test_results"]
COLUMNS: dict[str, list[str]] = {
    "schools": ["school_number", "name", "network", "level", "district", "postcode", "clb", "board"],
    "pupils": [
        "national_number", "first_name", "last_name", "birth_date", "sex", "postcode", "as_of",
        "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay",
    ],
    "enrolments": [
        "national_number", "school_number", "school_year", "start_date", "end_date", "grade", "stream",
        "track", "dual", "programme", "class", "end_reason",
    ],
    "absences": ["national_number", "school_number", "date", "half_day", "code"],
    "attestations": ["national_number", "school_number", "school_year", "grade", "result", "qualification"],
    # an extension of the format (docs/data-import.md): learning-gain tests
    "test_results": ["national_number", "date", "instrument", "domain", "scale_score", "scale_version"],
}
TRUTH_COLUMNS = [
    "national_number", "outcome", "leaving_school_year", "last_school_year", "last_grade", "last_track",
    "qualification", "vsv_by_definition", "kleuter_years", "engagement_first", "engagement_s1",
    "engagement_last",
]

# Learning-gain tests (the instruments seeded by assessments/migrations/0002): at the end of P4, P6
# and S2, Dutch and maths, on the shared scale LGT-2028; the city's test system runs from the school
# year TEST_YEARS before the current one. (grade, moment code, scale mean, lowest, highest score)
TEST_SCALE = "LGT-2028"
TEST_YEARS = 3
TEST_DOMAINS = [("dutch", "NL"), ("maths", "WI")]
TEST_MOMENTS = [(GRADES.index("P4"), "P4", 250.0, 100.0, 400.0), (P6, "P6", 280.0, 100.0, 450.0), (S2, "S2", 310.0, 150.0, 500.0)]
TEST_SD = 30.0

# (district, postcode, share of the city's pupils, deprivation of the area in SD units)
POSTCODES: list[tuple[str, str, float, float]] = [
    ("Antwerpen", "2000", 0.060, 0.05),
    ("Antwerpen", "2018", 0.095, 0.55),
    ("Antwerpen", "2020", 0.060, 0.10),
    ("Antwerpen", "2030", 0.010, 0.60),
    ("Antwerpen", "2050", 0.035, -0.20),
    ("Antwerpen", "2060", 0.115, 1.00),
    ("Berchem", "2600", 0.075, -0.20),
    ("Berendrecht-Zandvliet-Lillo", "2040", 0.020, -0.70),
    ("Borgerhout", "2140", 0.090, 0.80),
    ("Deurne", "2100", 0.150, 0.15),
    ("Ekeren", "2180", 0.045, -0.75),
    ("Hoboken", "2660", 0.080, 0.35),
    ("Merksem", "2170", 0.090, 0.45),
    ("Wilrijk", "2610", 0.075, -0.45),
]
DISTRICTS = [
    "Antwerpen", "Berchem", "Berendrecht-Zandvliet-Lillo", "Borgerhout", "Deurne", "Ekeren", "Hoboken",
    "Merksem", "Wilrijk",
]

# study programmes: (track, name, extra leaving risk on the logit scale)
PROGRAMMES: list[tuple[int, str, float]] = [
    (ASO, "Latijn", -0.30), (ASO, "Wetenschappen", -0.20), (ASO, "Economie-moderne talen", 0.00),
    (ASO, "Humane wetenschappen", 0.10),
    (TSO, "Elektromechanica", 0.00), (TSO, "Handel", 0.20), (TSO, "Informaticabeheer", 0.00),
    (TSO, "Sociale en technische wetenschappen", 0.10), (TSO, "Bouwtechnieken", 0.10),
    (KSO, "Beeldende vorming", 0.00), (KSO, "Podiumkunsten", 0.10),
    (BSO, "Kantoor", 0.35), (BSO, "Verzorging-voeding", 0.05), (BSO, "Bouw", 0.20),
    (BSO, "Elektrische installaties", 0.10), (BSO, "Haarzorg", 0.30), (BSO, "Logistiek", 0.25),
    (BSO, "Restaurant en keuken", 0.20), (BSO, "Autotechniek", 0.15),
    (DBSO, "Leren en werken: verkoop", 0.00), (DBSO, "Leren en werken: logistiek", 0.00),
    (DBSO, "Leren en werken: horeca", 0.10), (DBSO, "Leren en werken: bouw", 0.00),
    (BUSO, "OV1 sociaal vormend", 0.0), (BUSO, "OV2 arbeidsvoorbereidend", 0.0),
    (BUSO, "OV3 beroepsvoorbereidend", 0.0), (BUSO, "OV4 algemeen/technisch", 0.0),
    (OKAN, "OKAN", 0.0),
]
PROG_TRACK = np.array([p[0] for p in PROGRAMMES], np.int8)
PROG_RISK = np.array([p[2] for p in PROGRAMMES], np.float64)
PROG_BUSO = {ov: next(i for i, p in enumerate(PROGRAMMES) if p[1].startswith(f"OV{ov}")) for ov in (1, 2, 3, 4)}
PROG_OKAN = next(i for i, p in enumerate(PROGRAMMES) if p[0] == OKAN)


@dataclasses.dataclass(frozen=True)
class CityConfig:
    """Parameters of one city. ``current_year=2026`` means the school year 2026-2027 is running;
    ``generate_city`` takes the school year running today (Brussels) unless told otherwise."""

    pupils: int = 10_000
    seed: int = 1
    current_year: int = 2026
    years: int = 13
    cutoff: dt.date | None = None  # last day with data; default 21 November of current_year

    @property
    def first_year(self) -> int:
        return self.current_year - self.years + 1

    @property
    def cutoff_date(self) -> dt.date:
        return self.cutoff or dt.date(self.current_year, 11, 21)


# Model parameters (see docs/demo-city.md). Tuned so that the files hit the published figures.
P = dict(
    pupils_per_cohort=13.45,  # current P+S pupils per native cohort member (calibrated)
    cohort_growth=0.012,
    move_in_rate=0.020,
    newcomer_rate_primary=0.007,
    newcomer_rate_secondary=0.012,
    move_out_rate=0.024,
    move_out_newcomer=0.045,
    # engagement
    e_rho=0.80,
    e_sigma=0.30,
    e_teen_drift=-0.06,
    # primary
    retention_p1=-3.4,
    retention_other=-4.6,
    referral_special=-5.9,
    p6_fail=-2.3,
    # secondary attest thresholds per track
    leave_base=-3.6,
    drop_mid_base=-5.2,
    b_absence_base=-0.25,
)


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _easter(year: int) -> dt.date:
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _monday_on_or_after(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=(7 - d.weekday()) % 7)


def school_days(year: int) -> np.ndarray:
    """Day offsets (from 1 September of ``year``) of the school days from September to June.

    Weekends, Flemish school holidays (autumn, Christmas, carnival, Easter), public holidays and, in
    2019-2020, the lockdown (16 March - 17 May 2020) are left out. July and August never count.
    """
    start = dt.date(year, 9, 1)
    end = dt.date(year + 1, 6, 30)
    easter = _easter(year + 1)
    weeks = 2 if year >= 2022 else 1  # the 2022 calendar reform: two-week autumn and carnival breaks
    off: list[tuple[dt.date, dt.date]] = []
    nov1 = dt.date(year, 11, 1)
    autumn = nov1 - dt.timedelta(days=nov1.weekday()) if nov1.weekday() < 5 else _monday_on_or_after(nov1)
    if weeks == 2 and nov1.weekday() >= 2:
        autumn -= dt.timedelta(days=7)
    off.append((autumn, autumn + dt.timedelta(days=7 * weeks - 1)))
    xmas = _monday_on_or_after(dt.date(year, 12, 25)) if dt.date(year, 12, 25).weekday() >= 5 else (
        dt.date(year, 12, 25) - dt.timedelta(days=dt.date(year, 12, 25).weekday()))
    off.append((xmas, xmas + dt.timedelta(days=13)))
    carnival = easter - dt.timedelta(days=48)
    off.append((carnival, carnival + dt.timedelta(days=7 * weeks - 1)))
    if easter < dt.date(year + 1, 4, 1):
        ester = easter + dt.timedelta(days=1)
    elif easter > dt.date(year + 1, 4, 15):
        ester = easter + dt.timedelta(days=1 - 7)
    else:
        ester = _monday_on_or_after(dt.date(year + 1, 4, 1))
    off.append((ester, ester + dt.timedelta(days=13)))
    for d in (dt.date(year, 11, 11), dt.date(year + 1, 5, 1), easter + dt.timedelta(days=39),
              easter + dt.timedelta(days=40), easter + dt.timedelta(days=50)):
        off.append((d, d))
    if year == 2019:
        off.append((dt.date(2020, 3, 16), dt.date(2020, 5, 17)))
    n = (end - start).days + 1
    days = np.arange(n)
    weekday = (start.weekday() + days) % 7
    ok = weekday < 5
    for a, b in off:
        lo, hi = (a - start).days, (b - start).days
        ok[max(lo, 0): max(hi + 1, 0)] = False
    return days[ok]


def _text_table(values: list[str]) -> np.ndarray:
    """Zero-padded UTF-8 byte table: row i holds values[i]; an empty string is an all-zero row."""
    enc = [v.encode("utf-8") for v in values]
    width = max(1, max(len(e) for e in enc))
    table = np.zeros((len(enc), width), np.uint8)
    for i, e in enumerate(enc):
        table[i, : len(e)] = np.frombuffer(e, np.uint8)
    return table


def _digits_table(numbers: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative integers, zero-filled to ``width``."""
    out = np.empty((len(numbers), width), np.uint8)
    x = numbers.astype(np.int64).copy()
    for pos in range(width - 1, -1, -1):
        out[:, pos] = 48 + (x % 10)
        x //= 10
    return out


def _compose(columns: list[np.ndarray]) -> bytes:
    """CSV lines from per-column byte matrices (n, w_i); zero bytes are padding and dropped."""
    n = columns[0].shape[0]
    width = sum(c.shape[1] for c in columns) + len(columns)
    m = np.zeros((n, width), np.uint8)
    pos = 0
    last = len(columns) - 1
    for k, c in enumerate(columns):
        w = c.shape[1]
        m[:, pos: pos + w] = c
        pos += w
        m[:, pos] = 10 if k == last else 44
        pos += 1
    flat = m.reshape(-1)
    return flat[flat != 0].tobytes()


def _const(table_row: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(table_row, (n, table_row.shape[0]))


def _insz(birth: np.ndarray, sex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Synthetic national register numbers: YYMMDD + serial + check digits (as int64).

    Serials are taken from 701 up (odd for boys, even for girls), a range that is rarely issued, so the
    numbers are valid but unlikely to be anyone's. The check digits are 97 - (n mod 97), with the
    ``2`` prefix for births from 2000.
    """
    dates = birth.astype("datetime64[D]")
    y = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    mth = (dates.astype("datetime64[M]") - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    parity = np.where(sex == 0, 1, np.where(sex == 1, 0, rng.integers(0, 2, len(sex))))
    key = birth.astype(np.int64) * 2 + parity
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.r_[0, np.flatnonzero(np.diff(ks)) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, len(ks)]))
    rank = np.empty(len(key), np.int64)
    rank[order] = np.arange(len(ks)) - starts
    slot = rank % 448  # 701..997 first, then wrapping to 3..699 if a day ever had so many
    serial = np.where(slot < 149, 701 + 2 * slot, 3 + 2 * (slot - 149)) - (1 - parity)
    serial = np.where(serial < 1, serial + 2, serial)
    first9 = (y % 100) * 10_000_000 + mth * 100_000 + day * 1000 + serial
    base = np.where(y >= 2000, 2_000_000_000 + first9, first9)
    check = 97 - base % 97
    return first9 * 100 + check


def insz_is_valid(number: str) -> bool:
    """The check-digit rule of the spec (used by the tests)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) != 11:
        return False
    first9, check = int(digits[:9]), int(digits[9:])
    return check == 97 - first9 % 97 or check == 97 - (2_000_000_000 + first9) % 97


# --------------------------------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------------------------------

_PRIMARY_STEMS = [
    "De Regenboog", "Het Kompas", "De Vlieger", "De Zonnebloem", "Het Klavertje", "De Sterrenkijker",
    "De Boomgaard", "De Toverfluit", "Het Molentje", "De Wegwijzer", "De Kleine Wereld", "Het Anker",
    "De Vuurtoren", "De Horizon", "Het Mozaïek", "De Springplank", "De Kameleon", "De Zeppelin",
    "De Parel", "Het Vogelnest", "De Brug", "De Linde", "De Wilg", "Het Zonnetje", "De Kaai",
    "Het Park", "De Tuimelaar", "De Talententuin", "De Vlinder", "Het Speelhof",
]
_SAINTS = [
    "Sint-Jozef", "Sint-Lutgardis", "Sint-Jan", "Sint-Norbertus", "Sint-Agnes", "Sint-Willibrordus",
    "Sint-Vincentius", "Sint-Ludgardis", "Sint-Rita", "Sint-Eligius", "Sint-Franciscus", "Sint-Lambertus",
    "Onze-Lieve-Vrouw", "Sint-Jan Berchmans", "Sint-Aloysius", "Sint-Ignatius", "Sint-Gabriël", "Sint-Paulus",
]
_SEC_STEMS = [
    "Scheldeland", "Meir", "Zuiderdokken", "Spoor Oost", "Rivierenhof", "Schoonselhof", "Kiel", "Dam",
    "Linkeroever", "Stuivenberg", "Park Spoor Noord", "Schijnpoort", "Middelheim", "Boekenberg",
    "Sorghvliedt", "Bist", "Luchtbal", "Kronenburg", "Elzenhof", "Lageweg",
]


def _make_schools(cfg: CityConfig, rng: np.random.Generator) -> dict:
    f = cfg.pupils / 103_000
    n_prim = max(20, round(150 * f))
    n_sprim = max(2, round(12 * f))
    n_sec = max(12, round(75 * f))
    n_ssec = max(2, round(8 * f))
    pc_district = np.array([DISTRICTS.index(p[0]) for p in POSTCODES])
    pc_w = np.array([p[2] for p in POSTCODES])
    dist_w = np.bincount(pc_district, weights=pc_w, minlength=9)
    dist_dep = np.bincount(pc_district, weights=pc_w * np.array([p[3] for p in POSTCODES]), minlength=9) / dist_w

    def spread(n: int, minimum: int, weights: np.ndarray) -> np.ndarray:
        counts = np.full(9, minimum)
        rest = n - counts.sum()
        if rest > 0:
            quota = weights / weights.sum() * rest
            add = np.floor(quota).astype(int)
            order = np.argsort(-(quota - add), kind="stable")
            add[order[: rest - add.sum()]] += 1
            counts += add
        return np.repeat(np.arange(9), counts)

    sec_w = dist_w.copy()
    sec_w[0] *= 2.0  # the city centre has more secondary schools than residents
    prim_d = spread(n_prim, 2, dist_w)
    sec_min = np.ones(9, int)
    sec_min[2] = 0  # Berendrecht-Zandvliet-Lillo is small
    sec_d = np.repeat(np.arange(9), sec_min)
    sec_rest = n_sec - len(sec_d)
    sec_d = np.sort(np.r_[sec_d, rng.choice(9, size=sec_rest, p=sec_w / sec_w.sum())])
    sprim_d = rng.choice(9, size=n_sprim, p=dist_w / dist_w.sum())
    ssec_d = rng.choice(9, size=n_ssec, p=sec_w / sec_w.sum())

    level = np.r_[np.zeros(n_prim, int), np.ones(n_sprim, int), np.full(n_sec, 2), np.full(n_ssec, 3)]
    district = np.r_[prim_d, np.sort(sprim_d), sec_d, np.sort(ssec_d)]
    n = len(level)
    # secondary profiles: 0 aso, 1 comprehensive, 2 tso/bso, 3 kso, 4 cdo (part-time centre)
    n_cdo = max(1, round(4 * f))
    n_kso = max(1, round(3 * f))
    rest = n_sec - n_cdo - n_kso
    n_aso = max(2, round(rest * 0.32))
    n_comp = max(2, round(rest * 0.33))
    n_tb = rest - n_aso - n_comp
    profiles = np.r_[np.zeros(n_aso, int), np.ones(n_comp, int), np.full(n_tb, 2), np.full(n_kso, 3), np.full(n_cdo, 4)]
    profiles = profiles[rng.permutation(n_sec)]
    # the first secondary school of each district is a comprehensive one (variety in every district)
    seen = set()
    for i in range(n_sec):
        d = sec_d[i]
        if d not in seen:
            seen.add(d)
            j = i + int(np.argmax(profiles[i:] == 1)) if (profiles[i:] == 1).any() else i
            profiles[i], profiles[j] = profiles[j], profiles[i]
    profile = np.r_[np.full(n_prim, -1), np.full(n_sprim, -1), profiles, np.full(n_ssec, -1)]

    # networks: Antwerp is about 45 % Catholic, 25 % city, 20 % GO!, the rest provincial and other
    network = np.empty(n, object)
    for lv in range(4):
        idx = np.flatnonzero(level == lv)
        if lv == 0:
            p = [0.20, 0.27, 0.00, 0.45, 0.08]
        elif lv == 2:
            p = [0.22, 0.25, 0.06, 0.43, 0.04]
        else:
            p = [0.25, 0.35, 0.05, 0.35, 0.00]
        network[idx] = np.array(["GO", "CITY", "PROVINCE", "CATHOLIC", "OTHER"])[rng.choice(5, len(idx), p=p)]
    clb_of = {"GO": "CLB GO! Antwerpen", "CITY": "Stedelijk CLB Antwerpen", "PROVINCE": "PCLB Antwerpen",
              "CATHOLIC": "Vrij CLB Antwerpen", "OTHER": "Vrij CLB Antwerpen"}
    # boards: GO! one school group, the city one board, the province one; Catholic schools grouped
    # in boards of about five; every "other" school its own association
    board = np.empty(n, object)
    cath = 0
    other = 0
    for i in range(n):
        nw = network[i]
        if nw == "GO":
            board[i] = "GO! Scholengroep Antwerpen"
        elif nw == "CITY":
            board[i] = "AG Stedelijk Onderwijs Antwerpen"
        elif nw == "PROVINCE":
            board[i] = "Provinciaal Onderwijs Antwerpen"
        elif nw == "CATHOLIC":
            board[i] = ""  # set below, grouped by district
            cath += 1
        else:
            other += 1
            board[i] = f"vzw Onderwijs {_PRIMARY_STEMS[(other * 7) % len(_PRIMARY_STEMS)]} {other}"
    cath_idx = [i for i in range(n) if network[i] == "CATHOLIC"]
    cath_idx.sort(key=lambda i: (district[i], level[i], i))
    for k, i in enumerate(cath_idx):
        board[i] = f"vzw KOBA {DISTRICTS[district[i]].split('-')[0]} {1 + k // 5}"

    names: list[str] = []
    used: set[str] = set()
    for i in range(n):
        dname = DISTRICTS[district[i]]
        stem_p = _PRIMARY_STEMS[(i * 11) % len(_PRIMARY_STEMS)]
        saint = _SAINTS[(i * 5) % len(_SAINTS)]
        stem_s = _SEC_STEMS[(i * 7) % len(_SEC_STEMS)]
        nw = network[i]
        lv = level[i]
        if lv == 0:
            base = {"GO": f"GO! Basisschool {stem_p}", "CITY": f"Stedelijke Basisschool {stem_p}",
                    "CATHOLIC": f"{saint}school", "OTHER": f"Basisschool {stem_p}",
                    "PROVINCE": f"Provinciale Basisschool {stem_p}"}[nw]
        elif lv == 1:
            base = {"GO": "GO! Buitengewoon Basisonderwijs", "CITY": "Stedelijke School Buitengewoon Onderwijs",
                    "CATHOLIC": f"{saint} Buitengewoon Lager", "PROVINCE": "Provinciale Buitengewone School",
                    "OTHER": "Buitengewone Basisschool"}[nw] + f" {stem_p}"
        elif lv == 2:
            prof = profile[i]
            kind = ["Atheneum", "Campus", "Technisch Instituut", "Kunsthumaniora", "Centrum Leren en Werken"][prof]
            base = {"GO": f"GO! {kind} {stem_s}", "CITY": f"Stedelijk {kind if prof != 0 else 'Lyceum'} {stem_s}",
                    "CATHOLIC": f"{saint}{'college' if prof == 0 else 'instituut'}" + (
                        f" {kind}" if prof in (3, 4) else ""),
                    "PROVINCE": f"Provinciaal {kind} {stem_s}", "OTHER": f"{kind} {stem_s}"}[nw]
        else:
            base = {"GO": "GO! BuSO", "CITY": "Stedelijk BuSO", "CATHOLIC": f"{saint} BuSO",
                    "PROVINCE": "Provinciaal BuSO", "OTHER": "BuSO"}[nw] + f" {stem_s}"
        name = f"{base} {dname.split('-')[0]}"
        k = 2
        cand = name
        while cand in used:
            cand = f"{name} {k}"
            k += 1
        used.add(cand)
        names.append(cand)

    numbers = np.sort(rng.choice(np.arange(1000, 130_000), size=n, replace=False))
    numbers = numbers[rng.permutation(n)]
    # a postcode of the district for every school
    postcode = np.empty(n, object)
    for i in range(n):
        cands = [j for j, p in enumerate(POSTCODES) if DISTRICTS.index(p[0]) == district[i]]
        postcode[i] = POSTCODES[cands[i % len(cands)]][1]

    # what each school offers, as weights per need (0 = not offered)
    offer = np.zeros((n, N_NEEDS))
    offer[level == 0, N_PRIM] = 1.0
    offer[level == 1, N_SPRIM] = 1.0
    offer[level == 3, N_BUSO] = 1.0
    prof_offer = {
        0: {N_S1A: 1.0, N_ASO: 1.0},
        1: {N_S1A: 0.8, N_S1B: 0.8, N_ASO: 0.5, N_TSO: 0.8, N_BSO: 0.6},
        2: {N_S1A: 0.35, N_S1B: 1.0, N_TSO: 1.0, N_BSO: 1.0},
        3: {N_S1A: 0.3, N_KSO: 1.0, N_TSO: 0.25},
        4: {N_DBSO: 1.0},
    }
    sec_idx = np.flatnonzero(level == 2)
    okan_done = 0
    for i in sec_idx:
        for need, w in prof_offer[profile[i]].items():
            offer[i, need] = w
        if profile[i] in (1, 2) and (okan_done == 0 or rng.random() < 0.35):
            offer[i, N_OKAN] = 1.0
            okan_done += 1
    size = np.exp(rng.normal(0.0, 0.35, n))
    ses = np.where(level == 2, np.array([-0.9, 0.0, 0.7, -0.2, 1.0])[np.maximum(profile, 0)], dist_dep[district])
    ses = ses + rng.normal(0.0, 0.45, n)
    quality = rng.normal(0.0, 0.12, n)
    return dict(
        n=n, level=level, district=district, profile=profile, network=network, board=board, name=names,
        number=numbers, postcode=postcode, clb=[clb_of[x] for x in network], offer=offer, size=size,
        ses=ses, quality=quality,
    )


def _school_cdf(schools: dict) -> np.ndarray:
    """Choice weights per (need, district, OKI 0-4) row over schools, as a flat cumulative table."""
    n = schools["n"]
    offer = schools["offer"]
    schools["level"]
    sdist = schools["district"]
    ses = schools["ses"]
    size = schools["size"]
    rows = np.zeros((N_NEEDS, 9, 5, n))
    for need in range(N_NEEDS):
        for d in range(9):
            same = sdist == d
            if need in (N_PRIM, N_SPRIM):
                aff = np.where(same, 1.0, 0.06)
            else:
                aff = np.where(same, 1.0, np.where(sdist == 0, 0.55, 0.30))
            for oki in range(5):
                w = offer[:, need] * size * aff * np.exp(0.45 * (oki - 1.6) * ses)
                rows[need, d, oki] = w
    rows = rows.reshape(-1, n)
    tot = rows.sum(axis=1, keepdims=True)
    assert (tot > 0).all(), "every need must be offered by some school"
    cdf = np.cumsum(rows / tot, axis=1)
    cdf[:, -1] = 1.0
    return (cdf + np.arange(len(cdf))[:, None]).reshape(-1)


# --------------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------------


class _City:
    def __init__(self, cfg: CityConfig, progress: Callable[[str], None] | None):
        self.cfg = cfg
        self.say = progress or (lambda s: None)
        self.rng = np.random.default_rng(cfg.seed)
        # the learning-gain tests draw from a stream of their own: the other files stay as they were
        self.test_rng = np.random.default_rng([cfg.seed, 2028])
        self.Y0 = cfg.current_year
        self.F = cfg.first_year
        self.B0 = self.F - 20  # the oldest pupils in the first year are about 20
        self.S0 = self.B0 + 3  # first simulated year: the oldest cohort's first kleuter year
        self.cut = cfg.cutoff_date
        self.D0 = np.datetime64(f"{self.B0 - 1}-01-01")
        end = np.datetime64(f"{self.Y0 + 2}-01-01")
        days = np.arange(self.D0, end, dtype="datetime64[D]")
        self.date_tab = np.vstack([
            np.frombuffer(np.datetime_as_string(days).astype("S10").tobytes(), np.uint8).reshape(-1, 10),
            np.zeros((1, 10), np.uint8),  # the "empty" date
        ])
        self.EMPTY_DATE = len(days)
        self.delay_share: dict[str, float] = {}
        self.current_count = 0
        self.current_kleuters = 0

    # ---- dates ----
    def day(self, d: dt.date) -> int:
        return int((np.datetime64(d) - self.D0).astype(np.int64))

    # ---- population ----
    def make_population(self):
        rng = self.rng
        cfg = self.cfg
        c = cfg.pupils / P["pupils_per_cohort"]
        pc_w = np.array([p[2] for p in POSTCODES])
        pc_w = pc_w / pc_w.sum()
        chunks = []
        # natives: one cohort per birth year
        for b in range(self.B0, self.Y0 - 2):
            n = rng.poisson(c * max(0.75, 1 + P["cohort_growth"] * (b - (self.Y0 - 12))))
            chunks.append(dict(b=np.full(n, b), kind=np.zeros(n, np.int8), entry_year=np.full(n, -1),
                               entry_age=np.full(n, -1)))
        # movers and newcomers, per year and age
        for t in range(self.S0 + 1, self.Y0 + 1):
            wave = 1.0 + 0.8 * (t in (2015, 2016)) + 0.6 * (t in (2022, 2023))
            for age in range(3, 18):
                b = t - age
                if b < self.B0:
                    continue
                cb = c * max(0.75, 1 + P["cohort_growth"] * (b - (self.Y0 - 12)))
                n1 = rng.poisson(cb * P["move_in_rate"])
                rate = P["newcomer_rate_secondary"] if age >= 12 else P["newcomer_rate_primary"]
                n2 = rng.poisson(cb * rate * wave)
                kind = np.r_[np.ones(n1, np.int8), np.full(n2, 2, np.int8)]
                chunks.append(dict(b=np.full(n1 + n2, b), kind=kind, entry_year=np.full(n1 + n2, t),
                                   entry_age=np.full(n1 + n2, age)))
        b = np.concatenate([ch["b"] for ch in chunks])
        kind = np.concatenate([ch["kind"] for ch in chunks])
        entry_year = np.concatenate([ch["entry_year"] for ch in chunks])
        entry_age = np.concatenate([ch["entry_age"] for ch in chunks])
        M = len(b)
        self.M = M
        doy = rng.integers(0, 365, M)
        jan1 = (np.array([f"{x}-01-01" for x in range(self.B0, self.Y0 + 1)], dtype="datetime64[D]")
                - self.D0).astype(np.int64)
        self.birth = jan1[b - self.B0] + doy  # day index
        self.b = b
        self.rel_age = doy / 365.0 - 0.5  # younger in the class -> more retention
        u = rng.random(M)
        self.sex = np.where(u < 0.001, 2, np.where(u < 0.5115, 0, 1)).astype(np.int8)
        self.kind = kind
        newcomer = kind == 2
        # residence and SES
        self.pc = rng.choice(len(POSTCODES), M, p=pc_w).astype(np.int8)
        pc_dep = np.array([p[3] for p in POSTCODES])
        self.pc_dep = pc_dep
        s = pc_dep[self.pc] * 0.8 + rng.normal(0, 1, M) + 0.6 * newcomer
        self.s = s
        # home language not Dutch: rising over the cohorts (Statistiek Vlaanderen)
        hl_logit = -0.55 + 1.25 * s + 0.035 * (b - 2005) + 5.0 * newcomer
        self.hl = (rng.random(M) < _sigmoid(hl_logit)).astype(np.int8)
        self.mle = (rng.random(M) < _sigmoid(-2.35 + 1.25 * s + 0.55 * self.hl)).astype(np.int8)
        self.sa_lat = 1.4 * s + 0.35 * self.hl + rng.normal(0, 0.7, M)
        self.nbh_nu = rng.normal(0, 0.55, M)
        self.sa = np.zeros(M, np.int8)
        self.nbh = np.zeros(M, np.int8)
        self._update_oki(np.arange(M), self.F)
        # ability and engagement
        self.a = -0.40 * s - 0.12 * self.hl + rng.normal(0, 0.9, M)
        self.mu = -0.30 * s + 0.25 * self.a - 0.12 * (self.sex == 0)
        self.e = (self.mu + rng.normal(0, 0.6, M)).astype(np.float64)
        # names
        self._make_names()
        self.nn = _insz(self.birth + self.D0.astype(np.int64), self.sex, rng)
        # entry
        eg = np.zeros(M, np.int8)  # entry grade
        self.kleuter_years = np.zeros(M, np.int8)
        nat = kind == 0
        late = rng.random(M) < _sigmoid(-2.0 + 0.5 * s + 0.7 * self.hl)
        lk = rng.choice(3, M, p=[0.55, 0.30, 0.15])  # late starters: K2, K3, or straight to P1
        start_grade = np.where(late, lk + 1, 0)
        entry_year = np.where(nat, b + 3 + start_grade, entry_year)
        eg = np.where(nat, start_grade, eg)
        # migrants: grade from age, sometimes a year behind
        exp_g = np.clip(entry_age - 3, 0, S7)
        behind = rng.random(M) < np.where(newcomer, 0.7, np.where(entry_age >= 8, 0.2, 0.03))
        mg = np.clip(exp_g - behind, 0, S6)
        eg = np.where(nat, eg, mg)
        self.entry_day = np.where(
            nat, 0, np.where(rng.random(M) < np.where(newcomer, 0.5, 0.75), 0, rng.integers(5, 200, M)))
        # arrivals after the data's cut-off in the current year are not in the data yet
        sd0 = school_days(self.Y0)
        snapped = sd0[np.minimum(np.searchsorted(sd0, self.entry_day), len(sd0) - 1)]
        late_arrival = (entry_year == self.Y0) & (self.entry_day > 0) & (
            snapped > (self.cut - dt.date(self.Y0, 9, 1)).days)
        entry_year = np.where(late_arrival, self.Y0 + 1, entry_year)
        self.entry_year = entry_year
        self.entry_grade = eg
        self.newcomer = newcomer
        # state
        self.state = np.zeros(M, np.int8)  # 0 not yet, 1 active, 2 gone
        self.grade = np.zeros(M, np.int8)
        self.track = np.zeros(M, np.int8)
        self.stream = np.zeros(M, np.int8)
        self.school = np.full(M, -1, np.int32)
        self.special = np.zeros(M, bool)
        self.ov = np.zeros(M, np.int8)
        self.prog = np.full(M, -1, np.int16)
        self.dual = np.zeros(M, np.int8)
        self.workplace = np.zeros(M, bool)
        self.years_in = np.zeros(M, np.int8)  # years in DBSO/BUSO
        self.qual = np.zeros(M, np.int8)
        self.shock = np.zeros(M)
        # registration (pupils.csv) and truth
        self.registered = np.zeros(M, bool)
        self.reg_key = np.zeros(M, np.int32)
        self.outcome = np.zeros(M, np.int8)
        self.leave_year = np.full(M, -1, np.int32)
        self.last_year = np.full(M, -1, np.int32)
        self.last_grade = np.zeros(M, np.int8)
        self.last_track = np.zeros(M, np.int8)
        self.e_first = np.full(M, np.nan)
        self.e_s1 = np.full(M, np.nan)
        self.e_last = np.full(M, np.nan)
        self.kleuter_years[:] = 0
        self.say(f"population: {M} people over {self.Y0 - self.B0 - 2} birth years")

    def _update_oki(self, idx: np.ndarray, t: int):
        # the schooltoeslag of 2019 replaced the schooltoelage with wider criteria: more pupils qualify
        tau = 1.45 if t < 2019 else 1.2
        self.sa[idx] = (self.sa_lat[idx] > tau).astype(np.int8)
        self.nbh[idx] = (1.6 * self.pc_dep[self.pc[idx]] + 0.35 * self.s[idx] + self.nbh_nu[idx] > 0.6).astype(np.int8)

    def _make_names(self):
        rng = self.rng
        M = self.M
        origins = _names.ORIGINS
        p_nl = np.array([o[1] for o in origins])
        p_other = np.array([o[2] for o in origins])
        u = rng.random(M)
        cum_nl = np.cumsum(p_nl / p_nl.sum())
        cum_ot = np.cumsum(p_other / p_other.sum())
        origin = np.where(self.hl == 1, np.searchsorted(cum_ot, u, side="right"),
                          np.searchsorted(cum_nl, u, side="right"))
        origin = np.minimum(origin, len(origins) - 1)
        first_all: list[str] = []
        last_all: list[str] = []
        fi = np.zeros(M, np.int32)
        la = np.zeros(M, np.int32)
        for k, (label, _, _) in enumerate(origins):
            sel = np.flatnonzero(origin == k)
            boys, girls, sur = _names.BOYS[label], _names.GIRLS[label], _names.SURNAMES[label]

            def pick(lst, n):
                w = 1.0 / (np.arange(len(lst)) + 4.0)
                return rng.choice(len(lst), n, p=w / w.sum())

            fb = pick(boys, len(sel)) + len(first_all)
            first_all += boys
            fg = pick(girls, len(sel)) + len(first_all)
            first_all += girls
            fi[sel] = np.where(self.sex[sel] == 1, fg, np.where(self.sex[sel] == 0, fb,
                               np.where(rng.random(len(sel)) < 0.5, fb, fg)))
            la[sel] = pick(sur, len(sel)) + len(last_all)
            last_all += sur
        self.first_tab = _text_table(first_all)
        self.last_tab = _text_table(last_all)
        self.first_idx = fi
        self.last_idx = la

    # ---- school choice ----
    def need_of(self, idx: np.ndarray) -> np.ndarray:
        g = self.grade[idx]
        tr = self.track[idx]
        need = np.full(len(idx), N_PRIM, np.int8)
        need[self.special[idx] & (g <= P6)] = N_SPRIM
        sec = g >= S1
        need[sec & (self.stream[idx] == 1)] = N_S1A
        need[sec & (self.stream[idx] == 2)] = N_S1B
        for t_, n_ in ((ASO, N_ASO), (TSO, N_TSO), (KSO, N_KSO), (BSO, N_BSO), (DBSO, N_DBSO), (BUSO, N_BUSO),
                       (OKAN, N_OKAN)):
            need[sec & (tr == t_)] = n_
        return need

    def choose_school(self, idx: np.ndarray, need: np.ndarray | None = None) -> np.ndarray:
        if need is None:
            need = self.need_of(idx)
        dist = np.array([DISTRICTS.index(p[0]) for p in POSTCODES])[self.pc[idx]]
        oki = (self.hl[idx] + self.mle[idx] + self.sa[idx] + self.nbh[idx]).astype(np.int64)
        row = (need.astype(np.int64) * 9 + dist) * 5 + oki
        u = self.rng.random(len(idx))
        pos = np.searchsorted(self.cdf, row + u, side="right")
        return (pos - row * self.S["n"]).astype(np.int32)

    def offers(self, school: np.ndarray, need: np.ndarray) -> np.ndarray:
        return self.S["offer"][school, need] > 0

    # ---- programmes ----
    def pick_programme(self, idx: np.ndarray, track: np.ndarray) -> np.ndarray:
        out = np.full(len(idx), -1, np.int16)
        for t_ in (ASO, TSO, KSO, BSO, DBSO):
            sel = np.flatnonzero(track == t_)
            if len(sel):
                cands = np.flatnonzero(PROG_TRACK == t_)
                out[sel] = cands[self.rng.integers(0, len(cands), len(sel))]
        out[track == OKAN] = PROG_OKAN
        buso = np.flatnonzero(track == BUSO)
        if len(buso):
            out[buso] = np.array([-1, PROG_BUSO[1], PROG_BUSO[2], PROG_BUSO[3], PROG_BUSO[4]])[self.ov[idx[buso]]]
        return out

    def set_track(self, idx: np.ndarray, track: np.ndarray):
        changed = self.track[idx] != track
        self.track[idx] = track
        ch = idx[changed]
        self.prog[ch] = self.pick_programme(ch, track[changed])
        self.prog[idx[track == T_NONE]] = -1

    def track_by_perf(self, perf: np.ndarray) -> np.ndarray:
        """Track at the start of the 2nd grade: the waterfall starts high."""
        u = self.rng.random(len(perf))
        z = perf + self.rng.normal(0, 0.45, len(perf))
        tr = np.where(z > -0.2, ASO, np.where(z > -1.6, TSO, BSO)).astype(np.int8)
        tr = np.where((u < 0.10) & (z > -0.6), KSO, tr)
        return tr

    # ---- the years ----
    def run(self, out: dict):
        rng = self.rng
        cut_day = self.day(self.cut)
        for t in range(self.S0, self.Y0 + 1):
            emit = t >= self.F
            sept1 = self.day(dt.date(t, 9, 1))
            june30 = self.day(dt.date(t + 1, 6, 30)) - sept1
            sd = school_days(t)
            current = t == self.Y0
            # OKI life events: 4 % re-draw of the allowance latent, 3 % move within the city
            act0 = np.flatnonzero(self.state == 1)
            if len(act0):
                ev = act0[rng.random(len(act0)) < 0.04]
                self.sa_lat[ev] = 1.4 * self.s[ev] + 0.35 * self.hl[ev] + rng.normal(0, 0.7, len(ev))
                mv = act0[rng.random(len(act0)) < 0.03]
                pc_w = np.array([p[2] for p in POSTCODES])
                self.pc[mv] = rng.choice(len(POSTCODES), len(mv), p=pc_w / pc_w.sum())
            # entrants
            new = np.flatnonzero((self.entry_year == t) & (self.state == 0))
            self._enter(new, t)
            idx = np.flatnonzero(self.state == 1)
            self._update_oki(idx, t)
            n = len(idx)
            if n == 0:
                continue
            _snapshot_columns(self, idx)
            if emit:
                gg = self.grade[idx]
                reg = (gg >= S1) & ~np.isin(self.track[idx], [OKAN, BUSO])
                expected = t - self.b[idx] - 11  # S-number expected from the birth year
                behind = reg & ((gg - S1 + 1) < expected)
                self.delay_share[f"{t}-{t + 1}"] = float(behind.sum() / max(reg.sum(), 1))
            if current:
                self.current_count = int((self.grade[idx] >= P1).sum())
                self.current_kleuters = int((self.grade[idx] <= K3).sum())
            # ages and the school a pupil starts the year in
            need = self.need_of(idx)
            noschool = self.school[idx] < 0
            if noschool.any():
                self.school[idx[noschool]] = self.choose_school(idx[noschool], need[noschool])
            e = self.e[idx]
            g = self.grade[idx]
            tr = self.track[idx]
            sec = g >= S1
            age = t - self.b[idx]  # age reached in the calendar year the school year starts
            adult_end = self.b[idx] + 18 <= t + 1  # no longer of compulsory age at the end of X (VSV rule)
            start1 = np.where(self.entry_year[idx] == t, self.entry_day[idx], 0)
            start1 = np.minimum(start1, june30 - 60)
            # snap a start to a school day (first school day on or after)
            sdi_start = np.searchsorted(sd, start1)
            sdi_start = np.minimum(sdi_start, len(sd) - 1)
            start1 = np.where(start1 == 0, 0, sd[sdi_start])
            nsd = len(sd)
            if emit:
                first = ~self.registered[idx]
                self.e_first[idx[first]] = e[first]
            s1new = (g == S1) & np.isnan(self.e_s1[idx])
            self.e_s1[idx[s1new]] = e[s1new]

            # ---- mid-year exits ----
            mo_rate = np.where(self.newcomer[idx], P["move_out_newcomer"], P["move_out_rate"]) * (1 + 0.3 * (age >= 16))
            p_move_mid = mo_rate * 0.4
            p_dead = np.full(n, 0.0001)
            unq = self.qual[idx] == 0
            can_drop = sec & adult_end & unq & ~((tr == BUSO) & (self.ov[idx] <= 2))
            tr_risk = np.array([0, -0.9, -0.2, -0.3, 0.35, 1.3, 0.2, 0.2])[tr]
            p_drop = np.where(
                can_drop,
                _sigmoid(P["drop_mid_base"] - 1.5 * e + tr_risk + 1.2 * (self.b[idx] + 18 <= t) + 0.25 * (age - 18).clip(0)),
                0.0)
            u = rng.random(n)
            exit_kind = np.where(u < p_move_mid, R_MOVED, np.where(u < p_move_mid + p_dead, R_DECEASED,
                                 np.where(u < p_move_mid + p_dead + p_drop, R_LEFT, R_NONE))).astype(np.int8)
            lo_i = np.searchsorted(sd, start1)
            ex_i = lo_i + 8 + (rng.random(n) * np.maximum(nsd - 20 - lo_i - 8, 1)).astype(np.int64)
            ex_i = np.minimum(ex_i, nsd - 2)
            exit_day = sd[ex_i]
            exit_kind[exit_day <= start1] = R_NONE
            # ---- mid-year school change ----
            lvl_off = np.where(sec, -3.55, -4.6)
            p_change = _sigmoid(lvl_off - 0.9 * e + 0.4 * self.newcomer[idx])
            chg = rng.random(n) < p_change
            ch_i = lo_i + 5 + (rng.random(n) * np.maximum(nsd - 25 - lo_i - 5, 1)).astype(np.int64)
            ch_i = np.minimum(ch_i, nsd - 3)
            ch_day = sd[ch_i]
            chg &= ch_day > start1
            chg &= ~((exit_kind != R_NONE) & (exit_day <= ch_day))
            if current:
                exit_kind[exit_day > cut_day - sept1] = R_NONE
                chg &= sd[np.minimum(ch_i + 1, nsd - 1)] <= cut_day - sept1
            s1 = self.school[idx].copy()
            s2 = np.full(n, -1, np.int32)
            cidx = np.flatnonzero(chg)
            if len(cidx):
                cand = self.choose_school(idx[cidx], need[cidx])
                again = cand == s1[cidx]
                if again.any():
                    cand[again] = self.choose_school(idx[cidx[again]], need[cidx[again]])
                ok = cand != s1[cidx]
                chg[cidx[~ok]] = False
                s2[cidx[ok]] = cand[ok]
            start2 = np.where(chg, sd[np.minimum(ch_i + 1, nsd - 1)], -1)
            end1 = np.where(chg, ch_day, np.where(exit_kind != R_NONE, exit_day, june30))
            end2 = np.where(chg, np.where(exit_kind != R_NONE, exit_day, june30), -1)
            if current:
                open_ = exit_kind == R_NONE
                end1 = np.where(chg, end1, np.where(open_, -1, end1))
                end2 = np.where(chg & open_, -1, end2)
            reason_final = np.where(exit_kind != R_NONE, exit_kind, R_NONE).astype(np.int8)

            # ---- end of year: attestations, progression, leaving ----
            res = np.full(n, -1, np.int8)
            qgot = np.zeros(n, np.int8)
            if not current:
                res, qgot, reason_final = self._end_of_year(t, idx, e, g, tr, sec, age, adult_end, exit_kind,
                                                            reason_final, chg, s1, s2)
            else:
                stay = exit_kind == R_NONE
                self._mark_gone(idx[~stay], t, exit_kind[~stay])
                if chg.any():
                    self.school[idx[chg]] = s2[chg]

            # ---- outputs ----
            final_school = np.where(chg, s2, s1)
            self.last_year[idx] = t
            self.last_grade[idx] = g
            self.last_track[idx] = tr
            self.e_last[idx] = e
            if emit:
                self._emit_pupils(out, idx, t, sept1 + start1)
                self._emit_enrolments(out, t, idx, sept1, s1, s2, start1, end1, start2, end2, chg, reason_final,
                                      g, tr)
                if not current:
                    self._emit_attestations(out, t, idx, final_school, g, res, qgot, exit_kind)
                    self._emit_test_results(out, t, idx, final_school, g, tr, exit_kind)
                self._emit_absences(out, t, idx, sd, sept1, s1, s2, start1, end1, start2, end2, chg, e, g, tr, age,
                                    cut_day - sept1 if current else june30)
                self.say(f"school year {t}-{t + 1}: {n} pupils")
            # ---- engagement drift for next year ----
            if not current:
                idx2 = idx[self.state[idx] == 1]
                self._drift(idx2, t)

    def _enter(self, new: np.ndarray, t: int):
        if len(new) == 0:
            return
        self.state[new] = 1
        g = self.entry_grade[new].astype(np.int8)
        self.grade[new] = g
        kle = g <= K3
        self.kleuter_years[new[kle]] = (K3 - g[kle] + 1).astype(np.int8)
        self.stream[new] = 0
        self.track[new] = 0
        self.prog[new] = -1
        sec = g >= S1
        nc = self.newcomer[new]
        # secondary-age newcomers start in the reception class
        okan = sec & nc
        self.ov[new] = 0
        self.grade[new[okan]] = S1
        self.set_track(new[okan], np.full(okan.sum(), OKAN, np.int8))
        other = np.flatnonzero(sec & ~nc)
        if len(other):
            ids = new[other]
            perf = self.a[ids] + 0.5 * self.e[ids]
            gg = self.grade[ids]
            first_grade = gg <= S2
            self.stream[ids[first_grade]] = np.where(perf[first_grade] < -1.3, 2, 1)
            tr = self.track_by_perf(perf[~first_grade])
            self.set_track(ids[~first_grade], tr)
        # a few arrive already in special education
        spec = np.flatnonzero((g >= P2) & (self.rng.random(len(new)) < 0.012 + 0.015 * (self.a[new] < -1.2)))
        if len(spec):
            ids = new[spec]
            prim = self.grade[ids] <= P6
            self.special[ids[prim]] = True
            secs = ids[~prim & (self.track[ids] != OKAN)]
            self._to_buso(secs)

    def _to_buso(self, ids: np.ndarray):
        if len(ids) == 0:
            return
        self.special[ids] = True
        self.ov[ids] = self.rng.choice([1, 2, 3, 4], len(ids), p=[0.10, 0.22, 0.48, 0.20]).astype(np.int8)
        self.stream[ids] = 0
        self.years_in[ids] = 0
        self.set_track(ids, np.full(len(ids), BUSO, np.int8))
        self.grade[ids] = np.maximum(self.grade[ids], S1)

    def _mark_gone(self, ids: np.ndarray, t: int, reason: np.ndarray, buso_ov12: np.ndarray | None = None):
        if len(ids) == 0:
            return
        self.state[ids] = 2
        oc = np.full(len(ids), O_YOUNG, np.int8)
        oc[reason == R_MOVED] = O_MOVED
        oc[reason == R_DECEASED] = O_DECEASED
        oc[reason == R_QUALIFIED] = O_QUAL
        left = reason == R_LEFT
        adult = self.b[ids] + 18 <= t + 1
        qualified = self.qual[ids] > 0
        oc[left & qualified] = O_QUAL
        oc[left & ~qualified & adult] = O_UNQUAL
        if buso_ov12 is not None:
            oc[left & buso_ov12 & ~qualified] = O_OV12
        self.outcome[ids] = oc
        self.leave_year[ids] = t

    def _end_of_year(self, t, idx, e, g, tr, sec, age, adult_end, exit_kind, reason_final, chg, s1, s2):
        rng = self.rng
        n = len(idx)
        S = self.S
        res = np.full(n, -1, np.int8)
        qgot = np.zeros(n, np.int8)
        school_now = np.where(chg, s2, s1)
        self.school[idx] = school_now
        # mid-year leavers
        gone = exit_kind != R_NONE
        res[gone & sec & (exit_kind == R_LEFT)] = RES_NONE
        buso12 = (tr == BUSO) & (self.ov[idx] <= 2)
        self._mark_gone(idx[gone], t, exit_kind[gone], buso12[gone])
        stay = ~gone
        covid = 0.6 if t == 2019 else (0.2 if t == 2020 else 0.0)
        perf = (self.a[idx] + 0.55 * e + S["quality"][school_now] - 0.30 * self.rel_age[idx]
                + rng.normal(0, 0.65, n) + covid)
        nxt_grade = g.copy()
        nxt_track = tr.copy()
        nxt_stream = self.stream[idx].copy()
        shock = np.zeros(n)
        leave = np.zeros(n, bool)
        new_qual = np.zeros(n, np.int8)
        to_buso = np.zeros(n, bool)
        to_special_prim = np.zeros(n, bool)
        spec = self.special[idx]

        # kleuter
        k = stay & (g <= K3)
        k3 = k & (g == K3)
        extend = k3 & (rng.random(n) < _sigmoid(-3.9 - 0.8 * perf + 1.2 * (self.rel_age[idx] > 0.3)))
        nxt_grade[k & ~extend] = g[k & ~extend] + 1

        # primary (regular and special)
        pr = stay & (g >= P1) & (g <= P6)
        base = np.where(g == P1, P["retention_p1"], P["retention_other"])
        ret = pr & ~spec & (g < P6) & (rng.random(n) < _sigmoid(base - 1.1 * perf))
        refer = pr & ~spec & (g <= P1 + 3) & ~ret & (age < 12) & (rng.random(n) < _sigmoid(P["referral_special"] - 1.2 * perf))
        to_special_prim |= refer
        nxt_grade[pr & ~ret & (g < P6)] = g[pr & ~ret & (g < P6)] + 1
        shock[ret] -= 0.10
        # P6: the getuigschrift basisonderwijs decides A- or B-stream
        p6 = pr & (g == P6) & ~spec
        p6_rep = p6 & (rng.random(n) < _sigmoid(-4.3 - 1.0 * perf))
        p6_go = p6 & ~p6_rep
        fail = rng.random(n) < _sigmoid(P["p6_fail"] - 1.6 * perf)
        nxt_grade[p6_go] = S1
        nxt_stream[p6_go] = np.where(fail[p6_go], 2, 1)
        # too old for primary: to the B-stream at 14 (13 in the year)
        old = pr & ~spec & (g < P6) & (age >= 13)
        nxt_grade[old] = S1
        nxt_stream[old] = 2
        # special primary: on by age, to BUSO at 13
        sp = pr & spec
        nxt_grade[sp & (g < P6)] = g[sp & (g < P6)] + 1
        to_buso |= sp & ((g == P6) | (age >= 12))

        # secondary
        s = stay & sec
        st = self.stream[idx]
        # first grade
        fg = s & (g <= S2) & (tr == T_NONE)
        c_rate = np.where(st == 2, -4.4, np.where(g == S1, -3.7, -3.3))
        c1 = fg & (rng.random(n) < _sigmoid(c_rate - 1.4 * (perf + 1.2 * (st == 2))))
        b1 = fg & ~c1 & (g == S2) & (st == 1) & (rng.random(n) < _sigmoid(-1.9 - 1.3 * perf))
        res[fg] = RES_A
        res[b1] = RES_B
        res[c1] = RES_C
        # S1 -> S2 in the same stream; C: repeat
        a1 = fg & (g == S1) & ~c1
        nxt_grade[a1] = S2
        s2a = fg & (g == S2) & (st == 1) & ~c1
        s2b = fg & (g == S2) & (st == 2) & ~c1
        nxt_grade[s2a | s2b] = S3
        nxt_stream[s2a | s2b] = 0
        # track choice for the 2nd grade
        choose = np.flatnonzero(s2a)
        if len(choose):
            newt = self.track_by_perf(perf[choose] - 0.25 * self.s[idx[choose]])
            bb = b1[choose]
            newt[bb] = np.where(perf[choose][bb] > -0.5, TSO, BSO)
            newt[bb & (newt == ASO)] = TSO
            nxt_track[choose] = newt
        nxt_track[s2b] = np.where(rng.random(n)[s2b] < 0.12, TSO, BSO)
        # C in the first grade: repeat, or (S2 A) move to BSO S3
        c_down = c1 & (g == S2) & (st == 1) & (rng.random(n) < 0.35)
        nxt_grade[c_down] = S3
        nxt_stream[c_down] = 0
        nxt_track[c_down] = BSO
        shock[c1] -= 0.25
        shock[b1] -= 0.08

        # 2nd and 3rd grade, full-time
        ft = s & (g >= S3) & np.isin(tr, [ASO, TSO, KSO, BSO])
        level = np.array([0, 0.75, -0.15, 0.0, -1.0, 0, 0, 0])[tr]  # the track's demand (waterfall)
        c_thr = np.array([0, -1.7, -1.5, -1.5, -1.4, 0, 0, 0])[tr]
        lastyr = ft & ((g == S6) & (tr != BSO) | (g == S7))
        bso6 = ft & (g == S6) & (tr == BSO)
        mid = ft & ~lastyr & ~bso6
        z = perf - level
        cC = mid & (z < c_thr)
        cB = mid & ~cC & (z < c_thr + 0.55) & (tr != BSO)
        res[mid] = RES_A
        res[cB] = RES_B
        res[cC] = RES_C
        aa = mid & ~cB & ~cC
        nxt_grade[aa] = g[aa] + 1
        lower = np.array([0, TSO, BSO, TSO, BSO, DBSO, BUSO, OKAN], np.int8)
        # B: down a track and on (50 %), or repeat the year in the same track
        b_down = cB & (rng.random(n) < 0.5)
        nxt_grade[b_down] = g[b_down] + 1
        nxt_track[b_down] = lower[tr[b_down]]
        # C: repeat (55 %) or the same grade one track lower
        c_down2 = cC & (tr != BSO) & (rng.random(n) < 0.45)
        nxt_track[c_down2] = lower[tr[c_down2]]
        shock[cC] -= 0.25
        shock[cB] -= 0.08
        # final years: certificate or C
        fin = lastyr | bso6
        ok = fin & (z > c_thr + 0.1)
        res[fin] = RES_C
        res[ok] = RES_CERT
        dipl = ok & (((g == S6) & (tr != BSO)) | (g == S7))
        new_qual[dipl] = Q_DIPLOMA
        bcert = ok & bso6
        new_qual[bcert] = Q_BSO
        s7 = bcert & (rng.random(n) < _sigmoid(0.2 + 0.8 * e))
        nxt_grade[s7] = S7
        leave[dipl | (bcert & ~s7)] = True
        shock[fin & ~ok] -= 0.25
        # S7 BSO with a C: already qualified through the BSO certificate -> leaves
        leave[fin & ~ok & (g == S7)] = True

        # part-time (DBSO): certificate some years; 30 % lack a full programme (seed 003, domein 6)
        db = s & (tr == DBSO)
        self.years_in[idx[db]] += 1
        dcert = db & (self.years_in[idx] >= 1) & (rng.random(n) < _sigmoid(-0.5 + 0.8 * e + 0.6 * self.workplace[idx]))
        res[dcert] = RES_CERT
        new_qual[dcert] = np.where(rng.random(n)[dcert] < 0.8, Q_DBSO, Q_MODULAR)
        leave[dcert] = True
        nxt_grade[db & ~dcert] = np.minimum(g[db & ~dcert] + 1, S7)

        # BUSO
        bu = s & (tr == BUSO)
        self.years_in[idx[bu]] += 1
        ov = self.ov[idx]
        yi = self.years_in[idx]
        ov3 = bu & (ov == 3) & (yi >= 4) & (rng.random(n) < _sigmoid(-0.6 + 0.7 * e))
        ov4 = bu & (ov == 4) & (g >= S6) & (perf > -1.6)
        new_qual[ov3] = Q_OV3
        new_qual[ov4] = Q_OV4
        res[ov3 | ov4] = RES_CERT
        leave[ov3 | ov4] = True
        nxt_grade[bu & ~(ov3 | ov4)] = np.minimum(g[bu & ~(ov3 | ov4)] + 1, S7)
        ov12_leave = bu & (ov <= 2) & ((age >= 20) | ((age >= 17) & (rng.random(n) < 0.25)))

        # OKAN: one year, then placed by age with delay
        ok_ = s & (tr == OKAN)
        res[ok_] = -1  # no attestation for the reception year
        young = ok_ & (age <= 13)
        nxt_track[ok_] = T_NONE
        nxt_grade[young] = np.where(age[young] <= 12, S1, S2)
        nxt_stream[young] = np.where(rng.random(n)[young] < 0.5, 2, 1)
        old_ = ok_ & (age > 13)
        nxt_grade[old_] = np.clip(g[old_] + np.clip(age[old_] - 14, 0, 3), S3, S5)
        nxt_track[old_] = np.where(self.a[idx[old_]] + rng.normal(0, 0.5, old_.sum()) > 0.3, TSO, BSO)

        # into DBSO: low engagement, 15 or older, BSO/TSO from the 2nd grade
        into_db = (s & ~leave & np.isin(nxt_track, [BSO, TSO]) & (age >= 15) & (g >= S3) & (self.qual[idx] == 0)
                   & (rng.random(n) < _sigmoid(-3.8 - 1.6 * e + 0.8 * cC)))
        nxt_track[into_db] = DBSO
        nxt_grade[into_db] = np.maximum(g[into_db], S3)

        # leaving without (new) qualification at the end of the year, once no longer of compulsory age
        delay = np.clip((t - self.b[idx] - 11) - (g - S1 + 1), 0, 6)
        track_leave = np.array([0, -1.0, -0.45, -0.5, -0.25, 0.3, 0.3, 0.5])[tr]
        prog_risk = np.where(self.prog[idx] >= 0, PROG_RISK[np.maximum(self.prog[idx], 0)], 0.0)
        logit = (P["leave_base"] + track_leave + prog_risk + 0.30 * delay - 1.15 * e
                 + 0.7 * (res == RES_C) + 0.35 * (age - 17).clip(0) - 0.35 * (g - S3).clip(0))
        may_leave = s & ~leave & adult_end & ~((tr == BUSO) & (ov <= 2))
        quit_ = may_leave & (rng.random(n) < _sigmoid(logit))
        quit_ |= s & ~leave & (age >= 22)
        leave |= quit_
        leave |= ov12_leave

        # apply qualifications
        self.qual[idx[new_qual > 0]] = new_qual[new_qual > 0]
        qgot = new_qual

        # moving out over the summer
        mo_rate = np.where(self.newcomer[idx], P["move_out_newcomer"], P["move_out_rate"]) * (1 + 0.3 * (age >= 16))
        moved = stay & ~leave & (rng.random(n) < mo_rate * 0.6)
        dead = stay & ~leave & ~moved & (rng.random(n) < 0.0001)
        reason_final = reason_final.copy()
        # as in the spec's example: "qualified" when the qualification was obtained this year, else "left"
        reason_final[stay & leave] = np.where(new_qual[stay & leave] > 0, R_QUALIFIED, R_LEFT)
        reason_final[moved] = R_MOVED
        reason_final[dead] = R_DECEASED
        gone_end = stay & (leave | moved | dead)
        self._mark_gone(idx[gone_end], t, reason_final[gone_end], buso12[gone_end])

        # the ones who continue
        cont = stay & ~gone_end
        ids = idx[cont]
        self.grade[ids] = nxt_grade[cont]
        self.stream[ids] = nxt_stream[cont]
        self.set_track(ids, nxt_track[cont])
        self.years_in[idx[cont & into_db]] = 0
        self.workplace[idx[cont & into_db]] = rng.random(int((cont & into_db).sum())) < 0.68
        # special primary and BUSO
        sp_ids = idx[cont & to_special_prim]
        self.special[sp_ids] = True
        self._to_buso(idx[cont & to_buso])
        # dual learning: TSO/BSO 3rd grade (pilot from 2016, regular from 2019); DBSO with a workplace from 2021
        nt = self.track[idx]
        ng = self.grade[idx]
        dual_p = np.where(t + 1 >= 2019, 0.07, np.where(t + 1 >= 2016, 0.015, 0.0))
        self.dual[ids] = 0
        dsel = cont & np.isin(nt, [TSO, BSO]) & (ng >= S5) & (rng.random(n) < dual_p)
        self.dual[idx[dsel]] = 1
        self.workplace[idx[dsel]] = True
        dbd = cont & (nt == DBSO) & self.workplace[idx] & (t + 1 >= 2021)
        self.dual[idx[dbd]] = 1
        # school for next year: keep if it offers the new need, else choose; a few change anyway
        need_next = self.need_of(ids)
        keep = self.offers(self.school[ids], need_next)
        vol = rng.random(len(ids)) < _sigmoid(np.where(self.grade[ids] >= S1, -3.6, -4.2) - 0.8 * self.e[ids])
        p6s1 = (g[cont] == P6) & (self.grade[ids] == S1)
        change = ~keep | vol | p6s1 | (to_special_prim[cont]) | (to_buso[cont])
        ch_ids = ids[change]
        if len(ch_ids):
            old_school = self.school[ch_ids].copy()
            self.school[ch_ids] = self.choose_school(ch_ids, need_next[change])
            moved_school = self.school[ch_ids] != old_school
            shock_ids = ch_ids[moved_school & ~p6s1[change]]
            self.shock[shock_ids] -= 0.10
        self.shock[idx[cont]] += shock[cont] - 0.12 * chg[cont]
        return res, qgot, reason_final

    def _drift(self, ids: np.ndarray, t: int):
        if len(ids) == 0:
            return
        rng = self.rng
        age = t + 1 - self.b[ids]
        teen = np.where((age >= 12) & (age <= 16), P["e_teen_drift"], 0.0)
        tr = self.track[ids]
        extra = np.where(tr == DBSO, np.where(self.workplace[ids], 0.05, -0.25), 0.0) + 0.08 * self.dual[ids]
        q = 0.4 * self.S["quality"][self.school[ids]]  # a school effect of about 0.2 SD in the long run
        rho = P["e_rho"]
        self.e[ids] = (rho * self.e[ids] + (1 - rho) * self.mu[ids] + teen + extra + q + self.shock[ids]
                       + rng.normal(0, P["e_sigma"], len(ids)))
        self.shock[ids] = 0.0

    # ---- writers ----
    def _emit_pupils(self, out, idx, t, first_day):
        key = (self.hl[idx].astype(np.int32) | (self.mle[idx].astype(np.int32) << 1) | (self.sa[idx].astype(np.int32) << 2)
               | (self.nbh[idx].astype(np.int32) << 3) | (self.pc[idx].astype(np.int32) << 4))
        new = ~self.registered[idx]
        changed = self.registered[idx] & (self.reg_key[idx] != key)
        rows = new | changed
        if not rows.any():
            return
        ids = idx[rows]
        as_of = np.where(new[rows], first_day[rows], self.day(dt.date(t, 9, 1)))
        self.registered[ids] = True
        self.reg_key[ids] = key[rows]
        out["pupil_rows"] += len(ids)
        pc_tab = _text_table([p[1] for p in POSTCODES])
        sex_tab = _text_table(["M", "F", "X"])
        bit = _text_table(["0", "1"])
        data = _compose([
            self.nn_tab[ids], self.first_tab[self.first_idx[ids]], self.last_tab[self.last_idx[ids]],
            self.date_tab[self.birth[ids]], sex_tab[self.sex[ids]], pc_tab[self.pc[ids]], self.date_tab[as_of],
            bit[self.hl[ids]], bit[self.mle[ids]], bit[self.sa[ids]], bit[self.nbh[ids]],
        ])
        out["pupils"].write(data)

    def _emit_enrolments(self, out, t, idx, sept1, s1, s2, start1, end1, start2, end2, chg, reason_final, g, tr):
        n = len(idx)
        reason1 = np.where(chg, R_CHANGE, reason_final).astype(np.int8)
        ids = np.r_[idx, idx[chg]]
        pos = np.r_[np.arange(n), np.flatnonzero(chg)]
        order = np.lexsort((np.r_[np.zeros(n, np.int8), np.ones(chg.sum(), np.int8)], pos))
        ids = ids[order]
        pos = pos[order]
        second = np.r_[np.zeros(n, bool), np.ones(chg.sum(), bool)][order]
        school = np.where(second, s2[pos], s1[pos])
        st = np.where(second, start2[pos], start1[pos])
        en = np.where(second, end2[pos], end1[pos])
        rs = np.where(second, reason_final[pos], reason1[pos])
        stream = self.stream_at[pos]
        dual = self.dual_at[pos]
        prog = self.prog_at[pos]
        year = _text_table([f"{t}-{t + 1}"])[0]
        end_idx = np.where(en < 0, self.EMPTY_DATE, sept1 + en)
        data = _compose([
            self.nn_tab[ids], self.school_tab[school], _const(year, len(ids)), self.date_tab[sept1 + st],
            self.date_tab[end_idx], self.grade_tab[g[pos]], self.stream_tab[stream], self.track_tab[tr[pos]],
            self.bit_tab[dual], self.prog_tab[prog], self.class_tab[g[pos] * len(CLASS_LETTERS) + ids % len(CLASS_LETTERS)],
            self.reason_tab[rs],
        ])
        out["enrolments"].write(data)
        out["enrolment_rows"] += len(ids)

    def _emit_attestations(self, out, t, idx, school, g, res, qgot, exit_kind):
        sel = (res >= 0) & (g >= S1)
        if not sel.any():
            return
        ids = idx[sel]
        year = _text_table([f"{t}-{t + 1}"])[0]
        data = _compose([
            self.nn_tab[ids], self.school_tab[school[sel]], _const(year, len(ids)), self.grade_tab[g[sel]],
            self.result_tab[res[sel]], self.qual_tab[qgot[sel]],
        ])
        out["attestations"].write(data)
        out["attestation_rows"] += len(ids)

    def _emit_test_results(self, out, t, idx, school, g, tr, exit_kind):
        """Learning-gain tests (Dutch, maths) at the end of P4, P6 and S2, in the last ``TEST_YEARS``
        completed school years, for pupils who finish the year in regular education (not OKAN, not
        special education) and are there on the day. The scale score follows the latent ability,
        engagement and the school, and for Dutch the home language, so the same pupil scores alike
        at the next moment and the norm bands mean something."""
        if t < self.Y0 - TEST_YEARS:
            return
        rng = self.test_rng
        n_all = len(idx)
        moment = np.full(n_all, -1, np.int8)
        for k, (grade, *_rest) in enumerate(TEST_MOMENTS):
            moment[g == grade] = k
        sel = (moment >= 0) & (exit_kind == R_NONE) & ~self.special_at & ~np.isin(tr, [OKAN, BUSO])
        sel &= rng.random(n_all) > _sigmoid(-2.6 - 0.8 * self.e[idx])  # absent on the day of the test
        if not sel.any():
            return
        ids, mk = idx[sel], moment[sel]
        n = len(ids)
        # one test day per school: a weekday in the first two weeks of June
        june = [dt.date(t + 1, 6, 1) + dt.timedelta(days=k) for k in range(14)]
        days = np.array([self.day(d) for d in june if d.weekday() < 5], np.int64)
        day = days[rng.integers(0, len(days), self.S["n"])][school[sel]]
        # two rows per pupil: Dutch, then maths
        rep = np.repeat(np.arange(n), 2)
        dom = np.tile(np.array([0, 1], np.int64), n)
        a, e, hl = self.a[ids][rep], self.e[ids][rep], self.hl[ids][rep]
        q = self.S["quality"][school[sel]][rep]
        z = (np.where(dom == 0, 0.75, 0.85) * a + 0.25 * e - np.where(dom == 0, 0.45, 0.10) * hl + 0.3 * q
             + rng.normal(0, 0.55, 2 * n))
        mean = np.array([m[2] for m in TEST_MOMENTS])[mk][rep]
        lo = np.array([m[3] for m in TEST_MOMENTS])[mk][rep]
        hi = np.array([m[4] for m in TEST_MOMENTS])[mk][rep]
        tenths = np.rint(np.clip(mean + TEST_SD * z, lo, hi) * 10).astype(np.int64)
        score = np.hstack([_digits_table(tenths // 10, 3), np.full((2 * n, 1), ord("."), np.uint8),
                           _digits_table(tenths % 10, 1)])
        code = dom * len(TEST_MOMENTS) + mk[rep]
        data = _compose([
            self.nn_tab[ids[rep]], self.date_tab[day[rep]], self.test_code_tab[code], self.test_domain_tab[dom], score,
            _const(self.test_scale_tab[0], 2 * n),
        ])
        out["test_results"].write(data)
        out["test_result_rows"] += 2 * n

    def _emit_absences(self, out, t, idx, sd, sept1, s1, s2, start1, end1, start2, end2, chg, e, g, tr, age, last_day):
        rng = self.rng
        n = len(idx)
        nsd = len(sd)
        wed = ((np.datetime64(f"{t}-09-01").astype(np.int64) + 3 + sd) % 7) == 2  # 1970-01-01 was a Thursday
        # the span of school days the pupil is enrolled in this year
        final_end = np.where(chg, end2, end1)
        final_end = np.where(final_end < 0, last_day, final_end)
        lo = np.searchsorted(sd, start1)
        hi = np.searchsorted(sd, final_end, side="right")
        span = np.maximum(hi - lo, 0)
        frac = span / max(nsd, 1)
        kle = g <= K3
        compulsory_age = np.where(t >= 2020, 5, 6)
        kle_nc = kle & (age < compulsory_age)
        sec = g >= S1
        spec = np.isin(self.S["level"][s1], [1, 3])  # H: only in special education
        dual_like = (self.dual_at == 1) | ((tr == DBSO) & self.workplace_at)
        covid_z = 1.35 if t == 2020 else 1.0
        draws_i = []
        draws_d = []
        draws_c = []
        draws_h = []  # 0 both halves, 1 AM, 2 PM

        def episodes(lam, mean_len, code, full_p):
            cnt = rng.poisson(np.maximum(lam, 0) * frac)
            tot = int(cnt.sum())
            if tot == 0:
                return
            who = np.repeat(np.arange(n), cnt)
            start = lo[who] + (rng.random(tot) * span[who]).astype(np.int64)
            length = rng.geometric(1.0 / mean_len, tot) if mean_len > 1 else np.ones(tot, np.int64)
            rep = np.repeat(np.arange(tot), length)
            off = np.arange(len(rep)) - np.repeat(np.cumsum(length) - length, length)
            d = start[rep] + off
            w = who[rep]
            keep = d < hi[w]
            half = np.where(rng.random(len(rep)) < full_p, 0, 1 + rng.integers(0, 2, len(rep)))
            draws_i.append(w[keep])
            draws_d.append(d[keep])
            draws_c.append(np.full(int(keep.sum()), code, np.int8))
            draws_h.append(half[keep].astype(np.int8))

        low_e = np.exp(-0.25 * e)
        # kleuters below compulsory age: code A only
        episodes(np.where(kle_nc, 4.0, 0.0), 1.6, C_A, 0.7)
        episodes(np.where(~kle_nc, np.where(sec, 1.45, 1.35) * low_e * covid_z, 0.0), 1.9, C_Z, 0.85)
        episodes(np.where(~kle_nc, 0.25 + 0.45 * self.hl[idx], 0.0), 1.0, C_R, 0.9)
        episodes(np.where(~kle_nc, np.where(sec, 1.1, 0.5), 0.0), 1.0, C_P, 0.2)
        episodes(np.where(spec & ~kle, 2.0, 0.0), 1.0, C_H, 0.0)
        episodes(np.where(dual_like, 2.5, 0.0), 1.3, C_M, 0.9)
        # problematic absence: heavy-tailed, driven by engagement, older pupils and the track
        trb = np.array([0.0, -0.6, 0.0, 0.0, 0.45, 1.6, 0.5, 0.5])[tr] + 0.35 * (self.stream_at == 2)
        lam_b = np.where(
            sec,
            np.exp(P["b_absence_base"] - 1.55 * e + 0.12 * (age - 14) + trb),
            np.where(kle_nc, 0.0, np.exp(-1.6 - 1.0 * e)),
        )
        frail = rng.gamma(0.55, 1 / 0.55, n)
        episodes(lam_b * frail / 1.7, 1.7, C_B, 0.75)
        if not draws_i:
            return
        pi = np.concatenate(draws_i)
        d = np.concatenate(draws_d)
        c = np.concatenate(draws_c)
        h = np.concatenate(draws_h)
        # expand full days into AM and PM (no school on Wednesday afternoon)
        full = h == 0
        pi = np.r_[pi, pi[full]]
        d = np.r_[d, d[full]]
        c = np.r_[c, c[full]]
        hh = np.r_[np.where(full, 0, h - 1), np.ones(int(full.sum()), np.int8)]  # 0 AM, 1 PM
        keep = ~(wed[d] & (hh == 1))
        pi, d, c, hh = pi[keep], d[keep], c[keep], hh[keep]
        key = pi.astype(np.int64) * 1024 + d * 2 + hh
        _, first = np.unique(key, return_index=True)  # sorted by pupil, date, half day; first code wins
        pi, d, c, hh = pi[first], d[first], c[first], hh[first]
        day = sd[d]
        # which enrolment (school) the date falls in
        e1 = np.where(end1 < 0, last_day, end1)
        e2 = np.where(end2 < 0, last_day, end2)
        in1 = (day >= start1[pi]) & (day <= e1[pi])
        in2 = chg[pi] & (day >= start2[pi]) & (day <= e2[pi])
        keep = (in1 | in2) & (day <= last_day)
        pi, day, c, hh, in1 = pi[keep], day[keep], c[keep], hh[keep], in1[keep]
        school = np.where(in1, s1[pi], s2[pi])
        ids = idx[pi]
        data = _compose([
            self.nn_tab[ids], self.school_tab[school], self.date_tab[sept1 + day], self.half_tab[hh],
            self.code_tab[c],
        ])
        out["absences"].write(data)
        out["absence_rows"] += len(ids)
        # truth figure: problematic absence among secondary pupils
        bcount = np.bincount(pi[c == C_B], minlength=n)
        out["pa"].setdefault(t, [0, 0])
        out["pa"][t][0] += int(((bcount >= 30) & sec).sum())
        out["pa"][t][1] += int(sec.sum())

    def prepare_tables(self):
        S = self.S
        self.nn_tab = _digits_table(self.nn, 11)
        self.school_tab = _digits_table(S["number"], 6)
        self.grade_tab = _text_table(GRADES)
        self.stream_tab = _text_table(STREAMS)
        self.track_tab = _text_table(TRACKS)
        self.bit_tab = _text_table(["0", "1"])
        self.prog_tab = np.vstack([_text_table([p[1] for p in PROGRAMMES]),
                                   np.zeros((1, _text_table([p[1] for p in PROGRAMMES]).shape[1]), np.uint8)])
        self.reason_tab = _text_table(END_REASONS)
        # the school's class label (an extension of the format, docs/data-import.md): the grade's number and a letter
        self.class_tab = _text_table([f"{grade[1:]}{letter}" for grade in GRADES for letter in CLASS_LETTERS])
        self.result_tab = _text_table(RESULTS)
        self.qual_tab = _text_table(QUALIFICATIONS)
        self.half_tab = _text_table(["AM", "PM"])
        self.code_tab = _text_table(CODES)
        self.test_code_tab = _text_table([f"LGT-{short}-{m[1]}" for _d, short in TEST_DOMAINS for m in TEST_MOMENTS])
        self.test_domain_tab = _text_table([d for d, _short in TEST_DOMAINS])
        self.test_scale_tab = _text_table([TEST_SCALE])


def _snapshot_columns(city: _City, idx: np.ndarray):
    """Per-pupil values used by several writers within one year (taken at the start of the year)."""
    city.stream_at = city.stream[idx].copy()
    city.special_at = city.special[idx].copy()
    city.workplace_at = city.workplace[idx].copy()
    city.dual_at = city.dual[idx].copy()
    city.prog_at = np.where(city.prog[idx] < 0, len(PROGRAMMES), city.prog[idx]).astype(np.int64)


def generate_city(
    out_dir: pathlib.Path,
    pupils: int = 10_000,
    seed: int = 1,
    current_year: int | None = None,
    years: int = 13,
    progress: Callable[[str], None] | None = None,
    *,
    cutoff: dt.date | None = None,
) -> dict:
    """Generate the city into ``out_dir/import`` (the five import files of the spec, and
    ``test_results.csv``, the learning-gain tests) and ``out_dir/truth``.

    Returns a summary dict: rows per file, pupils enrolled in primary + secondary in the current
    year, and the generator's own truth figures (VSV rate per leaving year, secondary delay share,
    problematic absence share, low-SES share).
    """
    if current_year is None:
        # the school year running today on the Brussels calendar, with data up to 21 November (or
        # up to yesterday early in the school year), so that the demo city is never in the past
        today = dt.datetime.now(BRUSSELS).date()
        current_year = today.year if today.month >= 9 else today.year - 1
        if cutoff is None and today <= dt.date(current_year, 11, 21):
            cutoff = max(dt.date(current_year, 9, 1), today - dt.timedelta(days=1))
    cfg = CityConfig(pupils=pupils, seed=seed, current_year=current_year, years=years, cutoff=cutoff)
    if years < 2:
        raise ValueError("years must be at least 2")
    out_dir = pathlib.Path(out_dir)
    imp = out_dir / "import"
    truth_dir = out_dir / "truth"
    imp.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    city = _City(cfg, progress)
    city.S = _make_schools(cfg, city.rng)
    city.cdf = _school_cdf(city.S)
    city.make_population()
    city.prepare_tables()

    handles = {name: open(imp / f"{name}.csv", "wb") for name in FILES}
    try:
        for name in FILES:
            handles[name].write((",".join(COLUMNS[name]) + "\n").encode())
        _write_schools(handles["schools"], city.S)
        out = dict(handles, pupil_rows=0, enrolment_rows=0, attestation_rows=0, absence_rows=0, test_result_rows=0, pa={})
        city.run(out)
    finally:
        for h in handles.values():
            h.close()
    figures = _write_truth(city, truth_dir / "outcomes.csv", out)
    summary = {
        "out_dir": str(out_dir),
        "seed": seed,
        "current_school_year": f"{current_year}-{current_year + 1}",
        "first_school_year": f"{cfg.first_year}-{cfg.first_year + 1}",
        "cutoff": cfg.cutoff_date.isoformat(),
        "rows": {
            "schools": city.S["n"],
            "pupils": out["pupil_rows"],
            "enrolments": out["enrolment_rows"],
            "absences": out["absence_rows"],
            "attestations": out["attestation_rows"],
            "test_results": out["test_result_rows"],
            "truth_outcomes": figures.pop("truth_rows"),
        },
        **figures,
    }
    return summary


def _write_schools(fh, S: dict):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i in range(S["n"]):
        w.writerow([f"{S['number'][i]:06d}", S["name"][i], S["network"][i], LEVELS[S["level"][i]],
                    DISTRICTS[S["district"][i]], S["postcode"][i], S["clb"][i], S["board"][i]])
    fh.write(buf.getvalue().encode("utf-8"))


def _write_truth(city: _City, path: pathlib.Path, out: dict) -> dict:
    Y0, F = city.Y0, city.F
    seen = city.registered
    ids = np.flatnonzero(seen)
    oc = city.outcome[ids]
    ly = city.leave_year[ids]
    vsv = np.where(oc == O_UNQUAL, "1", np.where(oc == O_QUAL, "0", ""))
    lines = [",".join(TRUTH_COLUMNS)]
    fmt = lambda x: "" if np.isnan(x) else f"{x:.3f}"  # noqa: E731
    for k, i in enumerate(ids):
        leave = "" if ly[k] < 0 else f"{ly[k]}-{ly[k] + 1}"
        lines.append(",".join([
            f"{city.nn[i]:011d}", OUTCOMES[oc[k]], leave, f"{city.last_year[i]}-{city.last_year[i] + 1}",
            GRADES[city.last_grade[i]], TRACKS[city.last_track[i]], QUALIFICATIONS[city.qual[i]], vsv[k],
            str(int(city.kleuter_years[i])), fmt(city.e_first[i]), fmt(city.e_s1[i]), fmt(city.e_last[i]),
        ]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # truth figures
    vsv_rate = {}
    for x in range(F, Y0):
        u = int(((oc == O_UNQUAL) & (ly == x)).sum())
        q = int(((oc == O_QUAL) & (ly == x)).sum())
        if u + q:
            vsv_rate[f"{x}-{x + 1}"] = round(u / (u + q), 4)
    pa = {f"{t}-{t + 1}": round(v[0] / v[1], 4) for t, v in sorted(out["pa"].items()) if v[1]}
    cur = city.last_year == Y0
    cur &= city.last_grade >= P1
    low_ses = float(((city.sa[cur] == 1) | (city.mle[cur] == 1)).mean()) if cur.any() else 0.0
    return {
        "pupils_current": city.current_count,
        "kleuters_current": city.current_kleuters,
        "vsv_rate": vsv_rate,
        "delay_share": {k: round(v, 4) for k, v in sorted(city.delay_share.items())},
        "problematic_absence_share": pa,
        "low_ses_share": round(low_ses, 4),
        "truth_rows": len(ids),
    }
