"""Reads of pupil data, scoped to the acting user and audited (the pattern of kernel.access).

Who sees what:
- school staff: pupils with an enrolment (now or earlier) in a school of their active membership,
  with names;
- CLB workers: pupils with an enrolment in a school their CLB serves, with names;
- school staff and CLB workers see a pupil's records only inside the windows of the pupil's
  enrolments in their schools (``records_visible``): from the first day of an enrolment there, never
  the earlier history (that reaches a new school only through a warm handover, under consent), and
  for a pupil who has left (no current or future enrolment there) only up to the end of the last
  enrolment there (``records_visible_until``): the old school keeps the history it had, not the new
  school's data. The early-warning score and its reasons stay visible (the city computes them);
- city analysts and admins: every pupil, by pseudonym only, never names;
- programme managers: no individual records, only aggregates (outflow, indicators);
- a young person: themself; a parent: their children (through PupilAccountLink);
- every other role: no pupil records (tutors and care workers get theirs through their own apps).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for
from leerloopbaan.kernel.paging import page_of
from leerloopbaan.kernel.panels import PupilSubject, Windows
from leerloopbaan.kernel.schoolyear import next_school_year, school_year_of
from leerloopbaan.registry import measures, pseudonymised
from leerloopbaan.registry.models import Enrolment, ImportRun, Pupil, PupilAccountLink, School
from leerloopbaan.registry.vocabulary import district_of_postcode

NAME_ROLES = {Role.SCHOOL_STAFF, Role.CLB_WORKER}
CITY_ROLES = {Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN}
PSEUDONYM_ROLES = {Role.CITY_ANALYST, Role.ADMIN}


def schools_of(user) -> QuerySet[School]:
    """The schools a user works for or serves (school staff: own school; CLB: schools served)."""
    memberships = user.active_memberships()
    if user.role == Role.SCHOOL_STAFF:
        return School.objects.filter(pk__in=memberships.filter(school__isnull=False).values("school_id"))
    if user.role == Role.CLB_WORKER:
        return School.objects.filter(clb_id__in=memberships.filter(clb__isnull=False).values("clb_id"))
    if user.role in CITY_ROLES:
        return School.objects.all()
    return School.objects.none()


def pupil_scope(user, qs: QuerySet[Pupil] | None = None) -> QuerySet[Pupil]:
    """The rule: every pupil row (of ``qs``, default all) the user may see. ``Pupil.objects.visible_to(user)``
    applies it; the only way to start a query on Pupil for a user."""
    qs = Pupil.objects.all() if qs is None else qs
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if user.role in NAME_ROLES:
        enrolled = Enrolment.objects.filter(school__in=schools_of(user)).values("pupil_id")
        return qs.filter(pk__in=enrolled)
    if user.role in PSEUDONYM_ROLES:
        return qs
    if user.role == Role.YOUTH:
        return qs.filter(account_links__user=user, account_links__relation=PupilAccountLink.Relation.SELF)
    if user.role == Role.PARENT:
        # parental authority ends when the child comes of age: from 18 the young person decides
        return qs.filter(account_links__user=user, account_links__relation=PupilAccountLink.Relation.PARENT,
                         birth_date__gt=adulthood_cutoff())
    return qs.none()


AGE_OF_MAJORITY = 18


def adulthood_cutoff(day: datetime.date | None = None) -> datetime.date:
    """The last birth date of someone who is of age (18) on ``day`` (Brussels today by default)."""
    return measures.born_by(AGE_OF_MAJORITY, day or clock.today())


def my_children(*, user) -> list[Pupil]:
    """A parent's children who are still minors (the parent's custody), by name; audited as one read."""
    if user.role != Role.PARENT:
        return []
    children = list(Pupil.objects.visible_to(user).select_related("name").order_by("birth_date", "pk"))
    if children:
        access_for(user).record(children, purpose="parent: my children")
    return children


def pupil_export(subject: PupilSubject) -> dict:
    """A pupil's own registry data as plain values (a young person's or parent's export), cut to the
    subject's windows; the page or download that calls it scoped and audited the pupil."""
    pupil = subject.pupil
    records = _records(subject.user, pupil, subject.visible_until, subject.visible)
    absences = subject.cut(pupil.absences.select_related("school").order_by("date", "pk"), "date")
    return {
        "pupil": {"name": subject.label, "birth_date": pupil.birth_date.isoformat(), "sex": pupil.sex,
                  "postcode": pupil.postcode},
        "enrolments": [{"school": e.school.name, "school_year": e.school_year, "grade": f"{e.grade}{e.stream}",
                        "track": e.track, "start_date": e.start_date.isoformat(),
                        "end_date": e.end_date.isoformat() if e.end_date else None, "end_reason": e.end_reason}
                       for e in records["enrolments"]],
        "attestations": [{"school": a.school.name, "school_year": a.school_year,
                          "grade": a.grade, "result": a.result, "qualification": a.qualification}
                         for a in records["attestations"]],
        "absences": [{"date": a.date.isoformat(), "half_day": a.half_day, "code": a.code,
                      "meaning": str(a.get_code_display()), "school": a.school.name} for a in absences],
    }


def names_visible(user) -> bool:
    return user.role in NAME_ROLES or user.role in (Role.YOUTH, Role.PARENT)


def pupil_list(*, user, school: School | None = None, limit: int = 100, offset: int = 0, purpose: str = "pupil list") -> list[Pupil]:
    """A page of pupils visible to the user (optionally of one school), audited as one read."""
    qs = Pupil.objects.all()
    if school is not None:
        qs = qs.filter(pk__in=Enrolment.objects.filter(school=school).values("pupil_id"))
    if names_visible(user):
        qs = qs.select_related("name")
    return access_for(user).list(qs.order_by("pk"), purpose=purpose, limit=limit, offset=offset,
                                 detail={"school": school.school_number if school else None, "offset": offset})


PUPIL_PAGE = 50


@dataclass
class PupilListPage:
    """One page of the pupil list: ``page`` (a Django ``Page`` of pupils, each with ``label``,
    ``class_group``, ``grade``, ``school_name`` and ``last_day`` of their latest enrolment in the user's
    schools), the ``classes`` to filter on and how many pupils match."""

    page: Page
    classes: list[str]
    total: int
    former: bool


def _current_enrolments(user, today: datetime.date) -> QuerySet[Enrolment]:
    """Enrolments in the user's schools that have not ended: running today, or starting later (a pupil
    registered for the next school year is a current pupil over the summer)."""
    return Enrolment.objects.filter(school__in=schools_of(user)).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def pupil_list_page(*, user, former: bool = False, q: str = "", class_group: str = "", page: int | str = 1,
                    per_page: int = PUPIL_PAGE) -> PupilListPage:
    """The pupil list of school staff and CLB workers, sorted by name: the current pupils of the user's
    schools (an enrolment there that has not ended), or with ``former`` the pupils who left them. A search
    by name (every word in the first or last name) and a class filter. Audited as one read of the pupils
    on the page; the number of queries does not grow with the number of pupils."""
    if not names_visible(user) or user.role not in NAME_ROLES:
        raise Http404("no pupil list")
    today = clock.today()
    access = access_for(user)
    current = _current_enrolments(user, today)
    qs = access.filter(Pupil.objects.all())
    qs = qs.exclude(pk__in=current.values("pupil_id")) if former else qs.filter(pk__in=current.values("pupil_id"))
    # the class, grade and school of the latest enrolment in the user's schools (the current one, for current pupils)
    mine = Enrolment.objects.filter(pupil=OuterRef("pk"), school__in=schools_of(user))
    if former:
        latest = mine.order_by("-start_date", "-pk")
    else:  # the running enrolment (the earliest that has not ended), else the one that starts next
        latest = mine.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).order_by("start_date", "pk")
    qs = qs.annotate(class_group=Subquery(latest.values("class_group")[:1]), grade=Subquery(latest.values("grade")[:1]),
                     school_name=Subquery(latest.values("school__name")[:1]), last_day=Subquery(latest.values("end_date")[:1]))
    classes = sorted({c for c in current.exclude(class_group="").values_list("class_group", flat=True).distinct()})
    if class_group:
        qs = qs.filter(class_group=class_group[:20])
    for word in " ".join(q.split())[:100].split():
        qs = qs.filter(Q(name__first_name__icontains=word) | Q(name__last_name__icontains=word))
    qs = qs.select_related("name").order_by("name__last_name", "name__first_name", "pk")
    paginator = Paginator(qs, per_page)
    shown = page_of(paginator, page)
    rows = list(shown.object_list)
    for pupil in rows:
        pupil.label = display_name(user, pupil)
    shown.object_list = rows
    access.record(rows, subject_type="pupil", purpose="pupil list",
                  detail={"former": former, "class": class_group or None, "search": bool(q), "page": shown.number})
    return PupilListPage(page=shown, classes=classes, total=paginator.count, former=former)


def pupil_count(*, user) -> int:
    """How many pupils the user may see (a number, not a read of anyone)."""
    return Pupil.objects.visible_to(user).count()


def pupil_get(*, user, pupil_key: str, purpose: str = "pupil record") -> Pupil:
    """One pupil the user may see, or Http404; audited (once per unit of work, whatever else reads the pupil)."""
    qs = Pupil.objects.select_related("name") if names_visible(user) else Pupil.objects.all()
    return access_for(user).get(qs, purpose=purpose, pupil_key=pupil_key)


def pupil_for_update(*, user, pupil_key: str) -> Pupil:
    """A pupil in the user's scope for a write (the service's entry names the pupil; no read entry), or 404."""
    pupil = Pupil.objects.visible_to(user).filter(pupil_key=pupil_key).first()
    if pupil is None:
        raise Http404("no such pupil")
    return pupil


def schools_of_pupil(*, user, pupil: Pupil) -> list[School]:
    """The user's schools the pupil is or was enrolled in (of a pupil already read), by name."""
    access_for(user).require(pupil)
    return list(schools_of(user).filter(pk__in=Enrolment.objects.filter(pupil=pupil).values("school_id")).order_by("name"))


def records_visible_until(user, pupil: Pupil, today: datetime.date | None = None) -> datetime.date | None:
    """The last date of the pupil's records the user may see, or None for all of them.

    School staff and CLB workers see a pupil who has left their schools (no enrolment there that is
    still open or ends today or later) only up to the end of the pupil's last enrolment there."""
    if user.role not in NAME_ROLES:
        return None
    today = today or clock.today()
    mine = Enrolment.objects.filter(pupil=pupil, school__in=schools_of(user))
    if mine.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exists():
        return None
    return mine.aggregate(last=Max("end_date"))["last"]


def records_visible(user, pupil: Pupil) -> Windows | None:
    """The windows of the pupil's records the user may see, or None for all of them: for school staff
    and CLB workers the pupil's enrolments in their schools (from the first day of each)."""
    if user.role not in NAME_ROLES:
        return None
    mine = Enrolment.objects.filter(pupil=pupil, school__in=schools_of(user)).order_by("start_date")
    return Windows(tuple(mine.values_list("start_date", "end_date")))


def pupil_records(*, user, pupil: Pupil) -> dict:
    """Enrolments, absences per year, attestations of a pupil already obtained through pupil_get.

    ``visible``: None, or the windows of the pupil's records the user may see (``records_visible``);
    ``visible_until``: None, or the date after which the user sees nothing of the pupil (see
    ``records_visible_until``); enrolments, attestations and characteristics are cut to them, and
    readers of other records of the pupil (absences, the pupil page) cut them there too."""
    access_for(user).require(pupil)
    return _records(user, pupil, records_visible_until(user, pupil), records_visible(user, pupil))


def _records(user, pupil: Pupil, until: datetime.date | None, windows: Windows | None = None) -> dict:
    enrolments = pupil.enrolments.select_related("school").order_by("start_date")
    attestations = pupil.attestations.select_related("school").order_by("school_year")
    characteristics = pupil.characteristics.order_by("as_of")
    if until is not None:
        last_year = school_year_of(until)
        enrolments = enrolments.filter(start_date__lte=until)
        # attestations of earlier years, and of the leaving year only those of the user's schools
        attestations = attestations.filter(Q(school_year__lt=last_year) | Q(school_year=last_year, school__in=schools_of(user)))
        characteristics = characteristics.filter(as_of__lte=until)
    enrolments, attestations, characteristics = list(enrolments), list(attestations), list(characteristics)
    if windows is not None:
        enrolments, attestations, characteristics = _in_windows(user, windows, enrolments, attestations, characteristics)
    return {
        "enrolments": enrolments,
        "attestations": attestations,
        "characteristics": characteristics,
        "visible_until": until,
        "visible": windows,
    }


def _in_windows(user, windows: Windows, enrolments: list, attestations: list, characteristics: list) -> tuple[list, list, list]:
    """The records inside the user's windows.

    - an enrolment that meets a window (the user's own, and another school's only where it overlaps);
    - an attestation of a school year inside a window; of the school year in which a window starts
      or ends only the user's schools' own (the year before or after is another school's);
    - the characteristics registered inside a window, and the ones in force on the first day of each
      window (the pupil's situation when they arrived), never the older ones."""
    mine = set(schools_of(user).values_list("pk", flat=True))
    enrolments = [e for e in enrolments if windows.overlaps(e.start_date, e.end_date)]
    inner: set[str] = set()
    edge: set[str] = set()
    for start, end in windows.periods:
        first, last = school_year_of(start), school_year_of(end or clock.today())
        edge.update({first, last})
        year = first
        while year < last:
            year = next_school_year(year)
            inner.add(year)
    inner -= edge
    attestations = [a for a in attestations if a.school_year in inner or (a.school_year in edge and a.school_id in mine)]
    in_force = set()
    for start, _end in windows.periods:
        before = [c for c in characteristics if c.as_of <= start]
        if before:
            in_force.add(before[-1].pk)
    characteristics = [c for c in characteristics if c.pk in in_force or windows.contains(c.as_of)]
    return enrolments, attestations, characteristics


# --- the pupil page ---------------------------------------------------------------------------

def pupil_subject(*, user, pupil_key: str, purpose: str = "pupil record") -> PupilSubject:
    """The pupil of a page, scoped once and audited once (``pupil_get``), with how far back the user
    may look; every panel of the page gets this (``kernel.panels``). Http404 outside the scope."""
    pupil = pupil_get(user=user, pupil_key=pupil_key, purpose=purpose)
    return PupilSubject(user=user, pupil=pupil, label=display_name(user, pupil),
                        visible_until=records_visible_until(user, pupil), visible=records_visible(user, pupil),
                        pseudonymised=pseudonymised_view(user))


def pseudonymised_view(user) -> bool:
    """Whether the user sees pupils only as ``registry.pseudonymised`` releases them (city roles)."""
    return bool(user and user.is_authenticated) and user.role in PSEUDONYM_ROLES


@dataclass
class TimelineEvent:
    date: datetime.date
    kind: str  # enrolment | end | attestation | track
    text: str


def timeline(records: dict) -> list[TimelineEvent]:
    """Enrolments, school changes, track changes and attestations of ``records`` in date order."""
    events: list[TimelineEvent] = []
    previous_track = None
    for e in records.get("enrolments", []):
        where = e.school.name
        events.append(TimelineEvent(e.start_date, "enrolment", _("Enrolled in %(school)s, %(grade)s %(track)s") % {
            "school": where, "grade": f"{e.grade}{e.stream}", "track": e.track or ""}))
        if previous_track and e.track and e.track != previous_track:
            down = measures.TRACK_RANK.get(e.track, 9) < measures.TRACK_RANK.get(previous_track, -1)
            text = _("Track change: %(from)s to %(to)s") % {"from": previous_track, "to": e.track}
            events.append(TimelineEvent(e.start_date, "track", text + (" ↓" if down else "")))
        if e.track:
            previous_track = e.track
        if e.end_date:
            reason = e.get_end_reason_display() if hasattr(e, "get_end_reason_display") else e.end_reason
            events.append(TimelineEvent(e.end_date, "end", _("Left %(school)s") % {"school": where} + (f" ({reason})" if e.end_reason else "")))
    for a in records.get("attestations", []):
        end_year = int(a.school_year[5:9])
        text = _("%(result)s in %(grade)s (%(year)s)") % {"result": a.get_result_display(), "grade": a.grade, "year": a.school_year}
        if a.qualification:
            text += f": {a.get_qualification_display()}"
        events.append(TimelineEvent(datetime.date(end_year, 6, 30), "attestation", text))
    order = {"end": 0, "attestation": 1, "enrolment": 2, "track": 3}
    events.sort(key=lambda ev: (ev.date, order[ev.kind]))
    return events


def pupil_page_record(subject: PupilSubject) -> dict:
    """The registry's panel of the pupil page: enrolments, attestations and the timeline, cut at the
    subject's windows (``visible``, ``visible_until``). No scope check and no audit entry: the page did both.
    For city roles (``subject.pseudonymised``): the released values and the history per school year only."""
    records = _records(subject.user, subject.pupil, subject.visible_until, subject.visible)
    if subject.pseudonymised:
        shown = pseudonymised.shown_for([subject.pupil])[0]
        return {"pseudonymised": True, "shown": shown, **pseudonymised.history(shown, records)}
    return {**records, "timeline": timeline(records)}


def display_name(user, pupil: Pupil) -> str:
    """A pupil's name for users who may see it, the short pseudonym for everyone else."""
    if names_visible(user):
        name = getattr(pupil, "name", None)
        if name is not None and (name.first_name or name.last_name):
            return f"{name.first_name} {name.last_name}".strip()
    return pupil.short_key


def import_version() -> int | None:
    """The latest committed import (a version source of ``kernel.caching``): no person data."""
    return ImportRun.objects.filter(status=ImportRun.Status.DONE).aggregate(m=Max("pk"))["m"]
def import_runs(*, user, limit: int = 10) -> list[ImportRun]:
    """The user's own latest imports (what they uploaded, not a read of anyone's records)."""
    return list(ImportRun.objects.filter(user=user).order_by("-started_at")[:limit])


def held_rows(*, user, limit: int = 20) -> list[dict]:
    """Rows of school staff's imports held for the city (a conflict with another school's enrolment),
    newest first, for city analysts and admins only: the pupil by pseudonym, never a name (the held
    values keep none). Recorded as a read of the pupils shown."""
    if user.role not in PSEUDONYM_ROLES:
        return []
    runs = [r for r in ImportRun.objects.filter(status=ImportRun.Status.DONE).order_by("-started_at")[:200] if r.held][:limit]
    keys = {h["pupil_key"] for r in runs for h in r.held}
    pupils = {p.pupil_key: p for p in Pupil.objects.visible_to(user).filter(pupil_key__in=keys)}
    if pupils:
        access_for(user).record(list(pupils.values()), purpose="import rows held for the city")
    return [{"run": r.pk, "at": r.started_at, "file": h["file"], "kind": h["kind"],
             "pupil": pupils[h["pupil_key"]].short_key, "values": _coarse(h["values"])}
            for r in runs for h in r.held if h["pupil_key"] in pupils]


def _coarse(values: dict) -> dict:
    """Held values as city roles may see them (docs/privacy.md): the birth year, the district instead
    of the postcode, the school year instead of a date. The exact values come with the city's own import."""
    out = {}
    for column, value in values.items():
        if column == "birth_date" and value:
            out["birth_year"] = str(value)[:4]
        elif column == "postcode":
            out["district"] = district_of_postcode(str(value)) if value else ""
        elif column.endswith("date") or column == "as_of":
            try:
                out[column] = school_year_of(datetime.date.fromisoformat(str(value))) if value else ""
            except ValueError:
                out[column] = ""
        else:
            out[column] = value
    return out


def school_list() -> QuerySet[School]:
    """Schools are public institutions: every logged-in user may list them."""
    return School.objects.select_related("clb").order_by("school_number")
