"""Demo tutoring: three initiatives sharing one pool, tutors in every stage of their journey,
pupils' needs, matching runs (published and one draft to review), check-ins and peer reviews.

Scaled to the city: about one tutoring need per 50 pupils enrolled today (at most 700) and one tutor
per 100 pupils (at most 300), so the Antwerp-scale demo stays quick; ``benchmarks/tutor_matching.py``
shows the engine at the seed's full scale (22,000 pupils).
Idempotent: a second call changes nothing. Call it after ``demo.accounts.create_demo_accounts``.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import demo_email
from leerloopbaan.demo.names import BOYS, GIRLS, SURNAMES
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import school_year_of
from leerloopbaan.registry.models import District, Enrolment, Level, PupilCharacteristics
from leerloopbaan.tutoring.models import (
    AgeGroup,
    CheckIn,
    Initiative,
    Match,
    PeerReview,
    ScreeningDecision,
    ScreeningItem,
    TrainingCompletion,
    TrainingModule,
    Tutor,
    TutoringNeed,
)

INITIATIVES = [
    ("Tutorproject Antwerpse hogescholen (demo)", Initiative.Kind.HIGHER_EDUCATION,
     "Studenten van de Antwerpse hogescholen en de universiteit geven bijles aan leerlingen van het secundair.",
     {"subject": 30, "level": 20, "distance": 15, "language": 15, "quality": 20}, None, {}),
    ("Bedrijven geven bijles (demo)", Initiative.Kind.COMPANY,
     "Medewerkers van havenbedrijven geven een uur per week bijles, online of op school.",
     {"subject": 25, "level": 20, "distance": 10, "language": 15, "quality": 30}, "Haven Logistiek NV (demo)", {}),
    ("Buurtbijles Antwerpen (demo)", Initiative.Kind.VOLUNTEER,
     "Buurtbewoners helpen kinderen van de lagere school met lezen, taal en rekenen.",
     {"subject": 20, "level": 15, "distance": 35, "language": 20, "quality": 10}, None,
     {"open": True, "age_groups": ["primary"]}),  # also takes primary pupils who asked another initiative
]
TUTORING_ORGANISATION = "Tutorproject Antwerpse hogescholen (demo)"

SUBJECTS_SECONDARY = ["maths", "dutch", "french", "english", "science", "study_skills"]
SUBJECTS_PRIMARY = ["reading", "dutch", "maths", "homework"]
LANGUAGES = ["en", "fr", "ar", "tr", "ber", "pl", "ro", "es", "uk", "so"]
DISTRICTS = [d for d in District.values if d != "outside"]


def level_of(grade: str) -> int | None:
    if grade.startswith("P"):
        return int(grade[1:])
    if grade.startswith("S"):
        return min(6 + int(grade[1:]), 12)
    return None


def age_group_of(level: int) -> str:
    if level <= 6:
        return AgeGroup.PRIMARY
    return AgeGroup.LOWER_SECONDARY if level <= 8 else AgeGroup.UPPER_SECONDARY


def _slots(rng: random.Random, n: int) -> list[int]:
    # after school: Wednesday afternoon, weekday evenings/afternoons, Saturday morning
    pool = [2 * 3 + 1, 0 * 3 + 1, 1 * 3 + 1, 3 * 3 + 1, 4 * 3 + 1, 0 * 3 + 2, 1 * 3 + 2, 2 * 3 + 2, 3 * 3 + 2, 5 * 3 + 0, 5 * 3 + 1]
    return sorted(rng.sample(pool, n))


def create_demo_tutoring(*, seed: int = 7) -> dict:
    if Initiative.objects.filter(name=INITIATIVES[0][0]).exists():
        return {"tutors": 0, "needs": 0, "matches": 0}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _create(random.Random(seed))


def _create(rng: random.Random) -> dict:
    coordinator = User.objects.filter(email=demo_email(Role.TUTOR_COORDINATOR)).first()
    tutor_user = User.objects.filter(email=demo_email(Role.TUTOR)).first()
    staff = User.objects.filter(email=demo_email(Role.SCHOOL_STAFF)).first()
    today = clock.today()
    year = school_year_of(today)
    enrolments = list(
        Enrolment.objects.filter(school_year=year, end_date__isnull=True, school__level=Level.SECONDARY)
        .values_list("pupil_id", "school_id", "grade", "school__district")
        .order_by("pupil_id")
    ) + list(
        Enrolment.objects.filter(school_year=year, end_date__isnull=True, school__level=Level.PRIMARY, grade__in=["P3", "P4", "P5", "P6"])
        .values_list("pupil_id", "school_id", "grade", "school__district")
        .order_by("pupil_id")
    )
    enrolments = sorted({e[0]: e for e in enrolments}.values())  # one row per pupil (school changes)
    if not enrolments:
        return {"tutors": 0, "needs": 0, "matches": 0}
    with transaction.atomic():
        initiatives = []
        for name, kind, description, weights, org_name, rules in INITIATIVES:
            org = Organisation.objects.filter(name=org_name or name).first()
            if org is None and name == TUTORING_ORGANISATION:
                org = Organisation.objects.filter(name__startswith="Tutorproject").first()
            ini = Initiative.objects.create(name=name, kind=kind, description=description, weights=weights, organisation=org,
                                            capacity=None, rules=rules)
            initiatives.append(ini)
        if coordinator:
            initiatives[0].coordinators.add(coordinator)
        tutors = _tutors(rng, initiatives, n=min(300, max(40, len(enrolments) // 100)), tutor_user=tutor_user, coordinator=coordinator,
                         today=today)
        n_needs = min(700, max(60, len(enrolments) // 50))
        needs = _needs(rng, enrolments, n=n_needs * 3 // 4, staff=staff, today=today)
        _ask(needs, initiatives)
    with transaction.atomic():
        past = _history(rng, tutors, today=today)
        _ask_matched(past)
    matches = _published_matching(rng, initiatives, coordinator=coordinator, today=today)
    checkins = _checkins(rng, matches + past, today=today)
    # newer needs wait for the next run: the demo coordinator finds a draft to review
    with transaction.atomic():
        later = _needs(rng, enrolments, n=n_needs // 4, staff=staff, today=today, recent=True)
        _ask(later, initiatives, also=initiatives[0])  # the demo coordinator's draft reviews them
    # tutors trained this month, not yet matched: the draft has proposals to review
    with transaction.atomic():
        newcomers = _tutors(rng, [initiatives[0]], n=max(12, len(tutors) // 6), tutor_user=None, coordinator=coordinator, today=today,
                            all_active=True, first_number=len(tutors) + 1)
    tutors += newcomers
    draft = None
    if coordinator is not None:
        from leerloopbaan.tutoring.matching.services import run_create

        draft = run_create(user=coordinator, initiative=initiatives[0])
    return {"initiatives": len(initiatives), "tutors": len(tutors), "needs": len(needs) + len(later) + len(past),
            "matches": len(matches) + len(past),
            "checkins": checkins, "draft_proposals": draft.matches.count() if draft else 0}


def _person(rng: random.Random) -> tuple[str, str]:
    origin = rng.choice(list(SURNAMES))
    first = rng.choice((BOYS if rng.random() < 0.5 else GIRLS)[origin][:20])
    return first, rng.choice(SURNAMES[origin][:30])


def _tutors(rng, initiatives, *, n, tutor_user, coordinator, today, all_active: bool = False, first_number: int = 1) -> list[Tutor]:
    modules = list(TrainingModule.objects.filter(required=True))
    stages = ([Tutor.Status.APPLIED] * 2 + [Tutor.Status.SCREENING] * 2 + [Tutor.Status.TRAINING] * 2 + [Tutor.Status.ACTIVE] * 16
              + [Tutor.Status.PAUSED] + [Tutor.Status.LEFT] + [Tutor.Status.REJECTED])
    created = []
    for i in range(n):
        ini = initiatives[i % len(initiatives)]
        status = stages[i % len(stages)] if i and not all_active else Tutor.Status.ACTIVE
        first, last = _person(rng)
        primary_side = ini.kind == Initiative.Kind.VOLUNTEER
        subjects = rng.sample(SUBJECTS_PRIMARY if primary_side else SUBJECTS_SECONDARY, rng.randint(1, 3))
        lo = rng.randint(1, 4) if primary_side else rng.randint(7, 9)
        hi = min(12, lo + rng.randint(2, 6))
        age_groups = sorted({age_group_of(level) for level in range(lo, hi + 1)})
        signed_up = timezone.now() - datetime.timedelta(days=rng.randint(25, 40) if all_active else rng.randint(10, 500))
        kind = {Initiative.Kind.HIGHER_EDUCATION: Tutor.Kind.STUDENT, Initiative.Kind.COMPANY: Tutor.Kind.EMPLOYEE}.get(
            ini.kind, Tutor.Kind.VOLUNTEER)
        tutor = Tutor.objects.create(
            initiative=ini, first_name=first, last_name=last, email=f"tutor{first_number + i}@voorbeeld.test", kind=kind,
            institution={Tutor.Kind.STUDENT: "Hogeschool (demo)", Tutor.Kind.EMPLOYEE: "Haven Logistiek NV (demo)"}.get(kind, ""),
            status=status, languages=sorted({"nl", *rng.sample(LANGUAGES, rng.randint(0, 2))}), subjects=subjects,
            min_level=lo, max_level=hi, age_groups=age_groups, language_support=rng.random() < 0.4,
            slots=_slots(rng, rng.randint(2, 5)), modes=rng.choice([["online", "offline"], ["offline"], ["online"], ["online", "offline"]]),
            district=rng.choice(DISTRICTS), travel_km=rng.choice([3, 5, 8, 10]), capacity=rng.choice([1, 2, 2, 3]),
            motivation="Ik wil graag helpen.", signed_up_at=signed_up,
        )
        if i == 0 and tutor_user is not None:
            tutor.user = tutor_user
            tutor.first_name, tutor.last_name, tutor.email = tutor_user.first_name, tutor_user.last_name, tutor_user.email
            tutor.initiative = initiatives[0]
            tutor.subjects, tutor.min_level, tutor.max_level = ["maths", "science"], 7, 12
            tutor.age_groups = [AgeGroup.LOWER_SECONDARY, AgeGroup.UPPER_SECONDARY]
            tutor.modes, tutor.capacity, tutor.slots = ["online", "offline"], 3, [1, 4, 7, 8, 10, 13]
            tutor.save()
        screened = status not in (Tutor.Status.APPLIED,)
        for item in ScreeningItem.Item.values:
            ok = screened and (status != Tutor.Status.SCREENING or item != ScreeningItem.Item.GOOD_CONDUCT)
            ScreeningItem.objects.create(
                tutor=tutor, item=item, status=ScreeningItem.Status.OK if ok else ScreeningItem.Status.PENDING,
                evidence="Gezien door de coördinator" if ok else "",
                document_date=(signed_up.date() + datetime.timedelta(days=5)) if ok and item == ScreeningItem.Item.GOOD_CONDUCT else None,
                checked_by=coordinator if ok else None, checked_at=signed_up + datetime.timedelta(days=7) if ok else None)
        if status == Tutor.Status.REJECTED:
            ScreeningDecision.objects.create(tutor=tutor, decision=ScreeningDecision.Decision.REJECT, decided_by=coordinator,
                                             reason="Geen geschikte beschikbaarheid", decided_at=signed_up + datetime.timedelta(days=10))
        elif status not in (Tutor.Status.APPLIED, Tutor.Status.SCREENING):
            approved = signed_up + datetime.timedelta(days=10)
            ScreeningDecision.objects.create(tutor=tutor, decision=ScreeningDecision.Decision.APPROVE, decided_by=coordinator,
                                             decided_at=approved)
            tutor.approved_at = approved
            done = modules if status != Tutor.Status.TRAINING else modules[: max(0, len(modules) - 1)]
            for m in done:
                TrainingCompletion.objects.create(tutor=tutor, module=m, completed_on=(approved + datetime.timedelta(days=14)).date(),
                                                  recorded_by=coordinator)
            if status == Tutor.Status.LEFT:
                tutor.left_at = approved + datetime.timedelta(days=rng.randint(60, 200))
                tutor.left_reason = "Stage in het buitenland"
            tutor.save()
        created.append(tutor)
    # peer reviews for active tutors: a coordinator review and sometimes a fellow tutor
    active = [t for t in created if t.status == Tutor.Status.ACTIVE]
    reviewer_tutors = [t for t in active if t.user_id]
    for t in active:
        if coordinator and rng.random() < 0.7:
            PeerReview.objects.create(tutor=t, reviewer=coordinator, reviewer_kind=PeerReview.By.COORDINATOR,
                                      score=rng.choice([3, 4, 4, 5, 5]), comment="Betrouwbaar en goed voorbereid.")
        if reviewer_tutors and rng.random() < 0.3 and reviewer_tutors[0].pk != t.pk and reviewer_tutors[0].initiative_id == t.initiative_id:
            PeerReview.objects.create(tutor=t, reviewer=reviewer_tutors[0].user, reviewer_kind=PeerReview.By.TUTOR,
                                      score=rng.choice([3, 4, 5]), comment="Fijne collega.")
    return created


def _history(rng, tutors, *, today) -> list[Match]:
    """Tutoring of earlier school years: pupils with two learning-gain results in a domain got a tutor
    (online or face to face) between the two, so the growth comparison has something to compare.
    The synthetic city has no tutoring effect built in: the comparison should find none."""
    from leerloopbaan.assessments.models import TestResult

    subject_of = {"maths": "maths", "dutch": "dutch", "reading": "reading"}
    dates: dict[tuple[int, str], list[datetime.date]] = {}
    for pid, domain, d in TestResult.objects.values_list("pupil_id", "instrument__domain", "date").order_by("pupil_id", "date"):
        dates.setdefault((pid, domain), []).append(d)
    spans = []
    for (pid, domain), ds in dates.items():
        for a, b in zip(ds, ds[1:], strict=False):
            if (b - a).days >= 240 and b < today:
                spans.append((pid, domain, a, b))
                break
    # low results first (as schools would ask), but not only: a third of the pairs, at most 400 pupils
    rng.shuffle(spans)
    seen, chosen = set(), []
    for span in spans:
        if span[0] not in seen:
            seen.add(span[0])
            chosen.append(span)
        if len(chosen) >= min(400, len(spans) // 3):
            break
    if not chosen:
        return []
    schools = {}
    for pid, school_id, grade, start in Enrolment.objects.filter(pupil_id__in=[c[0] for c in chosen]).values_list(
            "pupil_id", "school_id", "grade", "start_date").order_by("pupil_id", "start_date"):
        schools.setdefault(pid, []).append((start, school_id, grade))
    pool = [t for t in tutors if t.approved_at is not None]
    needs, pairs = [], []
    for pid, domain, a, b in chosen:
        history = [row for row in schools.get(pid, []) if row[0] <= a] or schools.get(pid, [])[:1]
        if not history or not pool:
            continue
        _start, school_id, grade = history[-1]
        level = level_of(grade) or 6
        subject = subject_of.get(domain, "maths")
        entered = datetime.datetime.combine(a + datetime.timedelta(days=rng.randint(20, 40)), datetime.time(10), tzinfo=datetime.UTC)
        needs.append(TutoringNeed(
            pupil_id=pid, school_id=school_id, created_at=entered, subject=subject, level=level, age_group=age_group_of(level),
            languages=["nl"], slots=_slots(rng, 2), modes=["online", "offline"], district="Antwerpen",
            description="Extra oefening na de leerwinsttoets.", priority=3, consent_by="parent", consent_on=entered.date(),
            status=TutoringNeed.Status.ENDED, closed_at=entered))
        start = entered.date() + datetime.timedelta(days=rng.randint(7, 30))
        pairs.append((rng.choice(pool), start, min(start + datetime.timedelta(days=rng.randint(90, 180)), b - datetime.timedelta(days=7))))
    needs = TutoringNeed.objects.bulk_create(needs)
    matches = [Match(need=n, tutor=t, status=Match.Status.ENDED, mode=rng.choice(["online", "offline"]), score=rng.randint(45, 90),
                     explanation={"history": True}, started_on=start, ended_on=max(end, start), reviewed_at=timezone.now(),
                     end_reason=rng.choice([Match.EndReason.SCHOOL_YEAR_END, Match.EndReason.GOAL_REACHED]))
               for n, (t, start, end) in zip(needs, pairs, strict=True)]
    return Match.objects.bulk_create(matches)


def _ask(needs: list[TutoringNeed], initiatives: list[Initiative], *, also: Initiative | None = None) -> None:
    """The initiatives each school asked: one per need in turn, two of every three needs the next one too, and
    ``also`` for every need (a fixed rule, so the demo's random draws stay as they were)."""
    if not initiatives:
        return
    through = TutoringNeed.initiatives.through
    k = len(initiatives)
    rows = []
    for i, need in enumerate(needs):
        asked = {initiatives[i % k].pk} | ({initiatives[(i + 1) % k].pk} if i % 3 else set()) | ({also.pk} if also else set())
        rows += [through(tutoringneed_id=need.pk, initiative_id=ini) for ini in sorted(asked)]
    through.objects.bulk_create(rows)


def _ask_matched(matches: list[Match]) -> None:
    """A past need asked the initiative of the tutor it was matched with."""
    through = TutoringNeed.initiatives.through
    through.objects.bulk_create([through(tutoringneed_id=m.need_id, initiative_id=m.tutor.initiative_id) for m in matches],
                                ignore_conflicts=True)


def _published_matching(rng, initiatives, *, coordinator, today) -> list[Match]:
    """Run, accept and publish one matching per initiative through the real services, then spread the
    start dates over the school year and end some matches, so health, retention and reports have a past."""
    from leerloopbaan.tutoring.matching.services import proposals_accept_all, run_create, run_publish

    admin = User.objects.filter(email=demo_email(Role.ADMIN)).first()
    for ini in initiatives:
        user = coordinator if coordinator is not None and ini.coordinators.filter(pk=coordinator.pk).exists() else admin
        if user is None:
            continue
        run = run_create(user=user, initiative=ini)
        proposals_accept_all(user=user, run=run)
        run_publish(user=user, run=run)
    matches = list(Match.objects.filter(status=Match.Status.ACTIVE).select_related("need"))
    ended_reasons = [Match.EndReason.GOAL_REACHED, Match.EndReason.PUPIL_STOPPED, Match.EndReason.NO_CLICK]
    for m in matches:
        start = max(m.need.created_at.date() + datetime.timedelta(days=rng.randint(3, 30)), today - datetime.timedelta(days=200))
        m.started_on = min(start, today)
        if rng.random() < 0.12 and (today - m.started_on).days > 60:
            m.status = Match.Status.ENDED
            m.ended_on = m.started_on + datetime.timedelta(days=rng.randint(45, (today - m.started_on).days))
            m.end_reason = rng.choice(ended_reasons)
    Match.objects.bulk_update(matches, ["started_on", "status", "ended_on", "end_reason"])
    ended_needs = [m.need_id for m in matches if m.status == Match.Status.ENDED]
    TutoringNeed.objects.filter(pk__in=ended_needs).update(status=TutoringNeed.Status.ENDED, closed_at=timezone.now())
    return matches


def _needs(rng, enrolments, *, n, staff, today, recent: bool = False) -> list[TutoringNeed]:
    from leerloopbaan.ews.models import RiskScore

    staff_school = None
    if staff is not None:
        m = staff.active_memberships().filter(school__isnull=False).first()
        staff_school = m.school_id if m else None
    taken = set(TutoringNeed.objects.values_list("pupil_id", flat=True))
    free = [e for e in enrolments if e[0] not in taken]
    picked = rng.sample(free, min(n, len(free)))
    # make sure the demo school has a few needs of its own, so school staff see the flow
    if staff_school and not recent:
        own = [e for e in enrolments if e[1] == staff_school and e not in picked]
        picked += own[:8]
    ids = [e[0] for e in picked]
    bands = {}
    for pid, band in RiskScore.objects.filter(pupil_id__in=ids).order_by("pupil_id", "reference_date").values_list("pupil_id", "band"):
        bands[pid] = band
    okis = {}
    for c in PupilCharacteristics.objects.filter(pupil_id__in=ids).order_by("pupil_id", "as_of"):
        okis[c.pupil_id] = c.oki
    needs = []
    for pupil_id, school_id, grade, district in picked:
        level = level_of(grade)
        if level is None:
            continue
        priority = {"high": 1, "medium": 2}.get(bands.get(pupil_id, ""), 3)
        if okis.get(pupil_id, 0) >= 3 and priority > 1:
            priority -= 1
        subjects = SUBJECTS_PRIMARY if level <= 6 else SUBJECTS_SECONDARY
        home = rng.choice(["", "", "", *LANGUAGES])
        created = timezone.now() - datetime.timedelta(days=rng.randint(1, 20) if recent else rng.randint(30, 240))
        needs.append(TutoringNeed(
            pupil_id=pupil_id, school_id=school_id, created_by=staff if school_id == staff_school else None, created_at=created,
            subject=rng.choice(subjects), level=level, age_group=age_group_of(level), language_support=bool(home) and rng.random() < 0.5,
            languages=sorted({"nl", home} - {""}) if home in ("en", "fr") else ["nl"], home_language=home,
            slots=_slots(rng, rng.randint(2, 4)), modes=rng.choice([["online", "offline"], ["offline"], ["online", "offline"], ["online"]]),
            district=district if district != "outside" else "Antwerpen", description="Wil graag meer oefenen met de leerstof.",
            priority=priority, consent_by=rng.choice(["parent", "pupil"]), consent_on=created.date(),
        ))
    return TutoringNeed.objects.bulk_create(needs)


def _checkins(rng, matches: list[Match], *, today) -> int:
    rows = []
    for m in matches:
        if not m.started_on:
            continue
        d = m.started_on + datetime.timedelta(days=21)
        end = m.ended_on or today
        while d <= end:
            rows.append(CheckIn(match=m, respondent=rng.choice(["tutor", "tutor", "teacher", "pupil"]), date=d, sessions=rng.randint(1, 3),
                                rating=rng.choice([3, 4, 4, 5]), progress=rng.choice([2, 3, 4, 4, 5]), concern=rng.random() < 0.05,
                                comment=""))
            d += datetime.timedelta(days=rng.choice([21, 28, 35]))
    CheckIn.objects.bulk_create(rows)
    return len(rows)
