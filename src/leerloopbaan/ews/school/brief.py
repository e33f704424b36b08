"""The school portrait as a one-page brief: the plain sentences under its charts.

Every number here is a published figure (``kernel.disclosure``): the selector passes only values
that are shown, and a sentence whose figures are suppressed is not written (the page says why).

- ``spread``: the range of similar schools (lowest, quartiles, highest) of one figure, only when
  at least ``MIN_PEERS`` similar schools have that figure shown.
- ``position_sentence``: where the school lies on that range (lower than most, the middle half,
  higher than most).
- ``value_added_sentence``: the early school leavers against those expected with this intake
  (the city's VSV rate per OKI level applied to the school's leavers, ``ews.school.portrait``),
  and whether the difference is larger than chance gives: the expected number is a sum of
  probabilities, so the number of leavers without a qualification varies around it with a
  standard deviation of about sqrt(E (1 - E / N)) (binomial, N leavers); a difference within two
  such deviations is no difference the brief claims: it says "about as many as expected".
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leerloopbaan.kernel.charts import fmt

MIN_PEERS = 3


def oki_line() -> str:
    """OKI explained in one line."""
    return _(
        "OKI: onderwijskansenindicator (educational opportunity indicator) — characteristics of the pupil that go with "
        "fewer chances: home language, mother's education, school allowance, neighbourhood."
    )


@dataclass(frozen=True)
class Spread:
    low: float
    q1: float
    q3: float
    high: float
    n: int


def spread(values: list[float]) -> Spread | None:
    """Lowest, first and third quartile (inclusive method) and highest of ``values``; None under
    ``MIN_PEERS`` values (a range of one or two schools tells little and points at them)."""
    values = sorted(v for v in values if v is not None)
    if len(values) < MIN_PEERS:
        return None
    q1, _median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(values[0], q1, q3, values[-1], len(values))


def position_sentence(label: str, value: float | None, s: Spread | None) -> str | None:
    """``label: 12 %, higher than most similar schools (middle half 6 % to 9 %).`` or None."""
    if value is None or s is None or s.low == s.high:  # no spread: nothing to say where the school lies
        return None
    words = {
        "label": label,
        "value": fmt(value, "percent"),
        "lo": fmt(s.q1, "percent"),
        "hi": fmt(s.q3, "percent"),
    }
    if value < s.q1:
        return (
            _("%(label)s: %(value)s, lower than most similar schools (middle half %(lo)s to %(hi)s).") % words
        )
    if value > s.q3:
        return (
            _("%(label)s: %(value)s, higher than most similar schools (middle half %(lo)s to %(hi)s).")
            % words
        )
    return _("%(label)s: %(value)s, in the middle half of similar schools (%(lo)s to %(hi)s).") % words


def within_chance(expected: float, leavers: int, actual: int) -> bool:
    """True when ``actual`` lies within two standard deviations of ``expected`` (binomial, ``leavers``)."""
    if leavers <= 0:
        return True
    sd = math.sqrt(max(expected * (1 - expected / leavers), 0.0))
    return abs(actual - expected) <= 2 * sd


def value_added_sentence(
    year: str, *, leavers: int | None, actual: int | None, expected: float | None
) -> str | None:
    """The sentence of the latest school year's early school leavers against the expected number,
    or None when a figure is not shown (suppressed or absent)."""
    if leavers is None or actual is None or expected is None:
        return None
    difference = round(actual - expected)
    words = {"year": year, "actual": fmt(actual, "count"), "expected": fmt(expected, digits=1)}
    if difference == 0 or within_chance(expected, leavers, actual):  # no claim that chance alone can make
        return (
            _(
                "%(year)s: about as many early school leavers as expected with this intake (%(actual)s, %(expected)s expected)."
            )
            % words
        )
    n = abs(difference)
    if difference < 0:
        text = ngettext(
            "%(n)s early school leaver fewer than expected with this intake",
            "%(n)s early school leavers fewer than expected with this intake",
            n,
        ) % {"n": fmt(n, "count")}
    else:
        text = ngettext(
            "%(n)s early school leaver more than expected with this intake",
            "%(n)s early school leavers more than expected with this intake",
            n,
        ) % {"n": fmt(n, "count")}
    return text + " " + _("(%(year)s: %(actual)s instead of the %(expected)s expected).") % words
