"""The arithmetic of monitoring, on plain frames (no Django, no database): the counts behind "was the
list right", the stability of consecutive lists and the Population Stability Index of a feature.

Everything returns raw counts or statistics; ``selectors`` puts them through ``kernel.disclosure``
before anything is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOP_PERCENT = 10  # "the top 10 % of the school's list" (the model card's top share)
N_BINS = 10  # deciles of the training distribution
PSI_WATCH, PSI_SHIFTED = 0.10, 0.25  # the usual PSI thresholds: below 0.1 stable, from 0.25 shifted
EPSILON = 1e-4  # an empty bin counts as this share, so that the logarithm stays finite

# the cells of one list (one school, or the city) for one reference date: a two-by-two table of
# (on the list / not) x (left without a qualification / with one) for the pupils whose outcome is
# known, once for the high band and once for the top 10 %, and the pupils whose outcome is not known
LIST_CELLS = (
    "scored",
    "pending",
    "known",
    "unq",
    "qual",
    "high",
    "low",
    "high_unq",
    "high_qual",
    "low_unq",
    "low_qual",
    "top",
    "rest",
    "top_unq",
    "top_qual",
    "rest_unq",
    "rest_qual",
)
# the relations between them (total, parts): every one a reader of the page can work out
LIST_RELATIONS = (
    ("scored", ("known", "pending")),
    ("known", ("unq", "qual")),
    ("known", ("high", "low")),
    ("high", ("high_unq", "high_qual")),
    ("low", ("low_unq", "low_qual")),
    ("unq", ("high_unq", "low_unq")),
    ("qual", ("high_qual", "low_qual")),
    ("known", ("top", "rest")),
    ("top", ("top_unq", "top_qual")),
    ("rest", ("rest_unq", "rest_qual")),
    ("unq", ("top_unq", "rest_unq")),
    ("qual", ("top_qual", "rest_qual")),
)
# consecutive lists: pupils on both lists (by the school of the first), of whom in the high band on
# the first, of whom still in the high band on the second
STABILITY_CELLS = ("both", "high", "not_high", "still", "dropped")
STABILITY_RELATIONS = (
    ("both", ("high", "not_high")),
    ("high", ("still", "dropped")),
)


# --- was the list right -------------------------------------------------------------------------


def top_size(n: int, percent: int = TOP_PERCENT) -> int:
    """How many pupils are the top ``percent`` % of a list of ``n``: rounded up, in integers."""
    return (n * percent + 99) // 100


def top_of_lists(scores: pd.DataFrame, percent: int = TOP_PERCENT) -> np.ndarray:
    """True for the pupils in the top ``percent`` % of their school's list: the ``top_size(n)``
    highest risks of each school (equal risks in pupil order, so the top has exactly that many)."""
    if not len(scores):
        return np.zeros(0, dtype=bool)
    order = scores.sort_values(["school_id", "risk", "pupil_id"], ascending=[True, False, True])
    rank = order.groupby("school_id", sort=False).cumcount().to_numpy()
    size = order.groupby("school_id", sort=False)["pupil_id"].transform("size").to_numpy()
    top = pd.Series(rank < (size * percent + 99) // 100, index=order.index)
    return top.reindex(scores.index).to_numpy()


def list_counts(scores: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """Per school (index ``school_id``) the cells ``LIST_CELLS`` of one reference date's lists.

    ``scores``: ``pupil_id, school_id, risk, band`` (one row per pupil scored on the date by one
    model run). ``outcome``: per pupil id ``"unqualified"`` or ``"qualified"`` for the pupils whose
    outcome is known for these lists; everyone else is ``pending`` (not yet known)."""
    pupils = scores["pupil_id"].to_numpy()
    out = pd.Series(pupils).map(outcome).to_numpy()
    unq = out == "unqualified"
    qual = out == "qualified"
    known = unq | qual
    high = scores["band"].to_numpy() == "high"
    top = top_of_lists(scores)
    cells = {
        "scored": np.ones(len(pupils), dtype=bool),
        "pending": ~known,
        "known": known,
        "unq": unq,
        "qual": qual,
        "high": high & known,
        "low": ~high & known,
        "high_unq": high & unq,
        "high_qual": high & qual,
        "low_unq": ~high & unq,
        "low_qual": ~high & qual,
        "top": top & known,
        "rest": ~top & known,
        "top_unq": top & unq,
        "top_qual": top & qual,
        "rest_unq": ~top & unq,
        "rest_qual": ~top & qual,
    }
    frame = pd.DataFrame({k: v.astype(np.int64) for k, v in cells.items()})
    frame["school_id"] = scores["school_id"].to_numpy()
    return frame.groupby("school_id").sum()[list(LIST_CELLS)]


# --- stability of consecutive lists ---------------------------------------------------------------


def spearman(a, b) -> float | None:
    """Spearman's rank correlation (``scipy.stats.spearmanr``, ties get their average rank); None
    with fewer than three pairs or when either side does not vary."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return None
    value = spearmanr(a, b).statistic
    return None if np.isnan(value) else float(value)


def stability_counts(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, dict, float | None]:
    """Two consecutive lists (``pupil_id, school_id, risk, band`` each). Returns per school of the
    first list (index ``school_id``) the cells ``STABILITY_CELLS`` of the pupils on both lists (still
    enrolled, in any school), the rank correlation of their risks per school, and over the city."""
    both = before.merge(after, on="pupil_id", suffixes=("_0", "_1"))
    high0 = both["band_0"].to_numpy() == "high"
    high1 = both["band_1"].to_numpy() == "high"
    frame = pd.DataFrame(
        {
            "both": np.ones(len(both), dtype=np.int64),
            "high": high0.astype(np.int64),
            "not_high": (~high0).astype(np.int64),
            "still": (high0 & high1).astype(np.int64),
            "dropped": (high0 & ~high1).astype(np.int64),
        }
    )
    frame["school_id"] = both["school_id_0"].to_numpy()
    counts = frame.groupby("school_id").sum()[list(STABILITY_CELLS)]
    per_school = {int(s): spearman(g["risk_0"], g["risk_1"]) for s, g in both.groupby("school_id_0")}
    return counts, per_school, spearman(both["risk_0"], both["risk_1"])


# --- Population Stability Index -------------------------------------------------------------------


def bin_edges(values, n_bins: int = N_BINS) -> list[float]:
    """The inner edges of the bins of a feature: its deciles in the training rows (values that occur,
    not interpolated between them), each once: a flag has one or two edges, a count with few values a few."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return []
    return sorted({float(q) for q in np.quantile(x, np.arange(1, n_bins) / n_bins, method="lower")})


def bin_counts(values, edges: list[float]) -> np.ndarray:
    """How many values fall in each bin: ``(-inf, e0], (e0, e1], ..., (ek, inf)``, then unknown (NaN)."""
    x = np.asarray(values, dtype=float)
    missing = np.isnan(x)
    index = np.searchsorted(np.asarray(edges, dtype=float), x[~missing], side="left")
    return np.append(np.bincount(index, minlength=len(edges) + 1), int(missing.sum())).astype(np.int64)


def shares(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return counts / total if total else counts


def psi(expected, actual, epsilon: float = EPSILON) -> float:
    """Population Stability Index: sum over bins of (a - e) * ln(a / e), with ``e`` the share of the
    training rows and ``a`` the share of the population in the bin (counts or shares; a share of 0
    counts as ``epsilon``)."""
    e = np.maximum(shares(expected), epsilon)
    a = np.maximum(shares(actual), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_level(value: float | None) -> str:
    """``stable`` below 0.1, ``watch`` from 0.1, ``shifted`` from 0.25 (None: ``unknown``)."""
    if value is None:
        return "unknown"
    return "shifted" if value >= PSI_SHIFTED else "watch" if value >= PSI_WATCH else "stable"


def baseline_bins(X: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """Per feature (column of the training rows ``X``): bin edges and the share of rows per bin."""
    out = {}
    for name in X.columns:
        values = X[name].to_numpy(dtype=float)
        edges = bin_edges(values)
        out[name] = {
            "edges": edges,
            "shares": [round(float(s), 6) for s in shares(bin_counts(values, edges))],
        }
    return out


def drift(
    bins: dict[str, dict[str, list[float]]], X: pd.DataFrame
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """PSI per feature of the population ``X`` against the training ``bins`` (features missing from
    either are left out), and the population's share per bin."""
    psis, population = {}, {}
    for name, b in bins.items():
        if name not in X.columns:
            continue
        actual = shares(bin_counts(X[name].to_numpy(dtype=float), b["edges"]))
        psis[name] = round(psi(b["shares"], actual), 6)
        population[name] = [round(float(s), 6) for s in actual]
    return psis, population
