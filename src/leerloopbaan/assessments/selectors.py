"""Reads of learning-gain test results, scoped to the acting user and audited (docs/privacy.md).

Who sees what:
- a pupil's results and growth curve: whoever may see the pupil (``registry.selectors.pupil_scope``):
  school staff and CLB workers (by name; a pupil who left their schools only up to the end of the
  last enrolment there), city analysts and admins (by pseudonym), a young person themself and a
  parent their child. The page reads the pupil through ``pupil_get`` (one audit entry).
- remediation proposals: school staff and CLB workers, for the pupils currently enrolled in their
  schools (one audit entry naming every pupil listed).
- the city's norms (counts per band): city roles, school staff, CLB workers and tutor coordinators;
  aggregates only, through ``kernel.disclosure`` (small cells and their complements suppressed).
- growth of tutored pupils: city analysts, programme managers, tutor coordinators and admins;
  aggregates only, no pupil, pseudonym or name, through ``kernel.disclosure``.

Norm bands are computed from every result in the city (``norms``) and cached per data version.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.engine import growth as growth_engine
from leerloopbaan.assessments.engine import norms as norm_engine
from leerloopbaan.assessments.models import (
    MOMENT_ORDER,
    RELATED_SUBJECTS,
    Domain,
    Instrument,
    Moment,
    TestResult,
)
from leerloopbaan.kernel import charts, clock
from leerloopbaan.kernel.access import access_for, audited_read
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.disclosure import Figure, Release
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry.models import Enrolment, Pupil
from leerloopbaan.registry.pseudonymised import released_school_year
from leerloopbaan.registry.selectors import (
    display_name,
    pseudonymised_view,
    pupil_scope,
    records_visible,
    records_visible_until,
    schools_of,
)
from leerloopbaan.tutoring.reports import selectors as tutoring_facts

NORM_ROLES = frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN, Role.SCHOOL_STAFF, Role.CLB_WORKER,
                        Role.TUTOR_COORDINATOR})
GROWTH_ROLES = frozenset({Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.TUTOR_COORDINATOR, Role.ADMIN})
PROPOSAL_ROLES = frozenset({Role.SCHOOL_STAFF, Role.CLB_WORKER})
TUTORING_NEED_URL = "/tutoring/needs/new/"  # built by the tutoring app
SUBJECT_OF_DOMAIN = {Domain.MATHS: "maths", Domain.DUTCH: "dutch", Domain.READING: "reading"}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_norms(user) -> bool:
    return _active(user) and user.role in NORM_ROLES


def may_see_growth(user) -> bool:
    return _active(user) and user.role in GROWTH_ROLES


def may_see_proposals(user) -> bool:
    return _active(user) and user.role in PROPOSAL_ROLES


def threshold() -> int:
    return settings.SMALL_CELL_THRESHOLD


def test_result_scope(user, qs: QuerySet[TestResult] | None = None) -> QuerySet[TestResult]:
    """The rule: every test result (of ``qs``) the user may see, those of the pupils they see.
    ``TestResult.objects.visible_to(user)`` applies it; the only way to start a query on TestResult for a user."""
    qs = TestResult.objects.all() if qs is None else qs
    return qs.filter(pupil__in=pupil_scope(user))


test_result_scope.__test__ = False  # not a pytest test


def instruments_in_use() -> QuerySet[Instrument]:
    """The tests a result can be entered for (not personal data)."""
    return Instrument.objects.filter(active=True).order_by("domain", "code")


# --- norms ----------------------------------------------------------------------------------

def results_version() -> str:
    """Changes whenever a result is added or changed (imports also change the data version)."""
    agg = TestResult.objects.aggregate(n=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    return f"{agg['n']}:{agg['last']}:{agg['changed'].isoformat() if agg['changed'] else None}"


def _compute_norms() -> dict[tuple[int, str], norm_engine.Norm]:
    by_group: dict[tuple[int, str], list[float]] = defaultdict(list)
    for inst, version, score in TestResult.objects.order_by().values_list("instrument_id", "scale_version", "scale_score").iterator(chunk_size=20_000):
        by_group[(inst, version)].append(score)
    out = {}
    for key, scores in by_group.items():
        norm = norm_engine.norm_of(scores)
        if norm is not None:
            out[key] = norm
    return out


def _compute_counts() -> dict[tuple[int, str], int]:
    return {(i, v): n for i, v, n in TestResult.objects.order_by().values_list("instrument_id", "scale_version").annotate(n=Count("pk"))
            .values_list("instrument_id", "scale_version", "n")}


def norms() -> dict[tuple[int, str], norm_engine.Norm]:
    """The norm (n, mean, SD, quintile cut points) per (instrument id, scale version), for groups
    with at least ``MIN_NORM_N`` results. Population-wide; cached per data version."""
    return cached("assessment-norms", _compute_norms, results_version())


@dataclass
class NormRow:
    instrument: Instrument
    scale_version: str
    norm: norm_engine.Norm | None  # the norm itself: only shown with ``stats``
    n: Figure  # the number of results
    stats: Figure  # mean, SD and cut points of the norm: shown only when ``n`` is
    cells: list[tuple[str, Figure]]  # (band, count)


def norm_table(*, user) -> list[NormRow]:
    """Per instrument and scale version: the norm and the number of results per band, through one
    disclosure-control release for the page (a row's results are the sum of its bands)."""
    if not may_see_norms(user):
        raise Http404("no norms")
    all_norms = norms()
    counts = cached("assessment-norm-counts", _compute_counts, results_version())
    band_counts = cached("assessment-band-counts", _compute_band_counts, results_version())
    release = Release("assessment norms")
    groups = []
    domains = Domain.values
    for inst in sorted(Instrument.objects.all(), key=lambda i: (domains.index(i.domain), i.moment_rank, i.code)):
        versions = sorted({v for (i, v) in counts if i == inst.pk} | {inst.scale_version})
        for version in versions:
            n = release.count(("results", inst.pk, version), counts.get((inst.pk, version), 0))
            norm = all_norms.get((inst.pk, version))
            bands = []
            if norm is not None:
                bands = [release.count(("band", inst.pk, version, band), c)
                         for band, c in zip(norm_engine.BANDS, band_counts[(inst.pk, version)], strict=True)]
                release.relate(n, bands)
            release.statistic(("norm", inst.pk, version), None if norm is None else norm.mean, over=n)
            groups.append((inst, version, norm, n, bands))
    pub = release.publish()
    rows = [NormRow(inst, version, norm, pub[n], pub[("norm", inst.pk, version)],
                    [(key[-1], pub[key]) for key in bands]) for inst, version, norm, n, bands in groups]
    audit_record(action="read", subject_type="aggregate", purpose="assessment norms", actor=user,
                 detail={"instruments": len(rows)})
    return rows


def _compute_band_counts() -> dict[tuple[int, str], list[int]]:
    all_norms = norms()
    by_group: dict[tuple[int, str], list[float]] = defaultdict(list)
    for inst, version, score in TestResult.objects.order_by().values_list("instrument_id", "scale_version", "scale_score").iterator(chunk_size=20_000):
        if (inst, version) in all_norms:
            by_group[(inst, version)].append(score)
    return {key: norm_engine.band_counts(scores, all_norms[key].cuts) for key, scores in by_group.items()}


# --- a pupil's growth curve -----------------------------------------------------------------

@dataclass
class CurvePoint:
    result: TestResult
    band: str  # "" without a norm

    @property
    def school_year(self) -> str:
        return school_year_of(self.result.date)


@dataclass
class DomainCurve:
    domain: str
    label: str
    points: list[CurvePoint]
    svg: str


def growth_curve(*, user, pupil: Pupil) -> dict:
    """The results of a pupil already obtained through ``pupil_get`` (which recorded the read), per
    domain, with their bands and an SVG growth curve per domain. Cut to ``records_visible`` (nothing from before the pupil came to the user's schools,
    nor after the pupil left them: ``records_visible_until``)."""
    access_for(user).require(pupil)
    until = records_visible_until(user, pupil)
    windows = records_visible(user, pupil)
    qs = TestResult.objects.visible_to(user).filter(pupil=pupil).select_related("instrument").order_by("date", "instrument__code")
    if until is not None:
        qs = qs.filter(date__lte=until)
    if windows is not None:
        qs = qs.filter(windows.q("date"))
    results = list(qs)
    pseudonymised = pseudonymised_view(user)
    if pseudonymised:  # city roles: the released school year's results only (registry.pseudonymised)
        year = released_school_year(pupil)
        results = [r for r in results if year and school_year_of(r.date) == year]
    all_norms = norms()
    labels = dict(Domain.choices)
    moment_labels = dict(Moment.choices)
    curves = []
    for domain in Domain.values:
        mine = [r for r in results if r.instrument.domain == domain]
        if not mine:
            continue
        points = []
        for r in mine:
            norm = all_norms.get((r.instrument_id, r.scale_version))
            points.append(CurvePoint(r, norm.band(r.scale_score) if norm else ""))
        # the band areas: per moment of the domain, the norm of the instrument's current scale
        # version (or of the pupil's own version where the pupil has a result at that moment)
        own = {r.instrument.moment: (r.instrument_id, r.scale_version) for r in mine}
        instruments = {i.moment: i for i in Instrument.objects.filter(domain=domain, active=True)}
        for r in mine:
            instruments.setdefault(r.instrument.moment, r.instrument)
        slots = []
        for moment in MOMENT_ORDER:
            inst = instruments.get(moment)
            if inst is None:
                continue
            key = own.get(moment, (inst.pk, inst.scale_version))
            norm = all_norms.get(key)
            if norm is None and moment not in own:
                continue
            slots.append(charts.Slot(moment=moment, label=str(moment_labels[moment]), cuts=norm.cuts if norm else None))
        svg = charts.growth_curve(
            slots,
            [charts.Point(moment=p.result.instrument.moment, date=p.result.date, score=p.result.scale_score, band=p.band,
                          instrument=p.result.instrument.code,
                          # city roles: the school year, never the test date (registry.pseudonymised)
                          when=p.school_year if pseudonymised else "") for p in points],
            title=str(labels[domain]))
        curves.append(DomainCurve(domain, str(labels[domain]), points, svg))
    return {"curves": curves, "visible_until": until, "pseudonymised": pseudonymised}


@dataclass
class LatestResult:
    domain_label: str
    result: TestResult
    band: str  # "" without a norm

    @property
    def school_year(self) -> str:
        return school_year_of(self.result.date)


def pupil_page_results(subject: PupilSubject) -> dict:
    """The assessments panel of the pupil page: the latest result per domain with its band, cut to
    the subject's windows (``visible``), and the link to the growth curve. No scope check and no audit
    entry: the page did both."""
    qs = test_result_scope(subject.user).filter(pupil=subject.pupil).select_related("instrument").order_by("date", "pk")
    qs = subject.cut(qs, "date")
    if subject.pseudonymised:  # city roles: the released school year's results only (registry.pseudonymised)
        year = released_school_year(subject.pupil)
        qs = [r for r in qs if year and school_year_of(r.date) == year]
    latest = {r.instrument.domain: r for r in qs}
    all_norms = norms() if latest else {}
    labels = dict(Domain.choices)
    rows = []
    for domain in Domain.values:
        r = latest.get(domain)
        if r is not None:
            norm = all_norms.get((r.instrument_id, r.scale_version))
            rows.append(LatestResult(str(labels[domain]), r, norm.band(r.scale_score) if norm else ""))
    return {"latest": rows, "pseudonymised": subject.pseudonymised}


# --- remediation proposals ------------------------------------------------------------------

@dataclass
class Proposal:
    pupil: Pupil
    label: str
    domain: str
    domain_label: str
    result: TestResult
    band: str
    previous_band: str
    tutoring_url: str
    support_url: str


def low_result(band: str, previous_band: str) -> bool:
    """Band E, or band D or E after a drop of two bands or more since the previous result."""
    if band == "E":
        return True
    if band == "D" and previous_band:
        return norm_engine.BANDS.index(band) - norm_engine.BANDS.index(previous_band) >= 2
    return False


def proposals_since(today: datetime.date) -> datetime.date:
    """Proposals look at results of the current and the previous school year (from 1 September)."""
    return datetime.date(today.year - (1 if today.month >= 9 else 2), 9, 1)


def remediation_proposals(*, user, today: datetime.date | None = None) -> list[Proposal]:
    """Pupils currently enrolled in the user's schools whose latest result in a domain is low and
    recent (``proposals_since``) and who have no waiting or matched tutoring need on a related
    subject; one audited read."""
    if not may_see_proposals(user):
        raise Http404("no proposals")
    today = today or clock.today()
    since = proposals_since(today)
    current = (Enrolment.objects.filter(school__in=schools_of(user), start_date__lte=today)
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).values("pupil_id"))
    rows = (TestResult.objects.visible_to(user).filter(pupil_id__in=current).select_related("instrument")
            .order_by("pupil_id", "date", "pk"))
    all_norms = norms()
    latest: dict[tuple[int, str], tuple[TestResult, str, str]] = {}
    for r in rows:
        norm = all_norms.get((r.instrument_id, r.scale_version))
        band = norm.band(r.scale_score) if norm else ""
        key = (r.pupil_id, r.instrument.domain)
        previous = latest.get(key)
        latest[key] = (r, band, previous[1] if previous else "")
    low = {key: v for key, v in latest.items() if v[0].date >= since and low_result(v[1], v[2])}
    if not low:
        audited_read(user=user, subject_type="pupil", subjects=[], purpose="remediation proposals")
        return []
    pupil_ids = sorted({pid for pid, _d in low})
    open_needs = tutoring_facts.open_need_subjects(pupil_ids)
    pupils = {p.pk: p for p in Pupil.objects.visible_to(user).filter(pk__in=pupil_ids).select_related("name")}
    labels = dict(Domain.choices)
    support = user.role == Role.SCHOOL_STAFF
    out = []
    for (pid, domain), (r, band, previous) in low.items():
        if pid not in pupils or any((pid, s) in open_needs for s in RELATED_SUBJECTS[domain]):
            continue
        p = pupils[pid]
        out.append(Proposal(
            pupil=p, label=display_name(user, p), domain=domain, domain_label=str(labels[domain]), result=r, band=band,
            previous_band=previous,
            tutoring_url=f"{TUTORING_NEED_URL}?pupil={p.pupil_key}&subject={SUBJECT_OF_DOMAIN[domain]}",
            support_url=f"{reverse('care:request_new')}?pupil_key={p.pupil_key}" if support else "",
        ))
    out.sort(key=lambda x: (x.band != "E", x.label.lower(), x.domain))
    audited_read(user=user, subject_type="pupil", subjects=sorted({x.pupil.pupil_key for x in out}), purpose="remediation proposals")
    return out


# --- growth of tutored pupils ---------------------------------------------------------------

def _compute_growth(min_n: int) -> dict:
    instruments = {i.pk: i for i in Instrument.objects.all()}
    all_norms = norms()
    by_code = {(instruments[i].code, v): n for (i, v), n in all_norms.items() if i in instruments}
    results = [
        growth_engine.Result(pupil=pid, date=day, domain=instruments[iid].domain, instrument=instruments[iid].code,
                             moment=instruments[iid].moment, scale_version=version, score=score)
        for pid, day, iid, version, score in TestResult.objects.order_by().values_list(
            "pupil_id", "date", "instrument_id", "scale_version", "scale_score").iterator(chunk_size=20_000)
    ]
    tutoring = [
        growth_engine.Tutoring(pupil=pid, subject=subject, started_on=started, mode=mode)
        for pid, subject, started, mode in tutoring_facts.tutoring_periods()
    ]
    pairs = growth_engine.build_pairs(results, tutoring, by_code)
    return {
        "comparisons": growth_engine.compare_growth(pairs, min_n=min_n),
        "modes": growth_engine.compare_modes(pairs, min_n=min_n),
        "results": len(results),
        "pairs": len(pairs),
    }


def growth_report(*, user) -> dict:
    """Tutored vs matched untutored pupils, and online vs offline tutoring (adjusted for band, level,
    baseline score and domain); aggregates only, audited. Every comparison made (both tables) is one
    family of ``family`` comparisons, Holm-corrected together (``growth_engine.holm``); one whose figures
    disclosure control hides counts with p = 1.
    Every count and estimate of the page goes through one disclosure-control release: per group the
    tutored pupils are the matched plus the unmatched ones (and the online plus the face-to-face plus
    those of another mode), and the pooled row is the sum of the domain rows in SD."""
    if not may_see_growth(user):
        raise Http404("no growth report")
    k = threshold()
    data = cached("assessment-growth-holm", lambda: _compute_growth(k), results_version(), tutoring_facts.matches_version(), k)
    labels = {**dict(Domain.choices), growth_engine.ALL_DOMAINS: None}
    release = Release("growth of tutored pupils")
    pooled = growth_engine.ALL_DOMAINS

    def key(what, row):
        return (what, row.domain, row.unit)

    comparisons, modes_of = data["comparisons"], {(m.domain, m.unit): m for m in data["modes"]}
    pool = [c for c in comparisons if c.domain == pooled]
    parts = [c for c in comparisons if c.domain != pooled and c.unit == growth_engine.SD]
    for c in [c for c in comparisons if c.domain != pooled] + pool:
        shown_modes = (c.domain, c.unit) in modes_of
        if c.domain == pooled:  # the sum of the domain rows in SD
            for what in ("tutored", "matched", "unmatched", "online", "offline", "other mode"):
                release.total(key(what, c), [key(what, p) for p in parts],
                              displayed=shown_modes if what in ("online", "offline") else what != "other mode")
        else:
            m = modes_of.get((c.domain, c.unit))
            online, offline = (m.online, m.offline) if m else (0, 0)
            for what in ("tutored", "matched", "unmatched"):
                release.count(key(what, c), getattr(c, what))
            release.count(key("online", c), online, displayed=shown_modes)
            release.count(key("offline", c), offline, displayed=shown_modes)
            # tutored pupils of another (or no) mode: not printed, but the difference of printed counts
            release.count(key("other mode", c), c.tutored - online - offline, displayed=False)
        release.relate(key("tutored", c), [key("matched", c), key("unmatched", c)])
        release.relate(key("tutored", c), [key("online", c), key("offline", c), key("other mode", c)])
    for c in comparisons:
        release.statistic(key("difference", c), c.mean_gain_tutored, over=key("matched", c))
    for m in data["modes"]:
        release.statistic(key("mean online", m), m.mean_online, over=key("online", m))
        release.statistic(key("mean offline", m), m.mean_offline, over=key("offline", m))
        release.statistic(key("mode difference", m), None if m.difference is None else m.difference.estimate,
                          over=[key("online", m), key("offline", m)])
    pub = release.publish()

    rows = []
    for c in comparisons:
        estimate = pub[key("difference", c)].shown and c.mean_gain_tutored is not None
        rows.append({"c": c, "label": labels.get(c.domain), "cells": [pub[key(w, c)] for w in ("tutored", "matched", "unmatched")],
                     "mean_tutored": c.mean_gain_tutored if estimate else None,
                     "mean_control": c.mean_gain_control if estimate else None,
                     "difference": c.difference if estimate else None})
    modes = []
    for m in data["modes"]:
        modes.append({"m": m, "label": labels.get(m.domain), "cells": [pub[key("online", m)], pub[key("offline", m)]],
                      "mean_online": pub[key("mean online", m)].value, "mean_offline": pub[key("mean offline", m)].value,
                      "difference": m.difference if pub[key("mode difference", m)].shown else None})
    # every comparison tested is one family, Holm-corrected as one (engine.growth); one that disclosure
    # control hides counts with p = 1, so the shown corrected p-values say nothing about its p-value
    family = [(r, r["c"].difference) for r in rows if r["c"].difference is not None]
    family += [(m, m["m"].difference) for m in modes if m["m"].difference is not None]
    tested = [r["difference"] if r["difference"] is not None else dataclasses.replace(raw, p=1.0) for r, raw in family]
    for (r, _raw), corrected in zip(family, growth_engine.holm(tested), strict=True):
        if r["difference"] is not None:
            r["difference"] = corrected
    shown = [(r["label"], r["c"].unit, r["difference"]) for r in rows if r["difference"] is not None]
    shown_modes = [(m["label"], m["m"].unit, m["difference"]) for m in modes if m["difference"] is not None]
    audit_record(action="read", subject_type="aggregate", purpose="growth of tutored pupils", actor=user,
                 detail={"groups": len(rows), "pairs": data["pairs"]})
    return {"rows": rows, "modes": modes, "threshold": k, "results": data["results"], "shown": shown, "shown_modes": shown_modes,
            "family": len(family)}
