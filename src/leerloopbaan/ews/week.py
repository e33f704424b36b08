"""Reads for the home page's "this week": pupils whose latest score rose since their previous one.

The latest score is the one the risk list shows (``ews.selectors.risk_list``): the scored run's
(``portrait.scored_run``) scores on its latest reference date in the user's schools. The previous
score is the pupil's latest earlier score of a run that may score (the risk list's "previous" column).
Only scores that may show (``RiskScore.objects.that_may_show()``) are read.

Two changes are counted:
- ``new_high``: in the high band now, and not before (no previous score, or a lower band);
- ``up``: a previous score exists and the band now is higher than it was.

Counts for school staff and CLB workers are scoped (``visible_to``) and not a read of a pupil; the
city's counts (``city_counts``) are raw and must go through ``kernel.disclosure`` before they are
shown. ``changed_rows`` lists the pupils, scoped and audited as one read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils.translation import get_language

from leerloopbaan.accounts.roles import POLICIES, Role
from leerloopbaan.ews.models import RiskScore
from leerloopbaan.ews.school import portrait
from leerloopbaan.ews.selectors import may_see_scores, reasons_in
from leerloopbaan.kernel.access import audited_read
from leerloopbaan.registry.selectors import display_name, names_visible

Band = RiskScore.Band
CHANGES = ("new_high", "up")
_RANKS = {Band.LOW: 0, Band.MEDIUM: 1, Band.HIGH: 2}


def _rank(field: str) -> Case:
    return Case(
        *(When(**{field: band}, then=Value(rank)) for band, rank in _RANKS.items()),
        default=Value(None),
        output_field=IntegerField(),
    )


def _latest(base: QuerySet[RiskScore]) -> QuerySet[RiskScore] | None:
    """``base`` (scores that may show) cut to the scored run's latest reference date, each score with
    its pupil's previous band and both bands as ranks (a fixed number of queries, however many pupils);
    None when there is no such score."""
    run = portrait.scored_run()
    if run is None:
        return None
    base = base.filter(model_run=run)
    day = base.aggregate(d=Max("reference_date"))["d"]
    if day is None:
        return None
    previous = (
        RiskScore.objects.that_may_show()
        .filter(pupil=OuterRef("pupil"), reference_date__lt=OuterRef("reference_date"))
        .order_by("-reference_date", "-model_run__created_at", "-pk")
    )
    return (
        base.filter(reference_date=day)
        .annotate(previous_band=Subquery(previous.values("band")[:1]))
        .annotate(rank=_rank("band"), previous_rank=_rank("previous_band"))
    )


def _change_q(change: str) -> Q:
    if change == "new_high":
        return Q(band=Band.HIGH) & (Q(previous_band__isnull=True) | ~Q(previous_band=Band.HIGH))
    if change == "up":
        return Q(previous_rank__isnull=False, rank__gt=F("previous_rank"))
    raise ValueError(change)


def _counts(qs: QuerySet[RiskScore] | None) -> dict[str, int]:
    if qs is None:
        return {"high": 0, **dict.fromkeys(CHANGES, 0)}
    out = qs.aggregate(
        high=Count("pk", filter=Q(band=Band.HIGH)),
        **{change: Count("pk", filter=_change_q(change)) for change in CHANGES},
    )
    return {k: int(v or 0) for k, v in out.items()}


def change_counts(*, user) -> dict[str, int] | None:
    """For school staff and CLB workers: how many pupils of their schools are new in the high band
    (``new_high``), moved up a band (``up``) and are in the high band (``high``) on the latest score;
    None for roles that do not see scores. Counts only: not a read of a pupil."""
    if not may_see_scores(user):
        return None
    return _counts(_latest(RiskScore.objects.visible_to(user).that_may_show()))


def city_counts(*, user) -> dict[str, int] | None:
    """The same counts for the whole city, for city roles: raw, to be published through
    ``kernel.disclosure`` by the page that shows them. None for other roles."""
    if not (
        user
        and user.is_authenticated
        and user.is_active
        and (POLICIES[user.role].city_wide or user.role == Role.ADMIN)
    ):
        return None
    return _counts(_latest(RiskScore.objects.that_may_show()))


@dataclass
class ChangeRow:
    score: RiskScore
    label: str
    previous_band: str | None
    reasons: list[str]

    @property
    def pupil_key(self) -> str:
        return self.score.pupil.pupil_key

    @property
    def previous_band_label(self) -> str:
        return str(Band(self.previous_band).label) if self.previous_band else ""


def changed_rows(*, user, change: str, limit: int = 500) -> list[ChangeRow]:
    """The pupils counted in ``change_counts[change]`` (highest risk first), scoped and audited as one read."""
    if not may_see_scores(user) or change not in CHANGES:
        raise Http404("no such list")
    latest = _latest(RiskScore.objects.visible_to(user).that_may_show())
    qs = RiskScore.objects.none() if latest is None else latest.filter(_change_q(change))
    related = ["pupil", "school"] + (["pupil__name"] if names_visible(user) else [])
    scores = list(qs.select_related(*related).order_by("-risk", "pupil__pupil_key")[:limit])
    lang = get_language()
    rows = [
        ChangeRow(
            score=s,
            label=display_name(user, s.pupil),
            previous_band=s.previous_band,
            reasons=reasons_in(s.reasons, lang),
        )
        for s in scores
    ]
    audited_read(
        user=user,
        subject_type="pupil",
        subjects=[s.pupil.pupil_key for s in scores],
        purpose="risk changes",
        detail={"change": change},
    )
    return rows
