"""Point-in-time features: what was known about a pupil on a reference date, and nothing later.

Population on a reference date R: the pupils with an enrolment in secondary education (grades
S1-S7) in the school year containing R, with ``start_date <= R`` and ``end_date`` empty or
``>= R``. Only records dated before R are used:

- absences with ``date < R``;
- attestations of school years that ended before R (school year < the current one);
- enrolments with ``start_date <= R``; an ``end_date`` after R is treated as still open and its
  ``end_reason`` as unknown;
- characteristics with ``as_of <= R`` (the latest such row per pupil);
- the school's past VSV rate from the outcomes of leaving years X whose year X+1 ended before R
  (X + 2 <= the current school year), leavers attributed to their last school in X. Which
  outcomes: those known on R when ``Prepared`` is given ``school_outcomes`` (the time-true
  backtest passes the outcomes of ``labels_on(frames.known_on(R), R)``), otherwise
  ``frames.labels`` (scoring today with today's labels).

Changing or adding any record dated after R leaves the features (and so the scores) unchanged;
``tests/ews/test_engine_features.py`` checks this.

Nationality and ethnicity are never features. Sex is not a feature (it is a fairness group).
Every feature has an area and a flag ``context``: context features (the OKI characteristics, the
school context, and where the pupil is placed: grade, track, stream, dual learning, age) may raise a
score but are never shown to a school as the reason to act; a school sees their summed part as one
line, "schoolcontext" (``explain``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from .frames import (
    ABSENCE_CODES,
    OKI_COLUMNS,
    TRACK_RANK,
    TRACKS,
    Frames,
    as_timestamp,
    clean_str,
    grade_number,
    grade_order,
    school_year_of,
    school_year_start,
)

AREAS: dict[str, dict[str, str]] = {
    "attendance": {"nl": "aanwezigheid", "en": "attendance"},
    "results": {"nl": "resultaten en schoolse vertraging", "en": "results and school delay"},
    "track": {"nl": "schoolveranderingen en afstroming", "en": "school changes and moves down"},
    "wellbeing": {"nl": "welbevinden", "en": "wellbeing"},
    # a school sees this area as one line with its summed contribution, never its features
    "context": {"nl": "schoolcontext", "en": "school context"},
}


@dataclasses.dataclass(frozen=True)
class Feature:
    """One model feature: its area, whether it is context, and a sentence per language.

    ``nl``/``en`` are format strings over ``v`` (the pupil's own value); ``kind`` says how the
    value is formatted: 'count' (integer), 'flag' (0/1, sentence shown only when 1), 'years'
    (one decimal), 'share' (percentage), 'rate' (percentage).
    """

    name: str
    area: str
    nl: str
    en: str
    kind: str = "count"
    context: bool = False


FEATURES: list[Feature] = [
    # attendance
    Feature("b_this_year", "attendance", "{v} halve dagen problematisch afwezig dit schooljaar",
            "{v} half days of problematic absence this school year"),
    Feature("b_last_year", "attendance", "{v} halve dagen problematisch afwezig vorig schooljaar",
            "{v} half days of problematic absence last school year"),
    Feature("b_last_28_days", "attendance", "{v} halve dagen problematisch afwezig in de laatste vier weken",
            "{v} half days of problematic absence in the last four weeks"),
    Feature("b_share_this_year", "attendance", "{v} van de halve dagen dit schooljaar problematisch afwezig",
            "problematically absent {v} of the half days this school year", "share"),
    Feature("b_trend", "attendance", "problematische afwezigheid {v} hoger dan vorig schooljaar",
            "problematic absence {v} higher than last school year", "share"),
    Feature("b_to_5", "attendance", "nog {v} halve dagen tot de CLB-drempel van 5",
            "{v} half days below the CLB threshold of 5"),
    Feature("b_to_30", "attendance", "nog {v} halve dagen tot de drempel van 30",
            "{v} half days below the threshold of 30"),
    Feature("z_this_year", "attendance", "{v} halve dagen ziek dit schooljaar",
            "{v} half days of illness this school year"),
    Feature("z_last_year", "attendance", "{v} halve dagen ziek vorig schooljaar",
            "{v} half days of illness last school year"),
    Feature("z_share_this_year", "attendance", "{v} van de halve dagen dit schooljaar ziek",
            "ill {v} of the half days this school year", "share"),
    Feature("other_this_year", "attendance", "{v} halve dagen andere afwezigheid dit schooljaar",
            "{v} half days of other absence this school year"),
    # results and delay
    Feature("delay_years", "results", "{v} jaar schoolse vertraging", "{v} years of school delay"),
    Feature("retentions", "results", "{v} keer blijven zitten", "repeated a year {v} times"),
    Feature("attest_b", "results", "{v} B-attesten behaald", "{v} B certificates (attest B)"),
    Feature("attest_c", "results", "{v} C-attesten behaald", "{v} C certificates (attest C)"),
    Feature("attest_none", "results", "{v} keer het schooljaar niet afgemaakt",
            "left {v} school years before the end"),
    Feature("last_attest_b", "results", "vorig schooljaar een B-attest", "a B certificate last school year", "flag"),
    Feature("last_attest_c", "results", "vorig schooljaar een C-attest", "a C certificate last school year", "flag"),
    # context (see grade below): age beyond the school delay is the grade the pupil is in
    Feature("age", "context", "{v} jaar oud", "{v} years old", "years", True),
    # school changes and track
    Feature("school_changes", "track", "{v} keer van school veranderd", "changed school {v} times"),
    Feature("midyear_changes", "track", "{v} keer tijdens het schooljaar van school veranderd",
            "changed school {v} times during a school year"),
    Feature("changed_this_year", "track", "dit schooljaar van school veranderd", "changed school this school year",
            "flag"),
    Feature("downward_moves", "track", "{v} keer naar een andere onderwijsvorm afgestroomd",
            "moved down to another track {v} times"),
    # context: may raise the score, never a reason shown to a school. Grade, track, stream and dual
    # learning are where the pupil is placed, not something to act on: context, like the OKI
    # characteristics and the school context below
    Feature("grade", "context", "in het {v}e jaar secundair", "in year {v} of secondary school", "count", True),
    *[
        Feature(f"track_{t.lower()}", "context", f"volgt {t}", f"in {t}", "flag", True)
        for t in TRACKS
    ],
    Feature("stream_b", "context", "in de B-stroom van de eerste graad", "in the B stream of the first grade", "flag",
            True),
    Feature("dual", "context", "volgt duaal leren", "in dual learning", "flag", True),
    Feature("home_language_not_dutch", "context", "thuistaal niet Nederlands", "home language not Dutch",
            "flag", True),
    Feature("mother_low_education", "context", "moeder zonder diploma secundair onderwijs",
            "mother without a secondary diploma", "flag", True),
    Feature("school_allowance", "context", "ontvangt een schooltoeslag", "receives a school allowance", "flag", True),
    Feature("neighbourhood_high_delay", "context", "woont in een buurt met veel schoolse vertraging",
            "lives in a neighbourhood with high school delay", "flag", True),
    Feature("oki", "context", "{v} van de 4 OKI-kenmerken", "{v} of the 4 OKI characteristics", "count", True),
    Feature("school_oki", "context", "school-OKI {v}", "school OKI {v}", "years", True),
    Feature("school_vsv_rate", "context", "{v} vroegtijdige schoolverlaters op school",
            "{v} early school leavers at the school", "rate", True),
]
FEATURE_NAMES: list[str] = [f.name for f in FEATURES]
FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
CONTEXT_FEATURES: list[str] = [f.name for f in FEATURES if f.context]
# meta columns returned beside the features (never fed to a model): used for splits, lists, fairness
META_COLUMNS = ["reference_date", "school_id", "district", "sex", "home_language", "oki_level", "grade_label"]

_N_CODES = len(ABSENCE_CODES)
_C = {c: i for i, c in enumerate(ABSENCE_CODES)}
_DAY = np.timedelta64(1, "D")


def _days(values) -> np.ndarray:
    """datetime-like -> int64 days since epoch (NaT -> a large sentinel)."""
    arr = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = np.iinfo(np.int64).max // 2
    return out


def _day(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


class Prepared:
    """The frames turned into sorted numpy arrays once, so that many reference dates are cheap.

    Everything here is a pure re-encoding of the input (no information across dates): features
    for a date are computed by ``features_on`` from slices dated before that date.
    """

    def __init__(self, frames: Frames, *, school_outcomes: Callable[[pd.Timestamp], pd.DataFrame] | None = None):
        """``school_outcomes(ref)``: the leavers with an outcome known on ``ref``, as returned by
        :func:`school_leavers` (``school_id, lyear, unq``); it feeds the school's past VSV rate of
        rows on ``ref``. Without it the leavers come from ``frames.labels`` whatever the date (right
        only for scoring today with today's labels; the time-true backtest always passes it)."""
        self.school_outcomes = school_outcomes
        self._leavers_on: dict = {}
        pupils = frames.pupils
        self.pid = pd.Index(pd.unique(pupils["pupil_id"].to_numpy()))
        n = len(self.pid)
        self.n = n
        first = pupils.drop_duplicates("pupil_id").set_index("pupil_id").reindex(self.pid)
        self.birth = _days(first["birth_date"])
        self.sex = clean_str(first["sex"]).to_numpy()

        # absences sorted by date
        ab = frames.absences
        pos = self.pid.get_indexer(ab["pupil_id"].to_numpy())
        code = pd.Series(ab["code"].to_numpy()).map(_C).fillna(-1).astype(np.int64).to_numpy()
        day = _days(ab["date"])
        keep = (pos >= 0) & (code >= 0)
        order = np.argsort(day[keep], kind="stable")
        self.ab_day = day[keep][order]
        self.ab_key = (pos[keep] * _N_CODES + code[keep])[order]

        # enrolments sorted by pupil, start date
        en = frames.enrolments
        e = pd.DataFrame({
            "pos": self.pid.get_indexer(en["pupil_id"].to_numpy()),
            "school": en["school_id"].to_numpy(),
            "year": school_year_start(en["school_year"].to_numpy()),
            "start": _days(en["start_date"]),
            "end": _days(en["end_date"]),
            "g": grade_number(en["grade"].to_numpy()),
            "order": grade_order(en["grade"].to_numpy()),
            "grade_label": clean_str(en["grade"]).to_numpy(),
            "stream": clean_str(en["stream"]).to_numpy(),
            "track": clean_str(en["track"]).to_numpy(),
            "dual": pd.Series(en["dual"]).fillna(False).astype(bool).to_numpy(),
        })
        e = e[e["pos"] >= 0].sort_values(["pos", "start"], kind="stable").reset_index(drop=True)
        e["rank"] = e["track"].map(TRACK_RANK).fillna(-1).astype(np.int64)
        self.en = e

        # attestations
        at = frames.attestations
        res = clean_str(at["result"]).to_numpy()
        self.at = pd.DataFrame({
            "pos": self.pid.get_indexer(at["pupil_id"].to_numpy()),
            "year": school_year_start(at["school_year"].to_numpy()),
            "b": res == "B", "c": res == "C", "none": res == "none",
        })
        self.at = self.at[self.at["pos"] >= 0]

        # characteristics sorted by as_of
        ch = frames.characteristics
        c = pd.DataFrame({"pos": self.pid.get_indexer(ch["pupil_id"].to_numpy()), "as_of": _days(ch["as_of"])})
        for col in OKI_COLUMNS:
            c[col] = pd.to_numeric(pd.Series(ch[col].to_numpy()), errors="coerce").astype(np.float64).to_numpy()
        self.ch = c[c["pos"] >= 0].sort_values(["as_of", "pos"], kind="stable").reset_index(drop=True)

        self.district = frames.schools.drop_duplicates("school_id").set_index("school_id")["district"]

        # leavers (for the school's past VSV rate): leaving year, outcome, last school in that year
        self.leavers = None
        if school_outcomes is None and frames.labels is not None and len(frames.labels):
            self.leavers = school_leavers(frames, frames.labels)

    # ------------------------------------------------------------------------------------------
    def population(self, ref: pd.Timestamp) -> pd.DataFrame:
        """Current secondary enrolment of every pupil enrolled on ``ref`` (one row per pupil)."""
        r = _day(ref)
        y = school_year_of(ref)
        e = self.en
        cur = e[(e["year"] == y) & (e["g"] > 0) & (e["start"] <= r) & (e["end"] >= r)]
        return cur.drop_duplicates("pos", keep="last")

    def features_on(self, ref: pd.Timestamp, positions: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        ref = as_timestamp(ref)
        r = _day(ref)
        y = school_year_of(ref)
        cur = self.population(ref)
        pos_all = cur["pos"].to_numpy()
        n = self.n
        ys = _day(pd.Timestamp(y, 9, 1))
        ly = _day(pd.Timestamp(y - 1, 9, 1))

        # ---- absences: three windows by binary search in the date-sorted arrays
        def window(lo: int, hi: int) -> np.ndarray:
            a, b = np.searchsorted(self.ab_day, [lo, hi], side="left")
            return np.bincount(self.ab_key[a:b], minlength=n * _N_CODES).reshape(n, _N_CODES)

        this = window(ys, r)[pos_all]
        last = window(ly, ys)[pos_all]
        recent = window(r - 28, r)[pos_all]

        # ---- enrolment history known on ref
        e = self.en
        h = e[e["start"] <= r]
        h = h[np.isin(h["pos"].to_numpy(), pos_all)]
        hpos = h["pos"].to_numpy()
        same = np.r_[False, hpos[1:] == hpos[:-1]]
        school = h["school"].to_numpy()
        yr = h["year"].to_numpy()
        sec = h["g"].to_numpy() > 0
        change = same & np.r_[False, school[1:] != school[:-1]] & sec
        mid = change & np.r_[False, yr[1:] == yr[:-1]]
        rank = h["rank"].to_numpy()
        down = same & sec & np.r_[False, (rank[1:] < rank[:-1]) & (rank[1:] >= 0)] & np.r_[False, rank[:-1] >= 0]
        changes = np.bincount(hpos, weights=change, minlength=n)
        mids = np.bincount(hpos, weights=mid, minlength=n)
        mid_now = np.bincount(hpos, weights=mid & (yr == y), minlength=n)
        downs = np.bincount(hpos, weights=down, minlength=n)
        # retentions: highest grade per school year did not go up from one year to the next
        py = h.groupby(["pos", "year"], sort=True)["order"].max().reset_index()
        pp = py["pos"].to_numpy()
        po = py["order"].to_numpy()
        pyr = py["year"].to_numpy()
        ret = np.r_[False, (pp[1:] == pp[:-1]) & (po[1:] <= po[:-1]) & (po[1:] > 0) & (pyr[1:] == pyr[:-1] + 1)]
        retentions = np.bincount(pp, weights=ret, minlength=n)
        # half days the pupil could attend: weekdays since the first start this year, and last year
        this_start = h[h["year"] == y].groupby("pos")["start"].min()
        start_now = np.full(n, ys, np.int64)
        start_now[this_start.index.to_numpy()] = np.maximum(this_start.to_numpy(), ys)
        hd_this = 2 * np.busday_count(start_now[pos_all].astype("datetime64[D]"), np.datetime64(ref.date(), "D"))
        hl = h[h["year"] == y - 1]
        hl_end = np.minimum(np.minimum(hl["end"].to_numpy(), ys), r)
        hl_start = np.maximum(hl["start"].to_numpy(), ly)
        hl_days = 2 * np.busday_count(hl_start.astype("datetime64[D]"), np.maximum(hl_end, hl_start).astype("datetime64[D]"))
        hd_last = np.bincount(hl["pos"].to_numpy(), weights=hl_days, minlength=n)[pos_all]

        # ---- attestations of school years ended before ref
        at = self.at[self.at["year"] < y]
        apos = at["pos"].to_numpy()
        att_b = np.bincount(apos, weights=at["b"].to_numpy(), minlength=n)
        att_c = np.bincount(apos, weights=at["c"].to_numpy(), minlength=n)
        att_none = np.bincount(apos, weights=at["none"].to_numpy(), minlength=n)
        lastyr = at["year"].to_numpy() == y - 1
        last_b = np.bincount(apos, weights=at["b"].to_numpy() & lastyr, minlength=n) > 0
        last_c = np.bincount(apos, weights=at["c"].to_numpy() & lastyr, minlength=n) > 0

        # ---- characteristics: latest as_of <= ref
        ch = self.ch.iloc[: np.searchsorted(self.ch["as_of"].to_numpy(), r, side="right")]
        ch = ch.drop_duplicates("pos", keep="last").set_index("pos").reindex(pos_all)

        g = cur["g"].to_numpy()
        track = cur["track"].to_numpy()
        birth = self.birth[pos_all]
        birth_year = (birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
        b_this = this[:, _C["B"]].astype(np.float64)
        z_this = this[:, _C["Z"]].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            b_share = np.where(hd_this > 0, b_this / np.maximum(hd_this, 1), 0.0)
            z_share = np.where(hd_this > 0, z_this / np.maximum(hd_this, 1), 0.0)
            b_share_last = np.where(hd_last > 0, last[:, _C["B"]] / np.maximum(hd_last, 1), np.nan)
        other = this.sum(axis=1) - b_this - z_this

        X = pd.DataFrame(index=pd.Index(self.pid[pos_all], name="pupil_id"))
        X["b_this_year"] = b_this
        X["b_last_year"] = last[:, _C["B"]].astype(np.float64)
        X["b_last_28_days"] = recent[:, _C["B"]].astype(np.float64)
        X["b_share_this_year"] = b_share
        X["b_trend"] = b_share - b_share_last
        X["b_to_5"] = np.maximum(0.0, 5.0 - b_this)
        X["b_to_30"] = np.maximum(0.0, 30.0 - b_this)
        X["z_this_year"] = z_this
        X["z_last_year"] = last[:, _C["Z"]].astype(np.float64)
        X["z_share_this_year"] = z_share
        X["other_this_year"] = other.astype(np.float64)
        X["delay_years"] = np.clip(y - birth_year - 11 - g, -1, 8).astype(np.float64)
        X["retentions"] = retentions[pos_all]
        X["attest_b"] = att_b[pos_all]
        X["attest_c"] = att_c[pos_all]
        X["attest_none"] = att_none[pos_all]
        X["last_attest_b"] = last_b[pos_all].astype(np.float64)
        X["last_attest_c"] = last_c[pos_all].astype(np.float64)
        X["age"] = (r - birth) / 365.25
        X["school_changes"] = changes[pos_all]
        X["midyear_changes"] = mids[pos_all]
        X["changed_this_year"] = (mid_now[pos_all] > 0).astype(np.float64)
        X["downward_moves"] = downs[pos_all]
        X["grade"] = g.astype(np.float64)
        for t in TRACKS:
            X[f"track_{t.lower()}"] = (track == t).astype(np.float64)
        X["stream_b"] = (cur["stream"].to_numpy() == "B").astype(np.float64)
        X["dual"] = cur["dual"].to_numpy().astype(np.float64)
        for col in OKI_COLUMNS:
            X[col] = ch[col].to_numpy()
        X["oki"] = ch[OKI_COLUMNS].sum(axis=1, min_count=1).to_numpy()
        # school context: mean OKI of the school's population on ref, smoothed past VSV rate
        schools = cur["school"].to_numpy()
        X["school_oki"] = pd.Series(X["oki"].to_numpy()).groupby(schools).transform("mean").to_numpy()
        X["school_vsv_rate"] = self._school_vsv(schools, y, ref)

        meta = pd.DataFrame(index=X.index)
        meta["reference_date"] = ref
        meta["school_id"] = schools
        meta["district"] = clean_str(pd.Series(self.district.reindex(schools).to_numpy())).to_numpy()
        meta["sex"] = self.sex[pos_all]
        hl_ = X["home_language_not_dutch"].to_numpy()
        meta["home_language"] = np.where(np.isnan(hl_), "unknown", np.where(hl_ > 0, "not_dutch", "dutch"))
        oki = X["oki"].to_numpy()
        meta["oki_level"] = np.where(np.isnan(oki), "unknown", np.where(oki >= 2, "2+", np.where(oki >= 1, "1", "0")))
        meta["grade_label"] = cur["grade_label"].to_numpy()
        X = X[FEATURE_NAMES].astype(np.float64)
        if positions is not None:
            keep = np.isin(pos_all, positions)
            X, meta = X[keep], meta[keep]
        return X, meta

    def leavers_on(self, ref: pd.Timestamp) -> pd.DataFrame | None:
        """The leavers (``school_id, lyear, unq``) whose outcome is known on ``ref``."""
        if self.school_outcomes is None:
            return self.leavers
        key = as_timestamp(ref)
        if key not in self._leavers_on:
            self._leavers_on[key] = self.school_outcomes(key)
        return self._leavers_on[key]

    def _school_vsv(self, schools: np.ndarray, y: int, ref: pd.Timestamp, prior_weight: float = 10.0) -> np.ndarray:
        """Past VSV rate of each school: leaving years X with X + 2 <= y (X+1 ended before ref),
        shrunk towards the city rate of those years with ``prior_weight`` pseudo-leavers. The
        leavers are those known on ``ref`` (:meth:`leavers_on`)."""
        out = np.full(len(schools), np.nan)
        leavers = self.leavers_on(ref)
        if leavers is None or not len(leavers):
            return out
        lv = leavers[leavers["lyear"] + 2 <= y]
        if not len(lv):
            return out
        city = float(lv["unq"].mean())
        agg = lv.groupby("school_id")["unq"].agg(["sum", "count"])
        s = agg.reindex(schools)
        rate = (s["sum"].fillna(0).to_numpy() + prior_weight * city) / (s["count"].fillna(0).to_numpy() + prior_weight)
        return rate


def school_leavers(frames: Frames, labels: pd.DataFrame | None) -> pd.DataFrame:
    """Leavers with a known outcome ('unqualified' or 'qualified'), each attributed to the last school
    (by start date) of the pupil's enrolments in the leaving school year in ``frames``. Columns
    ``school_id``, ``lyear`` (first year of the leaving school year), ``unq`` (bool). For a time-true
    rate on a date R pass ``frames.known_on(R)`` and the labels known on R."""
    empty = pd.DataFrame({"school_id": pd.Series(dtype=np.int64), "lyear": pd.Series(dtype=np.int64),
                          "unq": pd.Series(dtype=bool)})
    if labels is None or not len(labels):
        return empty
    outcome = clean_str(labels["outcome"]).to_numpy()
    lv = pd.DataFrame({"pupil_id": labels["pupil_id"].to_numpy(),
                       "lyear": school_year_start(labels["leaving_year"].to_numpy()),
                       "unq": outcome == "unqualified"})
    lv = lv[(lv["lyear"] > 0) & np.isin(outcome, ["unqualified", "qualified"])]
    en = frames.enrolments
    last = pd.DataFrame({"pupil_id": en["pupil_id"].to_numpy(), "school_id": en["school_id"].to_numpy(),
                         "lyear": school_year_start(en["school_year"].to_numpy()),
                         "start": pd.to_datetime(en["start_date"]).to_numpy()})
    last = last.sort_values(["pupil_id", "start"], kind="stable").drop_duplicates(["pupil_id", "lyear"], keep="last")
    lv = lv.merge(last[["pupil_id", "lyear", "school_id"]], on=["pupil_id", "lyear"], how="inner")
    if not len(lv):
        return empty
    return lv[["school_id", "lyear", "unq"]].reset_index(drop=True)


def build_features(frames: Frames | Prepared, reference_date, pupil_ids=None, *, with_meta: bool = False):
    """Features of every pupil enrolled in secondary education on ``reference_date``.

    Returns a DataFrame indexed by ``pupil_id`` with the columns :data:`FEATURE_NAMES` (float64,
    NaN where unknown), or ``(X, meta)`` with ``with_meta=True`` (meta columns
    :data:`META_COLUMNS`: school, district, sex, home language, OKI level, grade - for lists and
    fairness audits, never model inputs). ``pupil_ids`` restricts the rows after computing the
    school context over the whole population. ``frames`` may be a :class:`Prepared` to reuse.
    """
    prep = frames if isinstance(frames, Prepared) else Prepared(frames)
    positions = None
    if pupil_ids is not None:
        positions = prep.pid.get_indexer(np.asarray(list(pupil_ids)))
        positions = positions[positions >= 0]
    X, meta = prep.features_on(as_timestamp(reference_date), positions)
    return (X, meta) if with_meta else X


@dataclasses.dataclass
class TrainingSet:
    """One row per pupil per reference date: features ``X``, label ``y`` (1 = eventually leaves
    without a qualification), ``meta`` (META_COLUMNS plus ``pupil_id`` and ``cohort``)."""

    X: pd.DataFrame
    y: np.ndarray
    meta: pd.DataFrame

    def subset(self, mask) -> TrainingSet:
        mask = np.asarray(mask)
        return TrainingSet(self.X[mask], self.y[mask], self.meta[mask])

    def sample_pupils(self, max_rows: int, random_state: int = 0) -> TrainingSet:
        """At most ``max_rows`` rows, keeping whole pupils (all their reference dates), chosen at
        random but reproducibly. A city of 100,000 pupils gives ~350,000 rows; a sample of about
        120,000 estimates the same model at a third of the cost."""
        if len(self.y) <= max_rows:
            return self
        pupils = self.meta["pupil_id"].to_numpy()
        unique, counts = np.unique(pupils, return_counts=True)
        order = np.random.default_rng(random_state).permutation(len(unique))
        keep = unique[order][np.cumsum(counts[order]) <= max_rows]
        return self.subset(np.isin(pupils, keep))


def entry_cohorts(prep: Prepared) -> pd.Series:
    """Entry cohort of each pupil: the school year in which the pupil entered (or would have entered)
    S1, = first secondary school year - (grade - 1). A grouping key: it uses no later information
    than the pupil's first secondary enrolment."""
    e = prep.en[prep.en["g"] > 0]
    c = (e["year"] - (e["g"] - 1)).groupby(e["pos"]).min()
    return pd.Series(c.to_numpy(), index=prep.pid[c.index.to_numpy()])


def training_set(frames: Frames, reference_dates, *, max_censored_share: float = 0.3) -> TrainingSet:
    """Rows for every pupil in secondary education on each reference date (e.g. 1 December of each
    school year), labelled from ``frames.labels``: y = outcome == 'unqualified'. Pupils whose outcome
    is 'censored' (or unknown) are left out. Entry cohorts in which more than ``max_censored_share``
    of the pupils are censored (their outcome is mostly not yet observable, so the known outcomes
    would be a biased sample of early leavers) are left out as well."""
    if frames.labels is None:
        raise ValueError("training needs frames.labels")
    prep = Prepared(frames)
    labels = frames.labels.drop_duplicates("pupil_id", keep="last").set_index("pupil_id")["outcome"]
    cohorts = entry_cohorts(prep)
    Xs, metas = [], []
    for ref in reference_dates:
        X, meta = prep.features_on(as_timestamp(ref))
        Xs.append(X)
        metas.append(meta)
    X = pd.concat(Xs)
    meta = pd.concat(metas)
    meta["pupil_id"] = X.index.to_numpy()
    meta["cohort"] = cohorts.reindex(X.index).fillna(-1).astype(np.int64).to_numpy()
    outcome = clean_str(pd.Series(labels.reindex(X.index).to_numpy())).to_numpy()
    known = np.isin(outcome, ["unqualified", "qualified"])
    cens = pd.Series(~known).groupby(meta["cohort"].to_numpy()).mean()
    ok_cohorts = cens.index[cens <= max_censored_share].to_numpy()
    keep = known & np.isin(meta["cohort"].to_numpy(), ok_cohorts)
    y = (outcome == "unqualified").astype(np.int64)
    X = X[keep].reset_index(drop=True)
    meta = meta[keep].reset_index(drop=True)
    return TrainingSet(X, y[keep], meta)


def december_firsts(first_year: int, last_year: int) -> list[pd.Timestamp]:
    """1 December of each school year from first_year-(first_year+1) to last_year-(last_year+1)."""
    return [pd.Timestamp(y, 12, 1) for y in range(first_year, last_year + 1)]
