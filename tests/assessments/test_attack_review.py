"""Attack review of issue 15's growth report: each test reproduces a defect found by trying to break it."""

from __future__ import annotations

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments import selectors
from leerloopbaan.assessments.engine import growth as g


def _data(dutch_p: float) -> dict:
    def diff(p):
        # an estimate of 0.3 with the standard error that gives the two-sided p-value p on 39 df
        from scipy import stats

        return g.t_interval(0.3, 0.3 / float(stats.t.isf(p / 2, 39)), 39.0)

    maths = g.GrowthComparison(
        "maths", g.POINTS, 40, 40, 0, 0.5, 0.2, diff(0.02)
    )  # one instrument: no pooled sum
    dutch = g.GrowthComparison("dutch", g.SD, 8, 8, 0, 0.5, 0.2, diff(dutch_p))
    reading = g.GrowthComparison("reading", g.SD, 40, 40, 0, 0.5, 0.2, diff(0.03))
    pooled = g.GrowthComparison(g.ALL_DOMAINS, g.SD, 48, 48, 0, 0.5, 0.2, diff(0.01))
    modes = [
        g.ModeComparison("maths", g.POINTS, 20, 20, 0.4, 0.4, None),
        g.ModeComparison("dutch", g.SD, 4, 4, None, None, None),
        g.ModeComparison("reading", g.SD, 20, 20, 0.4, 0.4, None),
        g.ModeComparison(g.ALL_DOMAINS, g.SD, 24, 24, 0.4, 0.4, None),
    ]
    return {"comparisons": [maths, dutch, reading, pooled], "modes": modes, "results": 500, "pairs": 96}


def test_a_hidden_growth_estimate_still_counts_in_the_holm_family(db, make_user, monkeypatch):
    """Dutch (8 tutored: 4 online, 4 face to face) has an estimate that disclosure control hides (and so does
    a row that would give it away). They were tested all the same, so the shown intervals are corrected for
    the four comparisons, not the shown ones only; and, as in the support-effect report, a hidden p-value
    counts as 1, so the shown corrected p-values do not depend on it (they would tell it apart)."""
    monkeypatch.setattr(selectors, "cached", lambda _name, compute, *a: compute())
    user = make_user(Role.CITY_ANALYST)
    got = {}
    for p in (0.0001, 0.9):
        monkeypatch.setattr(selectors, "_compute_growth", lambda _k, p=p: _data(p))
        report = selectors.growth_report(user=user)
        rows = {r["c"].domain: r["difference"] for r in report["rows"]}
        assert rows["dutch"] is None and rows["maths"] is not None
        assert report["family"] == 4
        got[p] = {d: round(i.p_adjusted, 6) for d, i in rows.items() if i is not None}
    assert got[0.0001] == got[0.9]
    assert (
        got[0.9]["maths"] >= 0.02 * 2
    )  # at least two of four comparisons rank at or above it (the hidden ones at 1)
