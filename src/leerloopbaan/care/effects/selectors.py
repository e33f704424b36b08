"""Effect monitoring from the database: per support offer and school year, the predictors of the
pupils who received it before and after, against matched pupils who did not (``care.engine.effects``),
and the schools with high early school leaving that asked for no support.

Who received an offer: the pupils of requests assigned to it that at least started (status
in_progress, or closed with an outcome other than withdrawn). Start: the first move of the request to
in_progress (else to assigned, else its creation). Windows: the 90 days before the start and the 90
days after it (cut at today). Measures per window (``_Facts.measures``):

* B and Z absence as a share of the half-days enrolled (``engine.absence_share``: two half-days per
  weekday inside the pupil's enrolments), so a pupil who leaves or arrives counts over the days they
  were enrolled; before the start also the trend of the B share (second half of the 90 days minus the
  first half);
* the latest risk score on or before the start and the first one after the post window;
* a C-attest in the school year of the start (the following June);
* **left school** (``_Facts.left_school``): between the start and the end of that school year
  (31 August, or today) an enrolment of the pupil ended as *left*, *other* or *school change*, no new
  enrolment started after it by 1 October of the next school year (or today), and the pupil holds no
  qualification of the VSV list (``registry.measures``) from that school year or before. A last
  enrolment that ends as *moved out* or *deceased* makes the outcome unknown (left out of that
  outcome); everyone else, leavers included, stays in.

Candidates: pupils with a risk score within 45 days of the treated pupil's start who never received
the offer; matched on grade, OKI level (0, 1, 2+), risk score (caliper 0.05) and the level and trend
of their B share over the same 90 days before the treated pupil's start (``engine.match``).

Only aggregates leave this module, and only through ``publish_effects``: one ``kernel.disclosure``
release per page or export declares, per offer, the treated, matched and unmatched pupils (treated =
matched + unmatched) and the candidates, per outcome the pairs with the outcome known (matched =
pairs + pairs without it), for the share outcomes (C-attest, left school) the pupils with and without
it on each side (numerators, suppressed when small), every estimate and p-value as a statistic over
those counts, and the balance table as statistics over the treated, matched and candidate counts.
The Holm correction is applied to the published p-values (``_holm_rows``): an outcome whose p-value is
not shown counts as p = 1, so a shown corrected p-value never depends on a hidden one. Pages, the PDF
and the yearly command render only the ``Published`` figures.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.care.engine import effects as engine
from leerloopbaan.care.models import RequestEvent, SupportOffer, SupportRequest
from leerloopbaan.ews.models import RiskScore
from leerloopbaan.kernel import clock, formatting
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.disclosure import SHOWN, Figure, Published, Release
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_first, school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, PupilCharacteristics, School
from leerloopbaan.registry.outflow import report as outflow

WINDOW_DAYS = 90
Status = SupportRequest.Status
Outcome = SupportRequest.Outcome
VSV = measures.VSV_DEFINITIONS[measures.CURRENT_VSV]
LEAVING_REASONS = frozenset({"left", "other", "school_change"})  # as the handovers' "disappeared" pupils
RETURN_BY = datetime.timedelta(days=31)  # a new enrolment by 1 October after the school year: not a leaver

OUTCOME_LABELS = {
    "b_rate": _("Problematic absence (B, share of the half-days enrolled)"),
    "z_rate": _("Illness absence (Z, share of the half-days enrolled)"),
    "risk": _("Risk score"),
    "c_attest": _("Share with a C-attest in June"),
    "left_school": _("Share who left school without a qualification"),
}
OUTCOME_SHORT = {
    "b_rate": _("B absence (share)"),
    "z_rate": _("Z absence (share)"),
    "risk": _("Risk score"),
    "c_attest": _("C-attest (share)"),
    "left_school": _("Left school (share)"),
}
# how an outcome's values are written: a share of half-days (one decimal), a number, a share of pupils
OUTCOME_KIND = {
    "b_rate": "rate",
    "z_rate": "rate",
    "risk": "number",
    "c_attest": "share",
    "left_school": "share",
}
BALANCE_LABELS = {
    "risk": _("Risk score at the start"),
    "b_level": _("Problematic absence in the 90 days before the start"),
    "b_trend": _("Change in problematic absence over those 90 days"),
    "grade": _("Grade"),
    "oki": _("OKI level (0, 1, 2+)"),
}
VERDICTS = {
    "lower": _("lower than the comparison group"),
    "higher": _("higher than the comparison group"),
    "corrected": _("not significant after correction for testing %(n)s outcomes at once"),
    "unclear": _("no clear difference"),
}


def received_filter() -> Q:
    return Q(status=Status.IN_PROGRESS) | (
        Q(status=Status.CLOSED) & ~Q(outcome=Outcome.WITHDRAWN) & ~Q(outcome="")
    )


@dataclass(frozen=True)
class OfferEffect:
    """The raw result of one offer in one school year: never rendered as such (see ``publish_effects``)."""

    offer_id: int
    offer_title: str
    provider: str
    school_year: str
    treated: int
    matched: int
    unmatched: int
    estimates: dict[str, engine.Estimate]  # empty when no pupil received the offer
    window_days: int = WINDOW_DAYS
    caliper: float = engine.CALIPER
    candidates: int = 0  # pupils who could serve as comparison
    balance: list[engine.Balance] = field(default_factory=list)


ESTIMATE_FIELDS = ("treated_pre", "treated_post", "control_pre", "control_post", "effect", "low", "high")


def _key(effect: OfferEffect, *parts) -> tuple:
    return ("care effects", effect.offer_id, effect.school_year, *parts)


def _declare(release: Release, e: OfferEffect) -> None:
    """The figures of one offer: its counts, the relations a reader can see or infer, its estimates,
    their p-values and its balance table."""
    matched = release.count(_key(e, "matched"), e.matched)
    unmatched = release.count(_key(e, "unmatched"), e.unmatched)
    treated = release.total(_key(e, "treated"), [matched, unmatched])
    candidates = release.count(_key(e, "candidates"), e.candidates)
    for name, est in e.estimates.items():
        pairs = release.count(_key(e, name, "pairs"), est.n)
        # matched pairs without this outcome: not printed, but matched - pairs
        release.count(_key(e, name, "pairs without"), e.matched - est.n, displayed=False)
        release.relate(matched, [pairs, _key(e, name, "pairs without")])
        over = [treated, matched, pairs]
        if name in engine.LEVEL_OUTCOMES:
            # a share of pairs: the pupils with (and without) the outcome on each side follow from it
            for side, share in (("offer", est.treated_post), ("comparison", est.control_post)):
                yes = round((share or 0.0) * est.n)
                release.count(_key(e, name, side, "yes"), yes, displayed=False)
                release.count(_key(e, name, side, "no"), est.n - yes, displayed=False)
                release.relate(pairs, [_key(e, name, side, "yes"), _key(e, name, side, "no")])
                over += [_key(e, name, side, "yes"), _key(e, name, side, "no")]
        for f in (*ESTIMATE_FIELDS, "p"):
            release.statistic(_key(e, name, f), getattr(est, f), over=over)
    for b in e.balance:
        release.statistic(
            _key(e, "balance", b.variable, "before"), b.smd_before, over=[treated, matched, candidates]
        )
        release.statistic(_key(e, "balance", b.variable, "after"), b.smd_after, over=[treated, matched])


@dataclass(frozen=True)
class PublishedEffect:
    """One offer as a page, the PDF or the yearly command shows it: only published figures."""

    offer_id: int
    offer_title: str
    provider: str
    school_year: str
    treated: Figure
    matched: Figure
    unmatched: Figure
    rows: list[dict]
    candidates: Figure = Figure(SHOWN, 0)
    balance: list[dict] = field(default_factory=list)

    @property
    def estimated(self) -> bool:
        """At least one outcome has a shown estimate."""
        return any(r["shown"] for r in self.rows)

    @property
    def balance_shown(self) -> bool:
        return any(b["shown"] for b in self.balance)

    @property
    def any_hidden(self) -> bool:
        """Some figure is hidden (×) as a complement of a small one."""
        return any(f.hidden for f in (self.treated, self.matched, self.unmatched, self.candidates)) or any(
            r["n"] == "×" for r in self.rows
        )

    @property
    def few_treated(self) -> bool:
        return self.treated.small or self.treated.value == 0

    @property
    def outcomes_tested(self) -> int:
        return len(self.rows)

    def row(self, outcome: str) -> dict:
        return next(r for r in self.rows if r["outcome"] == outcome)


def _rows(pub: Published, e: OfferEffect) -> list[dict]:
    """One row per outcome, formatted for a page or a PDF, from the published figures only. The Holm
    correction runs over the published p-values of every outcome: one not shown counts as p = 1
    (``engine.holm``), so a shown corrected p-value says nothing about a hidden one and is never
    smaller than the correction over the true p-values would give."""
    out = []
    for name, label in OUTCOME_LABELS.items():
        kind = OUTCOME_KIND[name]
        row = {
            "outcome": name,
            "label": label,
            "short": OUTCOME_SHORT[name],
            "n": "–",
            "shown": False,
            "reason": "",
            **dict.fromkeys(ESTIMATE_FIELDS, ""),
            "interval": "",
            "verdict": "",
            "p": "",
            "p_holm": "",
            "values": dict.fromkeys(("effect", "low", "high", "p", "p_holm")),
        }
        if name in e.estimates:
            figures = {f: pub[_key(e, name, f)] for f in (*ESTIMATE_FIELDS, "p")}
            effect = figures["effect"]
            row["n"] = str(pub[_key(e, name, "pairs")])
            row["shown"] = effect.shown and effect.value is not None
            if row["shown"]:
                values = {f: figures[f].value for f in (*ESTIMATE_FIELDS, "p")}
                row["values"].update({f: values[f] for f in ("effect", "low", "high", "p")})
                row.update(
                    {f: _fmt(values[f], kind, sign=f in ("effect", "low", "high")) for f in ESTIMATE_FIELDS}
                )
                if values["low"] is not None:
                    row["interval"] = f"{row['low']} … {row['high']}"
            elif effect.hidden:
                row["reason"] = _("not shown, so that a small group cannot be worked out")
            elif pub[_key(e, name, "pairs")].shown and e.estimates[name].n > 0:
                row["reason"] = _("too few pupils with or without this outcome for an estimate")
            else:
                row["reason"] = _("too few matched pairs for an estimate")
        out.append(row)
    adjusted = engine.holm([r["values"]["p"] for r in out])
    for row, p_holm in zip(out, adjusted, strict=True):
        if not row["shown"]:
            continue
        row["values"]["p_holm"] = p_holm
        row["p"], row["p_holm"] = _fmt_p(row["values"]["p"]), _fmt_p(p_holm)
        verdict = _verdict(row["values"]["effect"], row["values"]["p"], p_holm)
        row["verdict"] = VERDICTS[verdict] % {"n": len(out)} if verdict == "corrected" else VERDICTS[verdict]
    return out


def _balance_rows(pub: Published, e: OfferEffect) -> list[dict]:
    out = []
    for b in e.balance:
        before, after = (
            pub[_key(e, "balance", b.variable, "before")],
            pub[_key(e, "balance", b.variable, "after")],
        )
        shown = after.shown and after.value is not None
        out.append(
            {
                "variable": b.variable,
                "label": BALANCE_LABELS[b.variable],
                "shown": shown,
                "before": _fmt_smd(before),
                "after": _fmt_smd(after),
                "balanced": shown and abs(after.value) < engine.BALANCED,
                "values": {"before": before.value, "after": after.value},
            }
        )
    return out


def publish_effects(effects: list[OfferEffect], name: str) -> list[PublishedEffect]:
    """The effects of a page or an export through one disclosure release (one per page or export)."""
    release = Release(name)
    for e in effects:
        _declare(release, e)
    pub = release.publish()
    return [
        PublishedEffect(
            e.offer_id,
            e.offer_title,
            e.provider,
            e.school_year,
            pub[_key(e, "treated")],
            pub[_key(e, "matched")],
            pub[_key(e, "unmatched")],
            _rows(pub, e),
            candidates=pub[_key(e, "candidates")],
            balance=_balance_rows(pub, e),
        )
        for e in effects
    ]


def _fmt(value, kind: str = "number", sign: bool = False) -> str:
    """An outcome value: ``rate`` a share of half-days (one decimal), ``share`` a share of pupils
    (whole percentages), ``number`` two decimals; a difference (``sign``) in percentage points."""
    if value is None:
        return "–"
    if kind in ("rate", "share"):
        digits = 1 if kind == "rate" else 0
        return formatting.points(value, digits) if sign else formatting.share(value, digits)
    return formatting.number(value, 2, signed=sign)


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "–"
    return f"< {formatting.number(0.001, 3)}" if p < 0.001 else formatting.number(p, 3)


def _fmt_smd(figure: Figure) -> str:
    if not figure.shown:
        return str(figure) or "–"
    return "–" if figure.value is None else formatting.number(figure.value, 2, signed=True)


def _verdict(effect: float | None, p: float | None, p_holm: float | None) -> str:
    """``lower``/``higher``: significant after the Holm correction; ``corrected``: significant on its
    own (p < 0.05) but not after the correction; else ``unclear``."""
    if effect is None or p is None or p_holm is None:
        return "unclear"
    if p_holm < engine.ALPHA:
        return "lower" if effect < 0 else "higher"
    return "corrected" if p < engine.ALPHA else "unclear"


# --- building the inputs ---------------------------------------------------------------------


def _start_times(requests: list[SupportRequest]) -> dict[int, datetime.date]:
    events = defaultdict(dict)
    for rid, to_status, at in (
        RequestEvent.objects.filter(request__in=requests, to_status__in=[Status.IN_PROGRESS, Status.ASSIGNED])
        .order_by("at", "pk")
        .values_list("request_id", "to_status", "at")
    ):
        events[rid].setdefault(to_status, at)
    out = {}
    for r in requests:
        at = events[r.pk].get(Status.IN_PROGRESS) or events[r.pk].get(Status.ASSIGNED) or r.created_at
        out[r.pk] = clock.date_of(at) if timezone.is_aware(at) else at.date()
    return out


def treated_starts(offer: SupportOffer, school_year: str) -> dict[int, datetime.date]:
    """Pupil id -> the first start of the offer for that pupil, for starts in the school year."""
    first, last = school_year_bounds(school_year)
    requests = list(SupportRequest.objects.filter(received_filter(), offer=offer, pupil__isnull=False))
    starts = _start_times(requests)
    out: dict[int, datetime.date] = {}
    for r in requests:
        s = starts[r.pk]
        if first <= s <= last and (r.pupil_id not in out or s < out[r.pupil_id]):
            out[r.pupil_id] = s
    return out


@dataclass(frozen=True)
class _Enrolment:
    start: datetime.date
    end: datetime.date | None
    grade: str
    reason: str


class _Facts:
    """Absences, risk scores, characteristics, enrolments and attestations of a set of pupils."""

    def __init__(self, pupil_ids, since: datetime.date, until: datetime.date):
        ids = list(pupil_ids)
        self._baselines: dict[tuple[int, datetime.date], tuple[float | None, float | None]] = {}
        self.absences: dict[str, dict[int, list[datetime.date]]] = {
            "B": defaultdict(list),
            "Z": defaultdict(list),
        }
        for pid, day, code in (
            Absence.objects.filter(pupil_id__in=ids, date__gte=since, date__lte=until, code__in=["B", "Z"])
            .values_list("pupil_id", "date", "code")
            .iterator(chunk_size=20_000)
        ):
            self.absences[code][pid].append(day)
        self.scores = defaultdict(list)
        for pid, day, risk, grade in (
            RiskScore.objects.that_may_show().filter(pupil_id__in=ids)
            .order_by("reference_date", "-model_run__created_at", "pk")
            .values_list("pupil_id", "reference_date", "risk", "grade")
        ):
            if self.scores[pid] and self.scores[pid][-1][0] == day:
                continue  # one score per date: the newest model's
            self.scores[pid].append((day, risk, grade))
        self.chars = defaultdict(list)
        for c in PupilCharacteristics.objects.filter(pupil_id__in=ids):
            self.chars[c.pupil_id].append(c)
        self.enrolments: dict[int, list[_Enrolment]] = defaultdict(list)
        for pid, start, end, grade, reason in Enrolment.objects.filter(pupil_id__in=ids).values_list(
            "pupil_id", "start_date", "end_date", "grade", "end_reason"
        ):
            self.enrolments[pid].append(_Enrolment(start, end, grade, reason))
        self.c_attest = {}
        # school years with a qualification of the VSV list
        self.qualified: dict[int, list[str]] = defaultdict(list)
        for pid, year, result, qualification in Attestation.objects.filter(pupil_id__in=ids).values_list(
            "pupil_id", "school_year", "result", "qualification"
        ):
            self.c_attest[(pid, year)] = 1.0 if result == "C" else 0.0
            if qualification in VSV.qualifications:
                self.qualified[pid].append(year)

    def grade_on(self, pid, day, fallback=""):
        for e in self.enrolments.get(pid, ()):
            if e.start <= day and (e.end is None or e.end >= day):
                return e.grade
        return fallback

    def periods(self, pid) -> list[tuple[datetime.date, datetime.date | None]]:
        return [(e.start, e.end) for e in self.enrolments.get(pid, ())]

    def score_before(self, pid, day):
        found = [s for s in self.scores.get(pid, ()) if s[0] <= day]
        return found[-1] if found else None

    def score_after(self, pid, day):
        found = [s for s in self.scores.get(pid, ()) if s[0] >= day]
        return found[0] if found else None

    def baseline(self, pid, day: datetime.date) -> tuple[float | None, float | None]:
        """The B share over the 90 days before ``day`` (the level matched on) and its trend."""
        if (pid, day) not in self._baselines:
            periods, days = self.periods(pid), self.absences["B"].get(pid, ())
            self._baselines[(pid, day)] = (
                engine.absence_share(days, periods, day - datetime.timedelta(days=WINDOW_DAYS), day),
                engine.absence_trend(days, periods, day, WINDOW_DAYS),
            )
        return self._baselines[(pid, day)]

    def left_school(self, pid, start: datetime.date, today: datetime.date) -> float | None:
        """1.0 when the pupil left school without a qualification between ``start`` and the end of
        its school year (31 August, or today): an enrolment ended then as left, other or school
        change, no new enrolment started after it by 1 October (or today), and no qualification of
        the VSV list from that school year or before. None (unknown) when that last enrolment ended
        as moved out or deceased; 0.0 otherwise."""
        if today < start:
            return None
        year = school_year_of(start)
        last = school_year_bounds(year)[1]
        until, back_by = min(last, today), min(last + RETURN_BY, today)
        enrolments = self.enrolments.get(pid, ())
        for e in sorted(
            (e for e in enrolments if e.end is not None and start <= e.end <= until), key=lambda e: e.end
        ):
            if any(e.end < o.start <= back_by for o in enrolments):
                continue  # enrolled again: did not leave school
            if e.reason in VSV.censor_reasons:
                return None
            if e.reason in LEAVING_REASONS:
                first = school_year_first(year)
                return 0.0 if any(school_year_first(y) <= first for y in self.qualified.get(pid, ())) else 1.0
        return 0.0

    def measures(self, pid, start: datetime.date, today: datetime.date) -> tuple[dict, dict, float | None]:
        """``pre`` and ``post`` outcomes around ``start`` and the B trend before it."""
        pre_from = start - datetime.timedelta(days=WINDOW_DAYS)
        post_to = min(start + datetime.timedelta(days=WINDOW_DAYS), today)
        periods = self.periods(pid)
        pre = {
            f"{c.lower()}_rate": engine.absence_share(self.absences[c].get(pid, ()), periods, pre_from, start)
            for c in "BZ"
        }
        post = {}
        if post_to > start:
            post = {
                f"{c.lower()}_rate": engine.absence_share(
                    self.absences[c].get(pid, ()), periods, start, post_to
                )
                for c in "BZ"
            }
        before = self.score_before(pid, start)
        after = self.score_after(pid, start + datetime.timedelta(days=WINDOW_DAYS))
        pre["risk"] = before[1] if before else None
        post["risk"] = after[1] if after else None
        post["c_attest"] = self.c_attest.get((pid, school_year_of(start)))
        post["left_school"] = self.left_school(pid, start, today)
        return pre, post, engine.absence_trend(self.absences["B"].get(pid, ()), periods, start, WINDOW_DAYS)


def offer_effect(offer: SupportOffer, school_year: str, *, today: datetime.date | None = None) -> OfferEffect:
    """The effect estimate of one offer in one school year (aggregates only)."""
    today = today or clock.today()
    starts = treated_starts(offer, school_year)
    head = {
        "offer_id": offer.pk,
        "offer_title": offer.title,
        "provider": offer.provider.name,
        "school_year": school_year,
    }
    if not starts:
        return OfferEffect(**head, treated=0, matched=0, unmatched=0, estimates={})
    lo = min(starts.values()) - datetime.timedelta(days=engine.DATE_WINDOW_DAYS)
    hi = max(starts.values()) + datetime.timedelta(days=engine.DATE_WINDOW_DAYS)
    ever = set(
        SupportRequest.objects.filter(received_filter(), offer=offer, pupil__isnull=False).values_list(
            "pupil_id", flat=True
        )
    )
    candidate_ids = set(
        RiskScore.objects.that_may_show().filter(reference_date__gte=lo, reference_date__lte=hi)
        .exclude(pupil_id__in=ever)
        .values_list("pupil_id", flat=True)
        .distinct()
    )
    facts = _Facts(
        set(starts) | candidate_ids,
        lo - datetime.timedelta(days=WINDOW_DAYS),
        hi + datetime.timedelta(days=WINDOW_DAYS),
    )

    treated = []
    for pid, start in sorted(starts.items()):
        score = facts.score_before(pid, start)
        if score is None:
            continue  # no risk score before the start: cannot be matched
        pre, post, trend = facts.measures(pid, start, today)
        treated.append(
            engine.Unit(
                id=pid,
                grade=facts.grade_on(pid, start, score[2]),
                oki=measures.oki_on(facts.chars.get(pid, ()), start),
                risk=score[1],
                date=start,
                pre=pre,
                post=post,
                trend=trend,
            )
        )
    no_score = len(starts) - len(treated)
    pool = []
    start_days = sorted(set(starts.values()))
    for pid in sorted(candidate_ids):
        for day, risk, grade in facts.scores.get(pid, ()):
            if lo <= day <= hi:
                # before matching, a candidate's level and trend over the 90 days before the start
                # nearest to its score date (the windows of the treated pupils, summer and all)
                nearest = min(start_days, key=lambda s, day=day: (abs((s - day).days), s))
                level, trend = facts.baseline(pid, nearest)
                pool.append(
                    engine.Unit(
                        id=pid,
                        grade=facts.grade_on(pid, day, grade),
                        oki=measures.oki_on(facts.chars.get(pid, ()), day),
                        risk=risk,
                        date=day,
                        pre={"b_rate": level},
                        trend=trend,
                    )
                )

    def baseline(candidate: engine.Unit, day: datetime.date) -> engine.Unit:
        level, trend = facts.baseline(candidate.id, day)
        return dataclasses.replace(candidate, pre={"b_rate": level}, trend=trend)

    def measure(control: engine.Unit, t: engine.Unit) -> engine.Unit:
        pre, post, _trend = facts.measures(control.id, t.date, today)
        return dataclasses.replace(control, pre=pre, post=post)

    result = engine.evaluate(treated, pool, baseline=baseline, measure=measure)
    return OfferEffect(
        **head,
        treated=len(starts),
        matched=result.matched,
        unmatched=result.unmatched + no_score,
        estimates=result.estimates,
        candidates=len({u.id for u in pool}),
        balance=result.balance,
    )


def every_offer():
    """Every support offer, in the order of their numbers (the yearly run of the effect reports)."""
    return SupportOffer.objects.select_related("provider").order_by("pk")


def offers_for(user):
    """The offers whose effects this user may see (None: not allowed at all)."""
    from leerloopbaan.accounts.models import Membership
    from leerloopbaan.accounts.roles import Role

    if user.role in (Role.CARE_COORDINATOR, Role.PROGRAMME_MANAGER, Role.CITY_ANALYST, Role.ADMIN):
        return SupportOffer.objects.select_related("provider").order_by("title", "pk")
    if user.role == Role.ORGANISATION_CONTACT:
        orgs = (
            Membership.objects.active()
            .filter(user=user, organisation__isnull=False)
            .values("organisation_id")
        )
        return (
            SupportOffer.objects.select_related("provider")
            .filter(provider_id__in=orgs)
            .order_by("title", "pk")
        )
    return None


def school_years_with_starts(offer: SupportOffer) -> list[str]:
    requests = list(SupportRequest.objects.filter(received_filter(), offer=offer, pupil__isnull=False))
    return sorted({school_year_of(d) for d in _start_times(requests).values()}, reverse=True)


# --- schools with high dropout and no support --------------------------------------------------


@dataclass(frozen=True)
class FlaggedSchool:
    """A flagged school with its figures as the outflow publishes them (``kernel.disclosure``)."""

    school_number: str
    name: str
    district: str
    leavers: Figure
    unqualified: Figure
    rate: Figure
    city_rate: Figure


@dataclass(frozen=True)
class Flags:
    school_year: str  # the year asked about (support requests)
    outcome_year: str | None  # the last school year with VSV outcomes
    cutoff: float | None  # the top-quintile cut-off of the school rates
    city_rate: Figure | None
    schools: list[FlaggedSchool]


def last_outcome_year(before: str | None = None) -> str | None:
    """The last school year, up to ``before``, whose outflow is complete
    (``registry.outflow.report.final_years``): never the running one, whose leavers are only those
    who left so far."""
    return outflow.last_final_year(upto=before)


def flag_schools_without_support(school_year: str) -> Flags:
    """Schools whose VSV rate (last school year whose outflow is complete, up to ``school_year``) lies in the
    city's top quintile of school rates (at or above the 80th percentile, and above zero) and that
    have no support request in ``school_year`` other than withdrawn ones. Only schools whose figures
    the outflow publishes (``registry.outflow.report.published``, the release the outflow page and
    the city dashboard show) are judged and shown: a school with a suppressed count (fewer than 5
    leavers, 1 to 4 with or without a qualification, or hidden beside one) is never flagged, so
    neither its figures nor the flag itself say more than the outflow page."""
    year = last_outcome_year(before=school_year)
    if year is None:
        return Flags(school_year, None, None, None, [])
    years = outflow.school_years()
    figures = cached("outflow-published", lambda: outflow.published(years), *years)
    city_rate = figures.lines(year)[0].rate
    lines = [
        line for line in figures.lines(year, "school") if line.rate.shown and line.rate.value is not None
    ]
    if not lines:
        return Flags(school_year, year, None, city_rate, [])
    cutoff = float(np.percentile([line.rate.value for line in lines], 80))
    first, last = school_year_bounds(school_year)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    supported = set(
        SupportRequest.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=Status.CLOSED, outcome=Outcome.WITHDRAWN)
        .values_list("school__school_number", flat=True)
    )
    schools = {
        s.school_number: s for s in School.objects.filter(school_number__in=[line.group for line in lines])
    }
    flagged = [
        FlaggedSchool(
            line.group,
            schools[line.group].name,
            schools[line.group].district,
            line.leavers,
            line.unqualified,
            line.rate,
            city_rate,
        )
        for line in sorted(lines, key=lambda line: (-line.rate.value, line.group))
        if line.rate.value >= cutoff - 1e-12
        and line.rate.value > 0
        and line.group not in supported
        and line.group in schools
    ]
    return Flags(school_year, year, cutoff, city_rate, flagged)
