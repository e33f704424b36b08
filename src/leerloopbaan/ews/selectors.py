"""Reads of early-warning data, scoped to the acting user and audited (docs/privacy.md).

Who sees what:
- individual risk scores (risk list, a pupil's risk history): school staff for pupils scored in
  their own school, CLB workers for the schools their CLB serves, with names. Nobody else: city
  roles see pseudonyms and suppressed aggregates only; tutors, organisation contacts, care and
  tutor coordinators, young people and parents see nothing of the early warning.
- school portraits (aggregates only): school staff their own school(s), CLB workers the schools
  they serve, city analysts, programme managers and admins every school. Every figure goes through
  one ``kernel.disclosure`` release; only staff of the school see their own school's column as it is.

Reasons shown are the stored school-facing reasons: context characteristics (OKI) may raise a
score but are never shown as a reason to act.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.engine import percent
from leerloopbaan.ews.models import BASELINE_MODEL, FollowUp, ModelRun, PortraitComment, RiskScore
from leerloopbaan.ews.school import brief, portrait
from leerloopbaan.kernel import charts, clock, disclosure, formatting
from leerloopbaan.kernel.access import access_for, audited_read
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.paging import page_of
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.kernel.pupil_status import PupilStatus, pupil_statuses, status_kinds
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Enrolment, Pupil, School
from leerloopbaan.registry.pseudonymised import released_school_year
from leerloopbaan.registry.selectors import (
    CITY_ROLES,
    NAME_ROLES,
    display_name,
    names_visible,
    pupil_scope,
    schools_of,
)

# the words pages need (views and template tags never import the models)
Band = RiskScore.Band
FollowUpKind = FollowUp.Kind

SCORE_ROLES = frozenset(NAME_ROLES)
PORTRAIT_ROLES = frozenset(NAME_ROLES | CITY_ROLES)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_scores(user) -> bool:
    return _active(user) and user.role in SCORE_ROLES


def score_scope(user, qs: QuerySet[RiskScore] | None = None) -> QuerySet[RiskScore]:
    """The rule: every risk score (of ``qs``) the user may see: scores given while the pupil was in one of
    the user's schools. ``RiskScore.objects.visible_to(user)`` applies it."""
    qs = RiskScore.objects.all() if qs is None else qs
    if not may_see_scores(user):
        return qs.none()
    return qs.filter(school__in=schools_of(user), pupil__in=pupil_scope(user))


def follow_up_scope(user, qs: QuerySet[FollowUp] | None = None) -> QuerySet[FollowUp]:
    """The rule for follow-ups: those of the user's schools, for users who see scores."""
    qs = FollowUp.objects.all() if qs is None else qs
    if not may_see_scores(user):
        return qs.none()
    return qs.filter(school__in=schools_of(user), pupil__in=pupil_scope(user))


def scoring_version() -> str:
    """The latest model run and scoring (a version source of ``kernel.caching``): no person data."""
    last_run = ModelRun.objects.aggregate(m=Max("pk"))["m"]
    last_score = RiskScore.objects.aggregate(m=Max("created_at"))["m"]
    return f"{last_run}:{last_score.isoformat() if last_score else None}"


# --- the model behind the scores -----------------------------------------------------------

@dataclass(frozen=True)
class ModelLine:
    """The one line every page with scores names its model by: ``parts`` joined by " · ", then a link
    to the model card of ``version``. ``baseline``: the scores come from the rule (no approved model)."""

    version: str
    parts: tuple[str, ...]
    baseline: bool = False
    approved: bool = False

    @property
    def text(self) -> str:
        return " · ".join(self.parts)


def _release_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return clock.date_of(value)
    if isinstance(value, datetime.date):
        return value
    try:
        text = str(value or "")
        return datetime.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _share(value) -> float | None:
    try:
        share = float(value)
    except (TypeError, ValueError):
        return None
    return share if 0 <= share <= 1 else None


def in_words(share: float) -> str:
    """A share as a care coordinator says it: "4 in 10" (or "3 in 100" under one in ten)."""
    if share >= 0.095:
        return _("%(k)s in %(n)s") % {"k": round(share * 10), "n": 10}
    return _("%(k)s in %(n)s") % {"k": round(share * 100), "n": 100}


def model_line(run: ModelRun | None) -> ModelLine | None:
    """What the pages with scores say about the model that made them, from the run's release verdict
    (``run.report["release"]``; a run from before it shows what it has): approved and when, how many
    of the pupils at the top of the list left school without a qualification, whether the fairness
    audit passed. The rule baseline says so plainly."""
    if run is None:
        return None
    release = run.release
    parts: list[str] = []
    if run.is_baseline:
        parts.append(_("There is no approved model: the scores come from the simple rule (absence, C attestation, school delay)"))
    elif run.is_approved:
        day = _release_date(release.get("approved_on"))
        parts.append(_("Model approved on %(day)s") % {"day": formatting.long_date(day)} if day else _("Approved model"))
    else:
        parts.append(_("This model is not approved: it gives no scores"))
    precision = _share(release.get("precision_at_operating_point"))
    if precision is not None:
        parts.append(_("at the top of the list, %(share)s left school without a qualification") % {"share": in_words(precision)})
    fairness = release.get("fairness")
    if fairness == "passed":
        parts.append(_("fairness: in order"))
    elif fairness == "failed":
        parts.append(_("fairness: not in order"))
    return ModelLine(version=run.version, parts=tuple(parts), baseline=run.is_baseline, approved=run.is_approved)


def reasons_in(reasons: list[dict], lang: str | None = None) -> list[str]:
    lang = (lang or get_language() or "nl")[:2]
    key = "text_nl" if lang == "nl" else "text_en"
    return [r.get(key) or r.get("text_en") or "" for r in reasons or []]


# --- risk list ------------------------------------------------------------------------------

FOLLOW_UP_STATUS = "follow_up"
NOTHING_UNDER_WAY = "none"  # the status filter's value for "nothing under way yet"
RISK_LIST_PAGE = 50
RISK_SORTS = ("risk", "name", "class", "grade", "band", "status")
DEFAULT_SORT = "-risk"


@dataclass
class RiskRow:
    score: RiskScore
    label: str
    reasons: list[str]
    previous_risk: float | None
    previous_band: str | None
    class_group: str = ""
    statuses: list[PupilStatus] = field(default_factory=list)

    @property
    def pupil_key(self) -> str:
        return self.score.pupil.pupil_key

    @property
    def change(self) -> float | None:
        return None if self.previous_risk is None else self.score.risk - self.previous_risk


@dataclass(frozen=True)
class RiskQuery:
    """What the user asked of the risk list: filters, a search by name and the sort (a key of
    ``RISK_SORTS``, ``-`` in front for descending). Unknown values are dropped by ``clean``."""

    school: School | None = None
    grade: str = ""
    track: str = ""
    band: str = ""
    class_group: str = ""
    status: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT

    def clean(self) -> RiskQuery:
        band = self.band if self.band in Band.values else ""
        kinds = {value for value, _label in status_kinds()} | {NOTHING_UNDER_WAY}
        status = self.status if self.status in kinds else ""
        sort = self.sort if self.sort.lstrip("-") in RISK_SORTS else DEFAULT_SORT
        return RiskQuery(school=self.school, grade=self.grade[:2], track=self.track[:12], band=band, class_group=self.class_group[:20],
                         status=status, q=" ".join(self.q.split())[:100], sort=sort)

    def detail(self) -> dict:
        """The filters, for the audit entry (no names: the search words are left out)."""
        return {"school": self.school.school_number if self.school else None, "grade": self.grade or None, "track": self.track or None,
                "band": self.band or None, "class": self.class_group or None, "status": self.status or None, "search": bool(self.q),
                "sort": self.sort}


@dataclass
class RiskList:
    rows: list[RiskRow] = field(default_factory=list)
    total: int = 0
    expected_leavers: float = 0.0
    reference_date: datetime.date | None = None
    schools: list[School] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    statuses: list[tuple[str, str]] = field(default_factory=list)  # the choices of the status filter
    page: Page | None = None
    run: ModelRun | None = None  # the run whose scores the list shows (``model_line``)


def follow_up_statuses(user, pupil_ids) -> dict[int, list[PupilStatus]]:
    """The latest follow-up of each pupil of a batch that the user may see (``kernel.pupil_status``; one
    query, no entry of its own)."""
    latest: dict[int, FollowUp] = {}
    for f in FollowUp.objects.visible_to(user).filter(pupil_id__in=pupil_ids).order_by("at", "pk").only("pupil_id", "kind", "at"):
        latest[f.pupil_id] = f
    return {
        pupil_id: [PupilStatus(kind=FOLLOW_UP_STATUS, since=clock.date_of(f.at),
                               text=_("Follow-up noted: %(kind)s, %(day)s") % {"kind": f.get_kind_display(),
                                                                               "day": date_format(clock.date_of(f.at), "j F Y")})]
        for pupil_id, f in latest.items()
    }


FOLLOW_UP_KINDS = ((FOLLOW_UP_STATUS, gettext_lazy("follow-up noted")),)

_BAND_RANK = Case(When(band=RiskScore.Band.HIGH, then=Value(3)), When(band=RiskScore.Band.MEDIUM, then=Value(2)), default=Value(1),
                  output_field=IntegerField())


def _status_rank(statuses: dict[int, list[PupilStatus]]):
    """Nothing under way first (0), then by the first kind of status a pupil has, in the providers' order."""
    order = {value: i + 1 for i, (value, _label) in enumerate(status_kinds())}
    by_rank: dict[int, list[int]] = defaultdict(list)
    for pupil_id, rows in statuses.items():
        by_rank[min(order.get(s.kind, len(order) + 1) for s in rows)].append(pupil_id)
    whens = [When(pupil_id__in=ids, then=Value(rank)) for rank, ids in sorted(by_rank.items())]
    return Case(*whens, default=Value(0), output_field=IntegerField()) if whens else Value(0, output_field=IntegerField())


def _risk_scores(user, query: RiskQuery, out: RiskList) -> tuple[QuerySet[RiskScore] | None, dict[int, list[PupilStatus]] | None]:
    """The filtered, sorted scores of the list (not yet read) and, when the status filter or sort needed
    them, the statuses of every pupil in it."""
    run = out.run
    if run is None:
        return None, None
    base = RiskScore.objects.visible_to(user).filter(model_run=run)
    if query.school is not None:
        base = base.filter(school=query.school)
    day = base.order_by("-reference_date").values_list("reference_date", flat=True).first()
    out.reference_date = day
    klass = (Enrolment.objects.filter(pupil=OuterRef("pupil"), school=OuterRef("school"), start_date__lte=OuterRef("reference_date"))
             .order_by("-start_date").values("class_group")[:1])
    qs = base.filter(reference_date=day).annotate(class_group=Coalesce(Subquery(klass), Value("")))
    choices = set(qs.order_by().values_list("grade", "track", "class_group").distinct())
    out.grades = sorted({g for g, _t, _c in choices if g})
    out.tracks = sorted({t for _g, t, _c in choices if t})
    out.classes = sorted({c for _g, _t, c in choices if c})
    if query.grade:
        qs = qs.filter(grade=query.grade)
    if query.track:
        qs = qs.filter(track=query.track)
    if query.band:
        qs = qs.filter(band=query.band)
    if query.class_group:
        qs = qs.filter(class_group=query.class_group)
    if query.q and names_visible(user):
        for word in query.q.split():
            qs = qs.filter(Q(pupil__name__first_name__icontains=word) | Q(pupil__name__last_name__icontains=word))
    statuses = None
    key = query.sort.lstrip("-")
    if query.status or key == "status":
        statuses = pupil_statuses(user, qs.values("pupil_id"))
        if query.status == NOTHING_UNDER_WAY:
            qs = qs.exclude(pupil_id__in=list(statuses))
        elif query.status:
            qs = qs.filter(pupil_id__in=[p for p, rows in statuses.items() if any(s.kind == query.status for s in rows)])
    previous = RiskScore.objects.filter(pupil=OuterRef("pupil"), reference_date__lt=OuterRef("reference_date"),
                                        model_run_id__in=ModelRun.objects.that_may_score()).order_by(
        "-reference_date", "-model_run__created_at")
    qs = qs.annotate(previous_risk=Subquery(previous.values("risk")[:1]), previous_band=Subquery(previous.values("band")[:1]))
    by_name = ["pupil__name__last_name", "pupil__name__first_name"]
    fields = {"risk": ["risk"], "name": by_name, "class": ["class_group"], "grade": ["grade", "track"], "band": [_BAND_RANK, "risk"],
              "status": [_status_rank(statuses or {})]}[key]
    descending = query.sort.startswith("-")
    order = []
    for f in fields:
        expression = F(f) if isinstance(f, str) else f
        order.append(expression.desc() if descending else expression.asc())
    if key != "risk":
        order.append(F("risk").desc())
    if key != "name":
        order += [F(f).asc() for f in by_name]
    order.append(F("pupil__pupil_key").asc())
    return qs.order_by(*order), statuses


def _rows(user, scores: list[RiskScore], statuses: dict[int, list[PupilStatus]] | None) -> list[RiskRow]:
    if statuses is None:
        statuses = pupil_statuses(user, [s.pupil_id for s in scores])
    lang = get_language()
    return [
        RiskRow(score=s, label=display_name(user, s.pupil), reasons=reasons_in(s.reasons, lang), previous_risk=s.previous_risk,
                previous_band=s.previous_band, class_group=s.class_group, statuses=statuses.get(s.pupil_id, []))
        for s in scores
    ]


def _related(user) -> list[str]:
    return ["pupil", "school"] + (["pupil__name"] if names_visible(user) else [])


def risk_list(user, query: RiskQuery | None = None, *, page: int | str = 1, per_page: int = RISK_LIST_PAGE) -> RiskList:
    """One page of the latest scores of the scored run in the user's schools (highest risk first, or
    as ``query`` sorts), filtered, with the previous score, the reasons, the class and what is already
    under way for each pupil (``kernel.pupil_status``); audited as one read of the pupils on the page.
    The number of queries does not grow with the number of pupils."""
    if not may_see_scores(user):
        raise Http404("no risk list")
    query = (query or RiskQuery()).clean()
    schools = list(schools_of(user).order_by("name"))
    if query.school is not None and query.school.pk not in {s.pk for s in schools}:
        raise Http404("no such school")
    out = RiskList(schools=schools, run=portrait.scored_run(), statuses=[(NOTHING_UNDER_WAY, _("nothing under way yet")),
                                                                         *((v, str(label)) for v, label in status_kinds())])
    qs, statuses = _risk_scores(user, query, out)
    if qs is None:
        audited_read(user=user, subject_type="pupil", subjects=[], purpose="risk list")
        return out
    totals = qs.order_by().aggregate(n=Count("pk"), s=Sum("risk"))
    out.total, out.expected_leavers = totals["n"], float(totals["s"] or 0.0)
    paginator = Paginator(qs.select_related(*_related(user)), per_page)
    paginator.count = out.total  # known already: the page costs one query
    out.page = page_of(paginator, page)
    scores = list(out.page.object_list)
    out.rows = _rows(user, scores, statuses)
    audited_read(user=user, subject_type="pupil", subjects=[s.pupil.pupil_key for s in scores], purpose="risk list",
                 detail={**query.detail(), "page": out.page.number})
    return out


EXPORT_COLUMNS = ("name", "school", "class", "grade", "track", "band", "risk", "change", "under way", "reasons")


def risk_list_export(user, query: RiskQuery | None = None) -> tuple[list[str], list[list]]:
    """Every row of the filtered, sorted risk list as a table (a header and rows of plain values) for the
    care coordinator's spreadsheet; recorded as an export naming every pupil in it (``kernel.access``).
    The number of queries does not grow with the number of pupils."""
    if not may_see_scores(user):
        raise Http404("no risk list")
    query = (query or RiskQuery()).clean()
    if query.school is not None and not schools_of(user).filter(pk=query.school.pk).exists():
        raise Http404("no such school")
    out = RiskList(run=portrait.scored_run())
    qs, statuses = _risk_scores(user, query, out)
    scores = list(qs.select_related(*_related(user))) if qs is not None else []
    rows = _rows(user, scores, statuses)
    header = [_("Pupil"), _("School"), _("Class"), _("Grade"), _("Track"), _("Band"), _("Risk (%)"),
              _("Change since the last score (pp)"), _("Under way"), _("Reasons")]
    table = [[r.label, r.score.school.name, r.class_group, r.score.grade, r.score.track, str(Band(r.score.band).label),
              int(percent(r.score.risk)), None if r.change is None else round(r.change * 100),
              "; ".join(s.text for s in r.statuses), "; ".join(r.reasons)] for r in rows]
    access_for(user).record(action="export", subject_type="pupil", subjects=[s.pupil.pupil_key for s in scores],
                            purpose="risk list export", detail={**query.detail(), "rows": len(rows),
                                                                "reference_date": out.reference_date.isoformat() if out.reference_date else None})
    return header, table


def latest_score_for(user, pupil: Pupil) -> RiskScore | None:
    """The pupil's latest score the user may see (for recording a follow-up); not a read of new data."""
    return (RiskScore.objects.visible_to(user).filter(pupil=pupil, model_run_id__in=ModelRun.objects.that_may_score())
            .order_by("-reference_date", "-model_run__created_at").first())


def bands_for_tutoring_priority(*, user, pupil_ids, as_of: datetime.date | None = None) -> dict[int, str]:
    """A grant of its own (docs/privacy.md): the band of each pupil's latest score given up to ``as_of``
    (today) by a run that may score (an approved model or the rule baseline), for the priority of their tutoring needs. Only the band leaves this module, never the
    risk, the reasons or the date; the matching ranks by it and never shows it (coordinators see the
    need's tier only). Recorded as a read by ``user`` (who started the matching) of the pupils whose band
    was used, purpose "tutoring priority". Pupils without a score are absent from the answer."""
    as_of = as_of or clock.today()
    ids = sorted({int(i) for i in pupil_ids})
    out: dict[int, str] = {}
    keys: list[str] = []
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        latest = (RiskScore.objects.that_may_show().filter(pupil=OuterRef("pk"), reference_date__lte=as_of)
                  .order_by("-reference_date", "-created_at", "-pk").values("band")[:1])
        for pk, key, band in (Pupil.objects.filter(pk__in=chunk).annotate(band=Subquery(latest)).exclude(band=None)
                              .values_list("pk", "pupil_key", "band")):
            out[pk] = band
            keys.append(key)
    if keys:
        access_for(user).record(subject_type="pupil", subjects=keys, purpose="tutoring priority",
                                detail={"bands": len(keys)})
    return out


def latest_reasons(*, user, pupil: Pupil, purpose: str) -> list[str]:
    """The reasons of the pupil's latest score the user may see, in the user's language; a read of the
    pupil (recorded, joined with the unit's other reads of the pupil)."""
    access = access_for(user)
    access.require(pupil)
    score = latest_score_for(user, pupil)
    reasons = reasons_in(score.reasons) if score else []
    access.record(pupil, purpose=purpose, detail={"risk_reasons": len(reasons)})
    return reasons


# --- pupil page ---------------------------------------------------------------------------

def _absences_per_month(pupil: Pupil, *, months: int = 24, today: datetime.date | None = None,
                        until: datetime.date | None = None, subject: PupilSubject | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Half days absent per month, the last ``months`` months up to today (or up to ``until``, the
    last date of the pupil's records the user may see)."""
    today = today or clock.today()
    if until is not None and until < today:
        today = until
    keys = []
    y, m = today.year, today.month
    for _i in range(months):
        keys.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    first = datetime.date(int(keys[0][:4]), int(keys[0][5:]), 1)
    all_days: dict[str, int] = defaultdict(int)
    b_days: dict[str, int] = defaultdict(int)
    absences = Absence.objects.filter(pupil=pupil, date__gte=first)
    if until is not None:
        absences = absences.filter(date__lte=until)
    if subject is not None:
        absences = subject.cut(absences, "date")
    for day, code in absences.values_list("date", "code"):
        key = f"{day.year:04d}-{day.month:02d}"
        all_days[key] += 1
        if code == "B":
            b_days[key] += 1
    return [(k, all_days[k]) for k in keys], [(k, b_days[k]) for k in keys]


def pupil_page_risk(subject: PupilSubject) -> dict:
    """The early warning's panel of the pupil page: absences per month (SVG) and B half days per
    school year, the signals the model reads, and for roles that see scores the risk history with
    its reasons. Cut to the subject's windows (``visible``: nothing from before the pupil came to the
    user's schools, nothing after the end of the last enrolment there); the scores and their reasons
    stay (the city computes them from the whole history; the school sees the score, not the records). No scope check and no audit entry: the page did both."""
    user, pupil, until = subject.user, subject.pupil, subject.visible_until
    if subject.pseudonymised:
        # city roles: the B half days of the released school year only (registry.pseudonymised), none
        # where that year is not shown; earlier years' counts together single a pupil out
        year = released_school_year(pupil)
        b_years = measures.b_half_days(Absence.objects.filter(pupil=pupil).values_list("date", "code")) if year else {}
        return {"absence_svg": "", "absence_months": [], "b_years": [b for y, b in b_years.items() if y == year],
                "risk_history": None, "model_run": None, "latest": None, "follow_up": None}
    all_days, b_days = _absences_per_month(pupil, until=until, subject=subject)
    absence_svg = charts.line_chart(
        {_("all absences"): [(k[2:], float(v)) for k, v in all_days], _("B: problematic / unjustified"): [(k[2:], float(v)) for k, v in b_days]},
        title=_("Half days absent per month"), y_label=_("half days"), kind="count")
    absences = subject.cut(Absence.objects.filter(pupil=pupil), "date")
    b_years = measures.b_half_days(absences.values_list("date", "code"))
    history = _risk_history(user, pupil) if may_see_scores(user) else None
    follow_up = None
    if history is not None:  # the summary: the school's latest follow-up of the pupil
        follow_up = subject.cut(FollowUp.objects.visible_to(user).filter(pupil=pupil), "at__date").order_by("-at").first()
    return {
        "latest": history[-1] if history else None,
        "follow_up": follow_up,
        "absence_svg": absence_svg,
        "absence_months": all_days,
        "b_years": list(b_years.values()),
        "risk_history": history,
        # the model of the latest score shown (the line under the history names it)
        "model_run": history[-1]["score"].model_run if history else None,
    }


def _risk_history(user, pupil: Pupil) -> list[dict]:
    lang = get_language()
    rows = []
    seen = set()
    for s in RiskScore.objects.visible_to(user).filter(pupil=pupil, model_run_id__in=ModelRun.objects.that_may_score()).select_related(
            "school", "model_run").order_by("-reference_date", "-model_run__created_at"):
        if s.reference_date in seen:  # one score per date: the latest run's
            continue
        seen.add(s.reference_date)
        rows.append({"score": s, "reasons": reasons_in(s.reasons, lang), "change": None})
    rows.reverse()
    for prev, cur in zip(rows, rows[1:], strict=False):
        cur["change"] = cur["score"].risk - prev["score"].risk
    return rows


def pupil_risk_history(*, user, pupil: Pupil, purpose: str = "pupil risk history") -> list[dict]:
    """A pupil's scores the user may see (one per reference date, oldest first), with reasons and the
    change since the score before; audited as one read. 404 for pupils outside the user's scope."""
    if not may_see_scores(user):
        raise Http404("no such pupil")
    access = access_for(user)
    access.require(pupil)
    rows = _risk_history(user, pupil)
    access.record(pupil, purpose=purpose)
    return rows


# --- school portrait ------------------------------------------------------------------------

def schools_for_portrait(user) -> QuerySet[School]:
    """Schools whose portrait the user may see."""
    if not _active(user) or user.role not in PORTRAIT_ROLES:
        return School.objects.none()
    return schools_of(user).order_by("name")


def is_staff_of(user, school: School) -> bool:
    return _active(user) and user.role == Role.SCHOOL_STAFF and schools_of(user).filter(pk=school.pk).exists()


def portrait_years() -> list[str]:
    """School years with enrolments (newest first)."""
    from leerloopbaan.registry.models import Enrolment

    return sorted(set(Enrolment.objects.values_list("school_year", flat=True).distinct()), reverse=True)


@dataclass
class Figure:
    label: str
    school: str
    group: str
    city: str = ""


_PORTRAIT_COUNTS = ("pupils", "oki_known", "delayed", "not_delayed", "attests", "A", "B", "C", "b5", "not_b5", "b30", "not_b30",
                    "scored", "low", "medium", "high")


def _portrait_counts(c: portrait.SchoolYearCounts) -> dict[str, int]:
    return {
        "pupils": c.pupils, "oki_known": c.oki_known, "delayed": c.delayed, "not_delayed": c.delay_known - c.delayed,
        "attests": sum(c.attestations[r] for r in portrait.RESULTS), **{r: c.attestations[r] for r in portrait.RESULTS},
        "b5": c.b_pupils_5, "not_b5": c.pupils - c.b_pupils_5, "b30": c.b_pupils_30, "not_b30": c.pupils - c.b_pupils_30,
        "scored": c.scored, **{b: c.bands[b] for b in portrait.BANDS},
    }


def _declare_portrait_column(release: disclosure.Release, key: tuple, c: portrait.SchoolYearCounts, *, charted: bool,
                             displayed: bool = True) -> None:
    """The key figures of one column (the school, its comparison group, the other schools, the city):
    the counts the page prints or derives a share from, the complements a reader can work out, the
    relations between them, and the shares and means over them."""
    n = _portrait_counts(c)
    printed = {"pupils", "delayed", "A", "B", "C", "b5", "b30", "scored", "medium", "high"} | ({"low"} if charted else set())
    shown = displayed and key[-1] not in ("rest",)
    for name in _PORTRAIT_COUNTS:
        release.count((*key, name), n[name], displayed=shown and name in printed)
    release.count((*key, "delay_known"), c.delay_known, displayed=False)
    release.relate((*key, "delay_known"), [(*key, "delayed"), (*key, "not_delayed")])
    release.relate((*key, "attests"), [(*key, r) for r in portrait.RESULTS])
    release.relate((*key, "pupils"), [(*key, "b5"), (*key, "not_b5")])
    release.relate((*key, "pupils"), [(*key, "b30"), (*key, "not_b30")])
    release.relate((*key, "scored"), [(*key, b) for b in portrait.BANDS])
    if charted:  # the pupils per OKI level, as a chart
        for level in range(5):
            release.count((*key, "oki", level), c.oki_levels[level])
        release.relate((*key, "oki_known"), [(*key, "oki", level) for level in range(5)])
    release.statistic((*key, "oki_mean"), c.oki, over=(*key, "oki_known"))
    release.ratio((*key, "delay_share"), (*key, "delayed"), (*key, "delay_known"))
    for r in portrait.RESULTS:
        release.ratio((*key, f"{r}_share"), (*key, r), (*key, "attests"))
    release.ratio((*key, "b5_share"), (*key, "b5"), (*key, "pupils"))
    release.ratio((*key, "b30_share"), (*key, "b30"), (*key, "pupils"))
    release.statistic((*key, "b_days"), c.b_half_days / c.pupils if c.pupils else None, over=(*key, "pupils"))
    for b in ("high", "medium"):
        release.ratio((*key, f"{b}_share"), (*key, b), (*key, "scored"))
    release.statistic((*key, "expected"), c.risk_sum if c.scored else None, over=(*key, "scored"))


def _declare_portrait_vsv(release: disclosure.Release, key: tuple, r: portrait.VsvYear, *, displayed: bool = True) -> None:
    """Leavers, unqualified and (not printed) qualified leavers of one column in one school year."""
    shown = displayed and key[-1] != "rest"
    release.count((*key, "n"), r.leavers, displayed=shown)
    release.count((*key, "u"), r.unqualified, displayed=shown)
    release.count((*key, "q"), r.leavers - r.unqualified, displayed=False)
    release.relate((*key, "n"), [(*key, "u"), (*key, "q")])
    release.ratio((*key, "rate"), (*key, "u"), (*key, "n"))


def astuple_spread(s: brief.Spread | None) -> tuple:
    """(lowest, first quartile, third quartile, highest) of a range of similar schools, or Nones."""
    return (None, None, None, None) if s is None else (s.low, s.q1, s.q3, s.high)


def _count_text(f: disclosure.Figure) -> str:
    return charts.fmt(f.value, "count") if f.shown else str(f)


def _derived_text(f: disclosure.Figure, kind: str = "number", digits: int | None = None, sign: bool = False) -> str:
    """A share or mean in the reader's locale (nl-BE: ``7,4``): its value, ``–`` when it has no base,
    ``<5`` or ``×`` when suppressed with its counts."""
    if f.shown:
        if f.value is None:
            return "–"
        text = charts.fmt(f.value, kind, digits)
        return "+" + text if sign and f.value > 0 else text
    return str(f)


def school_portrait(user, school: School, school_year: str | None = None) -> dict:
    """Aggregates of one school in one school year, beside its OKI comparison group and the city,
    published through one disclosure release (``kernel.disclosure``): the key figures of the three
    columns, the charts and the VSV table of six school years, with the relations a reader can see
    (the city is the school plus its group plus the other schools; leavers are unqualified plus
    qualified; ...). Staff of the school see their own school's column unsuppressed. 404 outside scope."""
    if not schools_for_portrait(user).filter(pk=school.pk).exists():
        raise Http404("no such school")
    school_year = school_year or school_year_of(clock.today())
    suppress = not is_staff_of(user, school)

    # every school's counts, absences and risk scores: the city column is the whole city
    counts, day = cached("portrait-city-counts", lambda: portrait.city_counts(school_year), school_year)
    levels = portrait.school_levels()
    quintiles = portrait.oki_quintiles(counts, levels)
    quintile = quintiles.get(school.pk)
    peers = [sid for sid, q in quintiles.items() if q == quintile and sid != school.pk and levels.get(sid) == school.level] if quintile else []
    own = counts.get(school.pk, portrait.SchoolYearCounts())
    group = portrait.SchoolYearCounts()
    for sid in peers:
        group.add(counts[sid])
    rest = portrait.SchoolYearCounts()
    for sid, c in counts.items():
        if sid != school.pk and sid not in peers:
            rest.add(c)
    city = portrait.SchoolYearCounts()
    for c in (own, group, rest):
        city.add(c)

    # VSV trend and value added
    by_school, city_vsv = cached("portrait-vsv", lambda: portrait.vsv_by_school(upto=school_year), school_year)
    # only school years whose outflow is complete (the outflow report's rule)
    years = portrait.trend_years(school_year, city_vsv)

    def pooled(sids, year: str) -> portrait.VsvYear:
        total = portrait.VsvYear(year, 0, 0, 0.0)
        for sid in sids:
            r = by_school.get(sid, {}).get(year)
            if r:
                total.leavers += r.leavers
                total.unqualified += r.unqualified
                total.expected += r.expected or 0.0
        return total

    # one release: every figure of the page (and of its PDF)
    release = disclosure.Release("school portrait")
    columns = ["school", *(["group"] if peers else []), "rest", "city"]
    for col, c in zip(columns, [own, *([group] if peers else []), rest, city], strict=True):
        _declare_portrait_column(release, ("portrait", school_year, col), c, charted=col == "school")
    for name in (*_PORTRAIT_COUNTS, "delay_known"):
        release.relate(("portrait", school_year, "city", name), [("portrait", school_year, col, name) for col in columns[:-1]])
    others = [sid for sid in by_school if sid != school.pk and sid not in peers]
    for year in years:
        mine = by_school.get(school.pk, {}).get(year) or portrait.VsvYear(year, 0, 0, 0.0)
        parts = {"school": mine, "group": pooled(peers, year), "rest": pooled(others, year)}
        for col in columns[:-1]:
            _declare_portrait_vsv(release, ("vsv", year, col), parts[col])
        _declare_portrait_vsv(release, ("vsv", year, "city"), city_vsv[year])
        for part in ("n", "u", "q"):
            release.relate(("vsv", year, "city", part), [("vsv", year, col, part) for col in columns[:-1]])
        release.statistic(("vsv", year, "school", "expected"), mine.expected if mine.leavers else None, over=("vsv", year, "school", "n"))
        release.statistic(("vsv", year, "school", "value_added"), mine.value_added if mine.leavers else None,
                          over=[("vsv", year, "school", "n"), ("vsv", year, "school", "u")])
    # the range of similar schools (the brief's dots on a range): every similar school's counts, not
    # printed, related to the group's, so that no suppressed count of one can be worked out; a
    # school's share joins a range only when it is shown
    latest = years[-1] if years else None
    for sid in peers:
        _declare_portrait_column(release, ("portrait", school_year, ("peer", sid)), counts[sid], charted=False, displayed=False)
        if latest:
            r = by_school.get(sid, {}).get(latest) or portrait.VsvYear(latest, 0, 0, 0.0)
            _declare_portrait_vsv(release, ("vsv", latest, ("peer", sid)), r, displayed=False)
    if peers:
        for name in (*_PORTRAIT_COUNTS, "delay_known"):
            release.relate(("portrait", school_year, "group", name), [("portrait", school_year, ("peer", sid), name) for sid in peers])
        if latest:
            for part in ("n", "u", "q"):
                release.relate(("vsv", latest, "group", part), [("vsv", latest, ("peer", sid), part) for sid in peers])
    if not suppress:  # staff of the school see (and so know) their own school's figures as they are
        release.reader_knows(k for k in release.counts if k[2] == "school")
    pub = release.publish()
    figure = pub.__getitem__

    def row(label, name: str, text) -> Figure:
        cell = lambda col: text(figure(("portrait", school_year, col, name)))  # noqa: E731
        return Figure(str(label), cell("school"), cell("group") if peers else "–", cell("city"))

    share = lambda f: _derived_text(f, "percent", 0)  # noqa: E731
    figures = [
        row(_("Pupils"), "pupils", _count_text),
        row(_("OKI (mean, 0-4)"), "oki_mean", lambda f: _derived_text(f, digits=2)),
        row(_("Pupils with school delay (1 year or more)"), "delay_share", share),
        row(_("A-attests"), "A_share", share),
        row(_("B-attests"), "B_share", share),
        row(_("C-attests"), "C_share", share),
        row(_("Pupils with 5 or more B half days"), "b5_share", share),
        row(_("Pupils with 30 or more B half days"), "b30_share", share),
        row(_("B half days per pupil"), "b_days", lambda f: _derived_text(f, digits=1)),
        row(_("Pupils scored"), "scored", _count_text),
        row(_("High risk"), "high_share", share),
        row(_("Medium risk"), "medium_share", share),
        row(_("Expected early leavers (sum of risks)"), "expected", lambda f: _derived_text(f, digits=1)),
    ]
    figures[-1].city = ""  # a city-wide expected number is not comparable to one school's

    # the charts draw only shown figures; a suppressed one is named ("<5", "×")
    def bar(name, label, band=None) -> charts.Bar:
        f = figure(("portrait", school_year, "school", *name))
        return charts.Bar(str(label), float(f.value) if f.shown else None, band, str(f) if not f.shown else "–")

    band_names = {"low": _("low"), "medium": _("medium"), "high": _("high")}
    oki_svg = charts.bar_chart([bar(("oki", k), k) for k in range(5)], title=_("Pupils by OKI level (0-4)"),
                               kind="count", chart_id="portrait-oki-chart", width=420)
    risk_svg = charts.bar_chart([bar((b,), band_names[b], b) for b in portrait.BANDS], title=_("Pupils by risk band"),
                                kind="count", chart_id="portrait-risk-chart", width=420) if day else ""

    vsv_rows = []
    school_line, group_line, city_line = [], [], []
    for year in years:
        f = lambda col, name, year=year: figure(("vsv", year, col, name))  # noqa: E731
        vsv_rows.append({
            "year": year,
            "leavers": _count_text(f("school", "n")),
            "unqualified": _count_text(f("school", "u")),
            "rate": share(f("school", "rate")),
            "expected": _derived_text(f("school", "expected"), digits=1),
            "value_added": _derived_text(f("school", "value_added"), digits=1, sign=True),
            "group_rate": share(f("group", "rate")) if peers else "–",
            "city_rate": share(f("city", "rate")),
        })
        line = lambda fig: fig.value if fig.shown else None  # noqa: E731
        school_line.append((year, line(f("school", "rate"))))
        group_line.append((year, line(f("group", "rate")) if peers else None))
        city_line.append((year, line(f("city", "rate"))))
    series = {_("this school"): school_line}
    if peers:
        series[_("schools with similar OKI")] = group_line
    series[_("city")] = city_line
    vsv_svg = charts.line_chart(series, title=_("Early school leaving (VSV rate) per school year"), percent=True,
                                chart_id="portrait-vsv-chart", width=420) if years else ""

    # the brief: the school as a dot on the range of similar schools, and plain sentences
    def peer_values(key_of) -> list[float]:
        out = []
        for sid in peers:
            fig = figure(key_of(sid))
            if fig.shown and fig.value is not None:
                out.append(float(fig.value))
        return out

    range_specs = [
        (_("Pupils with school delay"), "delay_share"),
        (_("C-attests"), "C_share"),
        (_("Pupils with 30 or more B half days"), "b30_share"),
        (_("High risk"), "high_share"),
    ]
    range_rows, sentences = [], []
    for label, name in range_specs:
        mine = figure(("portrait", school_year, "school", name))
        s = brief.spread(peer_values(lambda sid, name=name: ("portrait", school_year, ("peer", sid), name)))
        range_rows.append(charts.RangeRow(str(label), mine.value if mine.shown else None, *(astuple_spread(s)), note=str(mine) if not mine.shown else "–"))
        sentence = brief.position_sentence(str(label), mine.value if mine.shown else None, s)
        if sentence:
            sentences.append(sentence)
    if latest:
        mine = figure(("vsv", latest, "school", "rate"))
        s = brief.spread(peer_values(lambda sid: ("vsv", latest, ("peer", sid), "rate")))
        label = _("Early school leavers (%(year)s)") % {"year": latest}
        range_rows.append(charts.RangeRow(str(label), mine.value if mine.shown else None, *(astuple_spread(s)), note=str(mine) if not mine.shown else "–"))
        n, u, e = (figure(("vsv", latest, "school", k)) for k in ("n", "u", "expected"))
        va = brief.value_added_sentence(latest, leavers=n.value if n.shown else None, actual=u.value if u.shown else None,
                                        expected=e.value if e.shown else None)
        if va:
            sentences.insert(0, va)
        elif not (n.shown and not n.value):  # leavers, but a figure of the comparison is suppressed
            sentences.insert(0, _("%(year)s: too few early school leavers to compare with the expected number (numbers under 5 are not shown).")
                             % {"year": latest})
    range_svg = charts.range_chart(
        range_rows, title=ngettext("This school among %(n)s school with similar OKI", "This school among %(n)s schools with similar OKI", len(peers))
        % {"n": len(peers)}, percent=True,
        school_label=_("this school"), range_label=_("similar schools: lowest to highest, the middle half darker"),
        chart_id="portrait-range-chart") if peers else ""

    comment = PortraitComment.objects.filter(school=school, school_year=school_year).first()
    audited_read(user=user, subject_type="school", subjects=[], object_repr=school.school_number, purpose="school portrait",
                 detail={"school_year": school_year, "suppressed": suppress})
    return {
        "school": school,
        "school_year": school_year,
        "suppressed": suppress or bool(pub.suppressed),
        "quintile": quintile,
        "peer_count": len(peers),
        "figures": figures,
        "vsv_rows": vsv_rows,
        "reference_date": day,
        "oki_svg": oki_svg,
        "risk_svg": risk_svg,
        "vsv_svg": vsv_svg,
        "range_svg": range_svg,
        "sentences": sentences,
        "oki_line": brief.oki_line(),
        "comment": comment,
        "can_comment": is_staff_of(user, school),
        "model_run": portrait.scored_run() if day else None,
    }


def schools_of_user(user) -> QuerySet[School]:
    """The schools whose risk list the user may open."""
    if not may_see_scores(user):
        return School.objects.none()
    return schools_of(user).order_by("name")


def score_export_keys(scores) -> tuple[dict[int, str], dict[int, str]]:
    """For the operator's score export (``leerloopbaan ews score``, no user: the command runs as the
    system): the pupil key of every scored pupil id and the school number of every school id. The
    command records the export, naming every pupil."""
    if scores is None or len(scores) == 0:
        return {}, {}
    every = dict(Pupil.objects.values_list("id", "pupil_key"))  # one pass; an IN list of 100,000 ids is not portable
    keys = {int(i): every[int(i)] for i in dict.fromkeys(scores["pupil_id"])}
    numbers = dict(School.objects.values_list("id", "school_number"))
    return keys, numbers


# --- model card -------------------------------------------------------------------------------

CARD_ROLES = PORTRAIT_ROLES  # every role that sees scores or figures made from them
FOLD_METRICS = ("auc", "average_precision", "precision_at_top", "recall_at_top", "ece")
SHARE_METRICS = frozenset({"precision_at_top", "recall_at_top", "precision_at_capacity", "recall_at_capacity",
                           "precision_at_operating_point", "recall_at_operating_point"})
FAIRNESS_RATES = ("selection_rate", "tpr", "fpr", "precision", "calibration")


def may_see_model_card(user) -> bool:
    return _active(user) and user.role in CARD_ROLES


def _shown(value) -> disclosure.Figure | None:
    """A model metric (not a count of pupils) as a shown figure, for the one formatting of rates."""
    try:
        return None if value is None else disclosure.Figure(disclosure.SHOWN, float(value))
    except (TypeError, ValueError):
        return None


def _metric_cells(metrics: dict) -> list[dict]:
    return [{"share": key in SHARE_METRICS, "figure": _shown(metrics.get(key))} for key in FOLD_METRICS]


def model_card(user, version: str | None = None) -> dict:
    """The model card of a run (by version; by default the run that scores now, else the latest
    training): its release verdict and the reasons, the figures of its training report (validation
    per held-out cohort and pooled, the fairness audit per group) and whether it scores. Readable by
    every role that sees scores or figures made from them; the counts of pupils in it (held-out rows
    per cohort and per group) go through one disclosure release. 404 for others and unknown runs."""
    from leerloopbaan.ews.engine.modelcard import MODEL_NAMES

    if not may_see_model_card(user):
        raise Http404("no model card")
    active = ModelRun.objects.active()
    if version is None:
        run = active or ModelRun.objects.newest_first().exclude(model_name=BASELINE_MODEL).first() or ModelRun.objects.newest_first().first()
    else:
        run = ModelRun.objects.filter(version=version).first()
        if run is None:
            raise Http404("no such model run")
    if run is None:
        audited_read(user=user, subject_type="aggregate", subjects=[], purpose="model card", object_repr="none")
        return {"run": None}
    report = run.report if isinstance(run.report, dict) else {}
    release = run.release
    data = report.get("data") or {}
    selection = report.get("selection") or {}
    fairness = report.get("fairness") or {}

    pub_release = disclosure.Release("model card")
    for name in ("rows", "pupils", "positives"):
        if data.get(name) is not None:
            pub_release.count(("data", name), int(data[name]))
    folds = []
    for i, fold in enumerate(report.get("folds") or []):
        rows = []
        for name, metrics in (fold.get("models") or {}).items():
            key = pub_release.count(("fold", i, name), int(metrics.get("n") or 0))
            rows.append({"model": name, "chosen": name == selection.get("chosen"), "n": key, "cells": _metric_cells(metrics)})
        folds.append({"cohort": fold.get("held_out_cohort"), "rows": rows})
    groups = []
    for attr, result in (fairness.get("attributes") or {}).items():
        members = result.get("groups") or {}
        for g, r in members.items():
            n = int(r.get("n") or 0)
            key = pub_release.count(("group", attr, g), n)
            # the counts a reader can work out from a group's rates (flagged = selection rate x n, leavers,
            # leavers found = TPR x leavers) are declared too: a rate shows only when none of them is small
            behind = [key]
            positives = r.get("positives")
            selection_rate = r.get("selection_rate")
            if selection_rate is not None:
                behind.append(pub_release.count((*key, "flagged"), round(float(selection_rate) * n), displayed=False))
            if positives is not None:
                behind.append(pub_release.count((*key, "leavers"), int(positives), displayed=False))
                if r.get("tpr") is not None:
                    behind.append(pub_release.count((*key, "found"), round(float(r["tpr"]) * int(positives)), displayed=False))
            for rate in FAIRNESS_RATES:
                pub_release.statistic((*key, rate), r.get(rate), over=behind)
        if members:
            pub_release.total(("group", attr, "*"), [("group", attr, g) for g in members], displayed=False)
        groups.append((attr, result.get("reference"), members))
    pub = pub_release.publish()
    for fold in folds:
        for row in fold["rows"]:
            row["n"] = pub[row["n"]]
    fairness_rows = [
        {"attribute": attr, "group": g, "reference": g == reference, "n": pub[("group", attr, g)],
         "rates": [{"figure": pub[("group", attr, g, rate)], "share": rate != "calibration"} for rate in FAIRNESS_RATES],
         "disparities": ", ".join(r.get("disparities") or [])}
        for attr, reference, members in groups for g, r in members.items()
    ]
    pooled = [{"model": name, "chosen": name == selection.get("chosen"), "cells": _metric_cells(m)}
              for name, m in (report.get("held_out") or {}).items() if isinstance(m, dict)]
    baseline = release.get("baseline")
    audited_read(user=user, subject_type="aggregate", subjects=[], purpose="model card", object_repr=run.version)
    return {
        "run": run,
        "line": model_line(run),
        "scores_now": active is not None and active.pk == run.pk,
        "active_line": model_line(active) if active is not None and active.pk != run.pk else None,
        "active_version": active.version if active is not None else None,
        "trained_on": clock.date_of(run.created_at),
        "model_name": MODEL_NAMES.get(run.model_name, run.model_name),
        "approved": run.is_approved,
        "baseline": run.is_baseline,
        "reasons": [str(r) for r in (release.get("reasons") or run.reasons or report.get("reasons") or [])],
        "approved_on": _release_date(release.get("approved_on")) if run.is_approved else None,
        "precision": _shown(_share(release.get("precision_at_operating_point"))),
        "recall": _shown(_share(release.get("recall_at_operating_point"))),
        "fairness": release.get("fairness") if release.get("fairness") in ("passed", "failed") else None,
        "as_of_dates": [str(d) for d in (release.get("as_of_dates") or [])],
        "baseline_precision": _shown(_share(baseline.get("precision_at_operating_point"))) if isinstance(baseline, dict) else None,
        "baseline_recall": _shown(_share(baseline.get("recall_at_operating_point"))) if isinstance(baseline, dict) else None,
        "label": report.get("label", ""),
        "data": {name: pub[("data", name)] for name in ("rows", "pupils", "positives") if ("data", name) in pub_release.counts},
        "cohorts": [str(c) for c in data.get("cohorts") or []],
        "top_share": _shown(report.get("top_share")),
        "threshold": fairness.get("threshold"),
        "folds": folds,
        "pooled": pooled,
        "fairness_rows": fairness_rows,
        "suppressed": bool(pub.suppressed),
    }
