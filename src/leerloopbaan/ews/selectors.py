"""Reads of early-warning data, scoped to the acting user and audited (docs/privacy.md).

Who sees what:
- individual risk scores (risk list, a pupil's risk history): school staff for pupils scored in
  their own school, CLB workers for the schools their CLB serves, with names. Nobody else: city
  roles see pseudonyms and suppressed aggregates only; tutors, organisation contacts, care and
  tutor coordinators, young people and parents see nothing of the early warning.
- school portraits (aggregates only): school staff their own school(s), CLB workers the schools
  they serve, city analysts, programme managers and admins every school. Cells under
  ``settings.SMALL_CELL_THRESHOLD`` are suppressed unless the viewer is staff of that school.

Reasons shown are the stored school-facing reasons: context characteristics (OKI) may raise a
score but are never shown as a reason to act.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews import charts
from leerloopbaan.ews.models import FollowUp, ModelRun, PortraitComment, RiskScore
from leerloopbaan.ews.school import portrait
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for, audited_read
from leerloopbaan.kernel.caching import cached
from leerloopbaan.kernel.panels import PupilSubject
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry import measures
from leerloopbaan.registry.models import Absence, Pupil, School
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
RISK_LIST_LIMIT = 500


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


def reasons_in(reasons: list[dict], lang: str | None = None) -> list[str]:
    lang = (lang or get_language() or "nl")[:2]
    key = "text_nl" if lang == "nl" else "text_en"
    return [r.get(key) or r.get("text_en") or "" for r in reasons or []]


# --- risk list ------------------------------------------------------------------------------

@dataclass
class RiskRow:
    score: RiskScore
    label: str
    reasons: list[str]
    previous_risk: float | None
    previous_band: str | None
    last_follow_up: FollowUp | None = None

    @property
    def pupil_key(self) -> str:
        return self.score.pupil.pupil_key

    @property
    def change(self) -> float | None:
        return None if self.previous_risk is None else self.score.risk - self.previous_risk


@dataclass
class RiskList:
    rows: list[RiskRow] = field(default_factory=list)
    total: int = 0
    expected_leavers: float = 0.0
    reference_date: datetime.date | None = None
    schools: list[School] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    tracks: list[str] = field(default_factory=list)
    truncated: bool = False


def risk_list(user, school: School | None = None, grade: str | None = None, track: str | None = None, band: str | None = None,
              *, limit: int = RISK_LIST_LIMIT) -> RiskList:
    """The latest score of the latest run per pupil in the user's schools (highest risk first), with
    the previous score, the reasons and the latest follow-up; audited as one read."""
    if not may_see_scores(user):
        raise Http404("no risk list")
    schools = list(schools_of(user).order_by("name"))
    if school is not None and school.pk not in {s.pk for s in schools}:
        raise Http404("no such school")
    run = portrait.scored_run()
    out = RiskList(schools=schools)
    if run is None:
        audited_read(user=user, subject_type="pupil", subjects=[], purpose="risk list")
        return out
    base = RiskScore.objects.visible_to(user).filter(model_run=run)
    if school is not None:
        base = base.filter(school=school)
    day = base.order_by("-reference_date").values_list("reference_date", flat=True).first()
    out.reference_date = day
    qs = base.filter(reference_date=day)
    out.grades = sorted(g for g in set(qs.values_list("grade", flat=True)) if g)
    out.tracks = sorted(t for t in set(qs.values_list("track", flat=True)) if t)
    if grade:
        qs = qs.filter(grade=grade)
    if track:
        qs = qs.filter(track=track)
    if band:
        qs = qs.filter(band=band)
    out.total = qs.count()
    out.expected_leavers = float(qs.aggregate(s=Sum("risk"))["s"] or 0.0)
    previous = RiskScore.objects.filter(pupil=OuterRef("pupil"), reference_date__lt=OuterRef("reference_date")).order_by(
        "-reference_date", "-model_run__created_at")
    qs = qs.annotate(previous_risk=Subquery(previous.values("risk")[:1]), previous_band=Subquery(previous.values("band")[:1]))
    related = ["pupil", "school"] + (["pupil__name"] if names_visible(user) else [])
    scores = list(qs.select_related(*related).order_by("-risk", "pupil__pupil_key")[:limit])
    out.truncated = out.total > len(scores)
    follow_ups: dict[int, FollowUp] = {}
    for f in FollowUp.objects.visible_to(user).filter(pupil_id__in=[s.pupil_id for s in scores]).order_by("at"):
        follow_ups[f.pupil_id] = f
    lang = get_language()
    out.rows = [
        RiskRow(score=s, label=display_name(user, s.pupil), reasons=reasons_in(s.reasons, lang), previous_risk=s.previous_risk,
                previous_band=s.previous_band, last_follow_up=follow_ups.get(s.pupil_id))
        for s in scores
    ]
    audited_read(user=user, subject_type="pupil", subjects=[s.pupil.pupil_key for s in scores], purpose="risk list",
                 detail={"school": school.school_number if school else None, "grade": grade, "track": track, "band": band})
    return out


def latest_score_for(user, pupil: Pupil) -> RiskScore | None:
    """The pupil's latest score the user may see (for recording a follow-up); not a read of new data."""
    return RiskScore.objects.visible_to(user).filter(pupil=pupil).order_by("-reference_date", "-model_run__created_at").first()


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
                        until: datetime.date | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
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
    for day, code in absences.values_list("date", "code"):
        key = f"{day.year:04d}-{day.month:02d}"
        all_days[key] += 1
        if code == "B":
            b_days[key] += 1
    return [(k, all_days[k]) for k in keys], [(k, b_days[k]) for k in keys]


def pupil_page_risk(subject: PupilSubject) -> dict:
    """The early warning's panel of the pupil page: absences per month (SVG) and B half days per
    school year, the signals the model reads, and for roles that see scores the risk history with
    its reasons. Cut at the subject's ``visible_until`` (a pupil who left the user's schools: nothing
    after the end of the last enrolment there). No scope check and no audit entry: the page did both."""
    user, pupil, until = subject.user, subject.pupil, subject.visible_until
    all_days, b_days = _absences_per_month(pupil, until=until)
    absence_svg = charts.line_chart(
        {_("all absences"): [(k[2:], float(v)) for k, v in all_days], _("B: problematic / unjustified"): [(k[2:], float(v)) for k, v in b_days]},
        title=_("Half days absent per month"), y_label=_("half days"))
    absences = Absence.objects.filter(pupil=pupil) if until is None else Absence.objects.filter(pupil=pupil, date__lte=until)
    b_years = measures.b_half_days(absences.values_list("date", "code"))
    return {
        "absence_svg": absence_svg,
        "absence_months": all_days,
        "b_years": list(b_years.values()),
        "risk_history": _risk_history(user, pupil) if may_see_scores(user) else None,
    }


def _risk_history(user, pupil: Pupil) -> list[dict]:
    lang = get_language()
    rows = []
    seen = set()
    for s in RiskScore.objects.visible_to(user).filter(pupil=pupil).select_related("school", "model_run").order_by(
            "-reference_date", "-model_run__created_at"):
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


def school_portrait(user, school: School, school_year: str | None = None) -> dict:
    """Aggregates of one school in one school year, beside its OKI comparison group and the city;
    cells under the threshold suppressed unless the user is staff of the school. 404 outside scope."""
    if not schools_for_portrait(user).filter(pk=school.pk).exists():
        raise Http404("no such school")
    school_year = school_year or school_year_of(clock.today())
    suppress = not is_staff_of(user, school)
    threshold = settings.SMALL_CELL_THRESHOLD

    def count(n: int | None, *, own: bool = True) -> str:
        if n is None:
            return "–"
        if (suppress or not own) and n < threshold:
            return "<5"
        return f"{n:,}".replace(",", " ")

    def share(num: int, den: int, *, own: bool = True, digits: int = 0) -> str:
        if not den:
            return "–"
        if (suppress or not own) and (num < threshold or den < threshold):
            return "<5"
        return f"{100 * num / den:.{digits}f}%"

    def mean(total: float, den: int, *, own: bool = True, fmt: str = "{:.2f}") -> str:
        if not den:
            return "–"
        if (suppress or not own) and den < threshold:
            return "<5"
        return fmt.format(total / den)

    def total(value: float, den: int, *, own: bool = True) -> str:
        if not den:
            return "–"
        if (suppress or not own) and den < threshold:
            return "<5"
        return f"{value:.1f}"

    counts = cached("portrait-year-counts", lambda: portrait.year_counts(school_year), school_year)
    levels = portrait.school_levels()
    quintiles = portrait.oki_quintiles(counts, levels)
    quintile = quintiles.get(school.pk)
    peers = [sid for sid, q in quintiles.items() if q == quintile and sid != school.pk and levels.get(sid) == school.level] if quintile else []
    portrait.add_absences(counts, [school.pk, *peers], school_year)
    day = portrait.add_risks(counts, [school.pk, *peers], school_year)
    own = counts.get(school.pk, portrait.SchoolYearCounts())
    group = portrait.SchoolYearCounts()
    for sid in peers:
        group.add(counts[sid])
    city = portrait.SchoolYearCounts()
    for c in counts.values():
        city.add(c)

    def row(label, fn) -> Figure:
        return Figure(str(label), fn(own, True), fn(group, False) if peers else "–", fn(city, False))

    att_total = lambda c: sum(c.attestations[r] for r in portrait.RESULTS)  # noqa: E731
    figures = [
        row(_("Pupils"), lambda c, o: count(c.pupils, own=o)),
        row(_("OKI (mean, 0-4)"), lambda c, o: mean(c.oki_sum, c.oki_known, own=o)),
        row(_("Pupils with school delay (1 year or more)"), lambda c, o: share(c.delayed, c.delay_known, own=o)),
        row(_("A-attests"), lambda c, o: share(c.attestations["A"], att_total(c), own=o)),
        row(_("B-attests"), lambda c, o: share(c.attestations["B"], att_total(c), own=o)),
        row(_("C-attests"), lambda c, o: share(c.attestations["C"], att_total(c), own=o)),
        row(_("Pupils with 5 or more B half days"), lambda c, o: share(c.b_pupils_5, c.pupils, own=o)),
        row(_("Pupils with 30 or more B half days"), lambda c, o: share(c.b_pupils_30, c.pupils, own=o)),
        row(_("B half days per pupil"), lambda c, o: mean(c.b_half_days, c.pupils, own=o, fmt="{:.1f}")),
        row(_("Pupils scored"), lambda c, o: count(c.scored, own=o)),
        row(_("High risk"), lambda c, o: share(c.bands["high"], c.scored, own=o)),
        row(_("Medium risk"), lambda c, o: share(c.bands["medium"], c.scored, own=o)),
        row(_("Expected early leavers (sum of risks)"), lambda c, o: total(c.risk_sum, c.scored, own=o)),
    ]
    figures[-1].city = ""  # a city-wide expected number is not comparable to one school's

    # OKI mix and risk bands as charts (suppressed bars left empty)
    def maybe(n: int) -> float | None:
        return None if suppress and n < threshold else float(n)

    oki_svg = charts.bar_chart([(str(k), maybe(own.oki_levels[k])) for k in range(5)], title=_("Pupils by OKI level (0-4)"))
    risk_svg = charts.bar_chart([(_(b), maybe(own.bands[b])) for b in portrait.BANDS], title=_("Pupils by risk band"))

    # VSV trend and value added
    by_school, city_vsv = cached("portrait-vsv", lambda: portrait.vsv_by_school(upto=school_year), school_year)
    # only school years with an outcome: the year after them has started (the current year has none yet)
    this_year = school_year_of(clock.today())
    years = [y for y in portrait.current_years(school_year) if y in city_vsv and y < this_year]

    def pooled(sids: list[int], year: str) -> portrait.VsvYear:
        total = portrait.VsvYear(year, 0, 0, 0.0)
        for sid in sids:
            r = by_school.get(sid, {}).get(year)
            if r:
                total.leavers += r.leavers
                total.unqualified += r.unqualified
                total.expected += r.expected or 0.0
        return total

    vsv_rows = []
    school_line, group_line, city_line = [], [], []
    for year in years:
        r = by_school.get(school.pk, {}).get(year) or portrait.VsvYear(year, 0, 0, 0.0)
        g = pooled(peers, year)
        c = city_vsv[year]
        hidden = suppress and (r.leavers < threshold or r.unqualified < threshold)
        g_hidden = g.leavers < threshold or g.unqualified < threshold
        vsv_rows.append({
            "year": year,
            "leavers": count(r.leavers),
            "unqualified": count(r.unqualified),
            "rate": "<5" if hidden else share(r.unqualified, r.leavers),
            "expected": "<5" if hidden else (f"{r.expected:.1f}" if r.leavers else "–"),
            "value_added": "<5" if hidden else (f"{r.value_added:+.1f}" if r.leavers else "–"),
            "group_rate": "<5" if g_hidden and g.leavers else share(g.unqualified, g.leavers, own=False),
            "city_rate": share(c.unqualified, c.leavers, own=False),
        })
        school_line.append((year, None if hidden or not r.leavers else r.rate))
        group_line.append((year, None if g_hidden else g.rate))
        city_line.append((year, c.rate))
    series = {_("this school"): school_line}
    if peers:
        series[_("schools with similar OKI")] = group_line
    series[_("city")] = city_line
    vsv_svg = charts.line_chart(series, title=_("Early school leaving (VSV rate)"), y_label=_("VSV rate"), percent=True)

    comment = PortraitComment.objects.filter(school=school, school_year=school_year).first()
    audited_read(user=user, subject_type="school", subjects=[], object_repr=school.school_number, purpose="school portrait",
                 detail={"school_year": school_year, "suppressed": suppress})
    return {
        "school": school,
        "school_year": school_year,
        "suppressed": suppress,
        "quintile": quintile,
        "peer_count": len(peers),
        "figures": figures,
        "vsv_rows": vsv_rows,
        "reference_date": day,
        "oki_svg": oki_svg,
        "risk_svg": risk_svg,
        "vsv_svg": vsv_svg,
        "comment": comment,
        "can_comment": is_staff_of(user, school),
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
