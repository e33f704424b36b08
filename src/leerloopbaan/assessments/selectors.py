"""Reads of learning-gain test results, scoped to the acting user and audited (docs/privacy.md).

Who sees what:
- a pupil's results and growth curve: whoever may see the pupil (``registry.selectors.pupil_scope``):
  school staff and CLB workers (by name; a pupil who left their schools only up to the end of the
  last enrolment there), city analysts and admins (by pseudonym), a young person themself and a
  parent their child. The page reads the pupil through ``pupil_get`` (one audit entry).
- remediation proposals: school staff and CLB workers, for the pupils currently enrolled in their
  schools (one audit entry naming every pupil listed).
- the city's norms (counts per band): city roles, school staff, CLB workers and tutor coordinators;
  aggregates only, cells under ``settings.SMALL_CELL_THRESHOLD`` suppressed.
- growth of tutored pupils: city analysts, programme managers, tutor coordinators and admins;
  aggregates only, no pupil, pseudonym or name.

Norm bands are computed from every result in the city (``norms``) and cached per data version.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments import charts
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
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for, audited_read
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.registry.models import Enrolment, Pupil
from leerloopbaan.registry.selectors import display_name, pupil_scope, records_visible_until, schools_of
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
    n: int
    norm: norm_engine.Norm | None
    cells: list[tuple[str, str, int | None]]  # (band, state, count)
    n_state: str


def norm_table(*, user) -> list[NormRow]:
    """Per instrument and scale version: the norm and the number of results per band, suppressed."""
    if not may_see_norms(user):
        raise Http404("no norms")
    all_norms = norms()
    counts = cached("assessment-norm-counts", _compute_counts, results_version())
    band_counts = cached("assessment-band-counts", _compute_band_counts, results_version())
    k = threshold()
    rows = []
    domains = Domain.values
    for inst in sorted(Instrument.objects.all(), key=lambda i: (domains.index(i.domain), i.moment_rank, i.code)):
        versions = sorted({v for (i, v) in counts if i == inst.pk} | {inst.scale_version})
        for version in versions:
            n = counts.get((inst.pk, version), 0)
            norm = all_norms.get((inst.pk, version))
            cells = []
            if norm is not None:
                cells = [(band, state, c) for band, (state, c) in
                         zip(norm_engine.BANDS, norm_engine.suppress(band_counts[(inst.pk, version)], k), strict=True)]
            rows.append(NormRow(inst, version, n, norm, cells, norm_engine.SHOWN if n >= k else norm_engine.SMALL))
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


@dataclass
class DomainCurve:
    domain: str
    label: str
    points: list[CurvePoint]
    svg: str


def growth_curve(*, user, pupil: Pupil) -> dict:
    """The results of a pupil already obtained through ``pupil_get`` (which recorded the read), per
    domain, with their bands and an SVG growth curve per domain. Cut at ``records_visible_until``."""
    access_for(user).require(pupil)
    until = records_visible_until(user, pupil)
    qs = TestResult.objects.visible_to(user).filter(pupil=pupil).select_related("instrument").order_by("date", "instrument__code")
    if until is not None:
        qs = qs.filter(date__lte=until)
    results = list(qs)
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
                          instrument=p.result.instrument.code) for p in points],
            title=str(labels[domain]))
        curves.append(DomainCurve(domain, str(labels[domain]), points, svg))
    return {"curves": curves, "visible_until": until}


@dataclass
class LatestResult:
    domain_label: str
    result: TestResult
    band: str  # "" without a norm


def pupil_page_results(subject: PupilSubject) -> dict:
    """The assessments panel of the pupil page: the latest result per domain with its band, cut at
    the subject's ``visible_until``, and the link to the growth curve. No scope check and no audit
    entry: the page did both."""
    qs = test_result_scope(subject.user).filter(pupil=subject.pupil).select_related("instrument").order_by("date", "pk")
    if subject.visible_until is not None:
        qs = qs.filter(date__lte=subject.visible_until)
    latest = {r.instrument.domain: r for r in qs}
    all_norms = norms() if latest else {}
    labels = dict(Domain.choices)
    rows = []
    for domain in Domain.values:
        r = latest.get(domain)
        if r is not None:
            norm = all_norms.get((r.instrument_id, r.scale_version))
            rows.append(LatestResult(str(labels[domain]), r, norm.band(r.scale_score) if norm else ""))
    return {"latest": rows}


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


@dataclass
class Cell:
    state: str  # shown, small, hidden
    value: int | None

    @classmethod
    def of(cls, n: int, k: int) -> Cell:
        return cls(norm_engine.SHOWN, n) if n >= k else cls(norm_engine.SMALL, None)


def growth_report(*, user) -> dict:
    """Tutored vs matched untutored pupils, and online vs offline tutoring; aggregates only, audited."""
    if not may_see_growth(user):
        raise Http404("no growth report")
    k = threshold()
    data = cached("assessment-growth", lambda: _compute_growth(k), results_version(), tutoring_facts.matches_version(), k)
    labels = {**dict(Domain.choices), growth_engine.ALL_DOMAINS: None}
    rows = []
    for c in data["comparisons"]:
        matched, unmatched, tutored = Cell.of(c.matched, k), Cell.of(c.unmatched, k), Cell.of(c.tutored, k)
        # a small part would follow from the total minus the other part: hide the total then
        if tutored.state == norm_engine.SHOWN and norm_engine.SMALL in (matched.state, unmatched.state):
            tutored = Cell(norm_engine.HIDDEN, None)
        rows.append({"c": c, "label": labels.get(c.domain), "cells": [tutored, matched, unmatched]})
    modes = []
    for m in data["modes"]:
        cells = [Cell.of(m.online, k), Cell.of(m.offline, k)]
        # online + face to face = the tutored pupils shown above: one small cell hides the other
        if sum(c.state == norm_engine.SMALL for c in cells) == 1:
            cells = [c if c.state == norm_engine.SMALL else Cell(norm_engine.HIDDEN, None) for c in cells]
        modes.append({"m": m, "label": labels.get(m.domain), "cells": cells})
    # the pooled row is the sum of the domain rows: with a small domain cell it would give it away
    for group, attr in ((rows, "c"), (modes, "m")):
        for unit in {getattr(r[attr], "unit", None) for r in group}:
            same = [r for r in group if getattr(r[attr], "unit", None) == unit]
            if any(c.state != norm_engine.SHOWN for r in same if r[attr].domain != growth_engine.ALL_DOMAINS for c in r["cells"]):
                for r in same:
                    if r[attr].domain == growth_engine.ALL_DOMAINS:
                        r["cells"] = [Cell(norm_engine.HIDDEN, None) if c.state == norm_engine.SHOWN else c for c in r["cells"]]
    shown = [(r["label"], r["c"].unit, r["c"].difference) for r in rows if r["c"].difference is not None]
    shown_modes = [(m["label"], m["m"].unit, m["m"].difference) for m in modes if m["m"].difference is not None]
    audit_record(action="read", subject_type="aggregate", purpose="growth of tutored pupils", actor=user,
                 detail={"groups": len(rows), "pairs": data["pairs"]})
    return {"rows": rows, "modes": modes, "threshold": k, "results": data["results"], "shown": shown, "shown_modes": shown_modes}
