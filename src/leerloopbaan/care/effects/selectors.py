"""Effect monitoring from the database: per support offer and school year, the predictors of the
pupils who received it before and after, against matched pupils who did not (``care.engine.effects``),
and the schools with high early school leaving that asked for no support.

Who received an offer: the pupils of requests assigned to it that at least started (status
in_progress, or closed with an outcome other than withdrawn). Start: the first move of the request to
in_progress (else to assigned, else its creation). Windows: the 90 days before the start and the 90
days after it (cut at today). Measures per window: B and Z half-days per month (30.44 days); the
latest risk score on or before the start and the first one after the post window; a C-attest in the
school year of the start (the following June).

Candidates: pupils with a risk score within 45 days of the treated pupil's start who never received
the offer; matched on grade, OKI level (0, 1, 2+) and risk score (caliper 0.05).

Only aggregates leave this module, and only through ``publish_effects``: one ``kernel.disclosure``
release per page or export declares, per offer, the treated, matched and unmatched pupils (treated =
matched + unmatched), per outcome the pairs with the outcome known (matched = pairs + pairs without
it), for the C-attest the pupils with and without one on each side (numerators, suppressed when
small), and every estimate as a statistic over those counts. Pages, the PDF and the yearly command
render only the ``Published`` figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.care.engine import effects as engine
from leerloopbaan.care.models import RequestEvent, SupportOffer, SupportRequest
from leerloopbaan.ews.models import RiskScore
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.disclosure import Figure, Published, Release
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, PupilCharacteristics, School
from leerloopbaan.registry.outflow import report as outflow

WINDOW_DAYS = 90
MONTH_DAYS = 30.44
Status = SupportRequest.Status
Outcome = SupportRequest.Outcome

OUTCOME_LABELS = {
    "b_per_month": _("Problematic absence (B half-days per month)"),
    "z_per_month": _("Illness absence (Z half-days per month)"),
    "risk": _("Risk score"),
    "c_attest": _("Share with a C-attest in June"),
}
OUTCOME_SHORT = {
    "b_per_month": _("B half-days/month"),
    "z_per_month": _("Z half-days/month"),
    "risk": _("Risk score"),
    "c_attest": _("C-attest (share)"),
}
VERDICTS = {
    "lower": _("lower than the comparison group"),
    "higher": _("higher than the comparison group"),
    "unclear": _("no clear difference"),
}


def received_filter() -> Q:
    return Q(status=Status.IN_PROGRESS) | (Q(status=Status.CLOSED) & ~Q(outcome=Outcome.WITHDRAWN) & ~Q(outcome=""))


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


ESTIMATE_FIELDS = ("treated_pre", "treated_post", "control_pre", "control_post", "effect", "low", "high")


def _key(effect: OfferEffect, *parts) -> tuple:
    return ("care effects", effect.offer_id, effect.school_year, *parts)


def _declare(release: Release, e: OfferEffect) -> None:
    """The figures of one offer: its counts, the relations a reader can see or infer, its estimates."""
    matched = release.count(_key(e, "matched"), e.matched)
    unmatched = release.count(_key(e, "unmatched"), e.unmatched)
    treated = release.total(_key(e, "treated"), [matched, unmatched])
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
        for field in ESTIMATE_FIELDS:
            release.statistic(_key(e, name, field), getattr(est, field), over=over)


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

    @property
    def estimated(self) -> bool:
        """At least one outcome has a shown estimate."""
        return any(r["shown"] for r in self.rows)

    @property
    def any_hidden(self) -> bool:
        """Some figure is hidden (×) as a complement of a small one."""
        return any(f.hidden for f in (self.treated, self.matched, self.unmatched)) or any(r["n"] == "×" for r in self.rows)

    @property
    def few_treated(self) -> bool:
        return self.treated.small or self.treated.value == 0

    def row(self, outcome: str) -> dict:
        return next(r for r in self.rows if r["outcome"] == outcome)


def _rows(pub: Published, e: OfferEffect) -> list[dict]:
    """One row per outcome, formatted for a page or a PDF, from the published figures only."""
    out = []
    for name, label in OUTCOME_LABELS.items():
        pct = name in engine.LEVEL_OUTCOMES
        row = {"outcome": name, "label": label, "short": OUTCOME_SHORT[name], "n": "–", "shown": False, "reason": "",
               **dict.fromkeys(ESTIMATE_FIELDS, ""), "interval": "", "verdict": "",
               "values": dict.fromkeys(("effect", "low", "high"))}
        if name in e.estimates:
            figures = {f: pub[_key(e, name, f)] for f in ESTIMATE_FIELDS}
            effect = figures["effect"]
            row["n"] = str(pub[_key(e, name, "pairs")])
            row["shown"] = effect.shown and effect.value is not None
            if row["shown"]:
                values = {f: figures[f].value for f in ESTIMATE_FIELDS}
                row["values"] = {f: values[f] for f in ("effect", "low", "high")}
                row.update({f: _fmt(values[f], pct, sign=f in ("effect", "low", "high")) for f in ESTIMATE_FIELDS})
                if values["low"] is not None:
                    row["interval"] = f"{row['low']} … {row['high']}"
                row["verdict"] = VERDICTS[_verdict(values["low"], values["high"])]
            elif effect.hidden:
                row["reason"] = _("not shown, so that a small group cannot be worked out")
            elif pub[_key(e, name, "pairs")].shown and e.estimates[name].n > 0:
                row["reason"] = _("too few pupils with or without this outcome for an estimate")
            else:
                row["reason"] = _("too few matched pairs for an estimate")
        out.append(row)
    return out


def publish_effects(effects: list[OfferEffect], name: str) -> list[PublishedEffect]:
    """The effects of a page or an export through one disclosure release (one per page or export)."""
    release = Release(name)
    for e in effects:
        _declare(release, e)
    pub = release.publish()
    return [PublishedEffect(e.offer_id, e.offer_title, e.provider, e.school_year, pub[_key(e, "treated")], pub[_key(e, "matched")],
                            pub[_key(e, "unmatched")], _rows(pub, e)) for e in effects]


def _fmt(value, percent=False, sign=False) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:+.0f} pp" if sign else f"{100 * value:.0f}%"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def _verdict(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "unclear"
    if high < 0:
        return "lower"
    if low > 0:
        return "higher"
    return "unclear"


# --- building the inputs ---------------------------------------------------------------------

def _start_times(requests: list[SupportRequest]) -> dict[int, datetime.date]:
    events = defaultdict(dict)
    for rid, to_status, at in RequestEvent.objects.filter(request__in=requests, to_status__in=[Status.IN_PROGRESS, Status.ASSIGNED]) \
            .order_by("at", "pk").values_list("request_id", "to_status", "at"):
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


class _Facts:
    """Absences, risk scores, characteristics, enrolments and attestations of a set of pupils."""

    def __init__(self, pupil_ids, since: datetime.date, until: datetime.date):
        ids = list(pupil_ids)
        self.absences = defaultdict(list)
        for pid, day, code in Absence.objects.filter(pupil_id__in=ids, date__gte=since, date__lte=until, code__in=["B", "Z"]) \
                .values_list("pupil_id", "date", "code").iterator(chunk_size=20_000):
            self.absences[pid].append((day, code))
        self.scores = defaultdict(list)
        for pid, day, risk, grade in RiskScore.objects.filter(pupil_id__in=ids).order_by("reference_date", "-model_run__created_at", "pk") \
                .values_list("pupil_id", "reference_date", "risk", "grade"):
            if self.scores[pid] and self.scores[pid][-1][0] == day:
                continue  # one score per date: the newest model's
            self.scores[pid].append((day, risk, grade))
        self.chars = defaultdict(list)
        for c in PupilCharacteristics.objects.filter(pupil_id__in=ids):
            self.chars[c.pupil_id].append(c)
        self.enrolments = defaultdict(list)
        for pid, start, end, grade in Enrolment.objects.filter(pupil_id__in=ids).values_list("pupil_id", "start_date", "end_date", "grade"):
            self.enrolments[pid].append((start, end, grade))
        self.c_attest = {}
        for pid, year, result in Attestation.objects.filter(pupil_id__in=ids).values_list("pupil_id", "school_year", "result"):
            self.c_attest[(pid, year)] = 1.0 if result == "C" else 0.0

    def grade_on(self, pid, day, fallback=""):
        for start, end, grade in self.enrolments.get(pid, ()):
            if start <= day and (end is None or end >= day):
                return grade
        return fallback

    def score_before(self, pid, day):
        found = [s for s in self.scores.get(pid, ()) if s[0] <= day]
        return found[-1] if found else None

    def score_after(self, pid, day):
        found = [s for s in self.scores.get(pid, ()) if s[0] >= day]
        return found[0] if found else None

    def measures(self, pid, start: datetime.date, today: datetime.date) -> tuple[dict, dict]:
        pre_from = start - datetime.timedelta(days=WINDOW_DAYS)
        post_to = min(start + datetime.timedelta(days=WINDOW_DAYS), today)
        post_days = (post_to - start).days
        rows = self.absences.get(pid, ())
        pre = {f"{c.lower()}_per_month": sum(1 for d, k in rows if k == c and pre_from <= d < start) * MONTH_DAYS / WINDOW_DAYS for c in "BZ"}
        post = {}
        if post_days >= 1:
            post = {f"{c.lower()}_per_month": sum(1 for d, k in rows if k == c and start <= d < post_to) * MONTH_DAYS / post_days for c in "BZ"}
        before = self.score_before(pid, start)
        after = self.score_after(pid, start + datetime.timedelta(days=WINDOW_DAYS))
        pre["risk"] = before[1] if before else None
        post["risk"] = after[1] if after else None
        post["c_attest"] = self.c_attest.get((pid, school_year_of(start)))
        return pre, post


def offer_effect(offer: SupportOffer, school_year: str, *, today: datetime.date | None = None) -> OfferEffect:
    """The effect estimate of one offer in one school year (aggregates only)."""
    today = today or clock.today()
    starts = treated_starts(offer, school_year)
    head = {"offer_id": offer.pk, "offer_title": offer.title, "provider": offer.provider.name, "school_year": school_year}
    if not starts:
        return OfferEffect(**head, treated=0, matched=0, unmatched=0, estimates={})
    lo = min(starts.values()) - datetime.timedelta(days=engine.DATE_WINDOW_DAYS)
    hi = max(starts.values()) + datetime.timedelta(days=engine.DATE_WINDOW_DAYS)
    ever = set(SupportRequest.objects.filter(received_filter(), offer=offer, pupil__isnull=False).values_list("pupil_id", flat=True))
    candidate_ids = set(RiskScore.objects.filter(reference_date__gte=lo, reference_date__lte=hi).exclude(pupil_id__in=ever)
                        .values_list("pupil_id", flat=True).distinct())
    facts = _Facts(set(starts) | candidate_ids, lo - datetime.timedelta(days=WINDOW_DAYS), hi + datetime.timedelta(days=WINDOW_DAYS))

    treated = []
    for pid, start in sorted(starts.items()):
        score = facts.score_before(pid, start)
        if score is None:
            continue  # no risk score before the start: cannot be matched
        pre, post = facts.measures(pid, start, today)
        treated.append(engine.Unit(id=pid, grade=facts.grade_on(pid, start, score[2]), oki=measures.oki_on(facts.chars.get(pid, ()), start),
                                   risk=score[1], date=start, pre=pre, post=post))
    no_score = len(starts) - len(treated)
    pool = []
    for pid in sorted(candidate_ids):
        for day, risk, grade in facts.scores.get(pid, ()):
            if lo <= day <= hi:
                pool.append(engine.Unit(id=pid, grade=facts.grade_on(pid, day, grade), oki=measures.oki_on(facts.chars.get(pid, ()), day),
                                        risk=risk, date=day))

    def measure(control: engine.Unit, t: engine.Unit) -> engine.Unit:
        pre, post = facts.measures(control.id, t.date, today)
        return engine.Unit(id=control.id, grade=control.grade, oki=control.oki, risk=control.risk, date=control.date, pre=pre, post=post)

    result = engine.evaluate(treated, pool, measure=measure)
    return OfferEffect(**head, treated=len(starts), matched=result.matched, unmatched=result.unmatched + no_score,
                       estimates=result.estimates)


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
        orgs = Membership.objects.active().filter(user=user, organisation__isnull=False).values("organisation_id")
        return SupportOffer.objects.select_related("provider").filter(provider_id__in=orgs).order_by("title", "pk")
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
    lines = [line for line in figures.lines(year, "school") if line.rate.shown and line.rate.value is not None]
    if not lines:
        return Flags(school_year, year, None, city_rate, [])
    cutoff = float(np.percentile([line.rate.value for line in lines], 80))
    first, last = school_year_bounds(school_year)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    supported = set(SupportRequest.objects.filter(created_at__gte=start, created_at__lt=end)
                    .exclude(status=Status.CLOSED, outcome=Outcome.WITHDRAWN).values_list("school__school_number", flat=True))
    schools = {s.school_number: s for s in School.objects.filter(school_number__in=[line.group for line in lines])}
    flagged = [FlaggedSchool(line.group, schools[line.group].name, schools[line.group].district, line.leavers, line.unqualified,
                             line.rate, city_rate)
               for line in sorted(lines, key=lambda line: (-line.rate.value, line.group))
               if line.rate.value >= cutoff - 1e-12 and line.rate.value > 0 and line.group not in supported and line.group in schools]
    return Flags(school_year, year, cutoff, city_rate, flagged)
