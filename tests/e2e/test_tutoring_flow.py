"""Tutoring in a real browser, from sign-up to the first check-in: a tutor signs up on the public page,
the coordinator screens, admits and records the training, school staff enter a pupil's need, the
coordinator runs matching, accepts the proposal and publishes it, and the tutor sees the pupil's first
name and needs (nothing else) and records a check-in.

Selectors use ids and form field names, not the Dutch labels (the translation may change)."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import DEMO_PASSWORD, create_demo_accounts, demo_email
from leerloopbaan.ews.models import RiskScore
from leerloopbaan.kernel import clock
from leerloopbaan.registry.models import PupilName
from leerloopbaan.tutoring.matching.forms import slot_text
from leerloopbaan.tutoring.models import (
    CheckIn,
    Initiative,
    Match,
    MatchRun,
    ScreeningDecision,
    ScreeningItem,
    Subject,
    TrainingCompletion,
    TrainingModule,
    Tutor,
    TutoringNeed,
)

from ..ews.test_roles_ews import build_city
from .conftest import screenshot
from .test_shell import current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TUTOR_EMAIL = "mila.verbruggen@example.test"
TUTOR_PASSWORD = "een-lang-tutorwachtwoord-2025"
PUPIL_LAST_NAME = "Vandersteen"  # distinctive, so its absence from the tutor's page means something
DESCRIPTION = "Wil breuken en vergelijkingen oefenen voor het examen."
WEDNESDAY_AFTERNOON, SATURDAY_MORNING = 7, 15  # engine slots: day * 3 + part


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Password, then the six-digit TOTP code; by field names, whatever the labels say."""
    page.context.clear_cookies()
    TOTPDevice.objects.filter(user__email=email).update(last_t=-1)  # the same code may be used again in this test
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=username]) button[type=submit]").click()
    page.wait_for_url("**/account/2fa/**")
    page.locator("#id_token").fill(current_code(email))
    page.locator("form:has(#id_token) button[type=submit]").click()
    page.wait_for_url("**/home/")


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page it leads to (also when it redirects to the same URL)."""
    with page.expect_navigation():
        page.locator(selector).click()


def ensure_training_modules() -> list[TrainingModule]:
    """The required modules come from a data migration; an earlier transactional test may have flushed
    them, so run that migration's (idempotent) forwards again."""
    migration = importlib.import_module("leerloopbaan.tutoring.migrations.0003_tutors_training_modules")
    migration.forwards(apps, None)
    modules = list(TrainingModule.objects.filter(required=True))
    assert len(modules) == len(migration.MODULES) == 4
    return modules


def test_tutor_signs_up_is_matched_and_checks_in(page, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    today = clock.today()
    city = build_city()
    create_demo_accounts()
    pupil = city["a7"]  # School A, the demo school staff's school; latest EWS band high
    PupilName.objects.filter(pupil=pupil).update(last_name=PUPIL_LAST_NAME)
    assert RiskScore.objects.filter(pupil=pupil).latest("reference_date").band == RiskScore.Band.HIGH
    coordinator_email = demo_email(Role.TUTOR_COORDINATOR)
    initiative = Initiative.objects.create(
        name="Tutorproject Wiskunde", kind=Initiative.Kind.HIGHER_EDUCATION,
        organisation=Organisation.objects.get(name="Tutorproject Antwerpse hogescholen (demo)"))
    initiative.coordinators.add(User.objects.get(email=coordinator_email))
    modules = ensure_training_modules()
    with translation.override("nl-be"):
        maths_label, slot_label = str(Subject.MATHS.label), slot_text([WEDNESDAY_AFTERNOON])
        band_labels = [str(label) for label in RiskScore.Band.labels]
        priority_label = gettext("priority")
        high_label = gettext("high")

    # 1. anonymous: the public sign-up page
    page.goto(reverse("tutoring:signup"))
    form = page.locator("#signup-form")
    form.locator("select[name=initiative]").select_option(str(initiative.pk))
    form.locator("input[name=kind][value=student]").check()
    form.locator("input[name=institution]").fill("Universiteit Antwerpen")
    form.locator("input[name=first_name]").fill("Mila")
    form.locator("input[name=last_name]").fill("Verbruggen")
    form.locator("input[name=email]").fill(TUTOR_EMAIL)
    for language in ("nl", "en"):
        form.locator(f"input[name=languages][value={language}]").check()
    form.locator("select[name=subject_1]").select_option("maths")
    form.locator("select[name=subject_2]").select_option("science")
    form.locator("select[name=min_level]").select_option("7")  # S1
    form.locator("select[name=max_level]").select_option("12")  # S6
    for group in ("lower_secondary", "upper_secondary"):
        form.locator(f"input[name=age_groups][value={group}]").check()
    for slot in (WEDNESDAY_AFTERNOON, SATURDAY_MORNING):
        form.locator(f"input[name=slots][value='{slot}']").check()
    for mode in ("online", "offline"):
        form.locator(f"input[name=modes][value={mode}]").check()
    form.locator("select[name=district]").select_option("Deurne")
    form.locator("input[name=postcode]").fill("2100")
    form.locator("input[name=travel_km]").fill("10")
    form.locator("select[name=capacity]").select_option("1")
    form.locator("textarea[name=motivation]").fill("Ik studeer wiskunde en help graag leerlingen.")
    form.locator("input[name=consent]").check()
    screenshot(page, "tutoring-signup")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/tutoring/sign-up/done/")
    assert page.locator("#signup-done").is_visible()
    screenshot(page, "tutoring-signup-done")
    tutor = Tutor.objects.get(email=TUTOR_EMAIL)
    assert (tutor.initiative, tutor.status, tutor.kind, tutor.user) == (initiative, Tutor.Status.APPLIED, "student", None)
    assert (tutor.subjects, tutor.languages, tutor.age_groups) == (["maths", "science"], ["nl", "en"],
                                                                   ["lower_secondary", "upper_secondary"])
    assert (tutor.min_level, tutor.max_level, tutor.slots, tutor.modes) == (7, 12, [WEDNESDAY_AFTERNOON, SATURDAY_MORNING],
                                                                            ["online", "offline"])
    assert (tutor.district, tutor.postcode, float(tutor.travel_km), tutor.capacity) == ("Deurne", "2100", 10.0, 1)
    assert set(tutor.screening.values_list("status", flat=True)) == {ScreeningItem.Status.PENDING}
    assert tutor.screening.count() == len(ScreeningItem.Item.values)

    # 2. the coordinator screens: every checklist item in order, the certificate by its date (no file)
    sign_in(page, coordinator_email)
    page.goto(reverse("tutoring:tutor_list"))
    page.locator("#tutor-table").get_by_role("link", name="Mila Verbruggen").click()
    page.wait_for_url(f"**{reverse('tutoring:tutor_detail', args=[tutor.pk])}")
    page.locator("#screening-link").click()
    page.wait_for_url(f"**{reverse('tutoring:tutor_screening', args=[tutor.pk])}")
    screening = page.locator("#screening-form")
    assert screening.locator("input[type=file]").count() == 0  # the certificate is seen, never uploaded
    document_date = today - datetime.timedelta(days=20)
    for item in ScreeningItem.Item.values:
        screening.locator(f"select[name={item}_status]").select_option(ScreeningItem.Status.OK)
        screening.locator(f"input[name={item}_evidence]").fill(f"Gecontroleerd: {item}")
    screening.locator("input[name=good_conduct_document_date]").fill(document_date.isoformat())
    screenshot(page, "tutoring-screening")
    screening.locator("button[type=submit]").click()
    page.wait_for_url(f"**{reverse('tutoring:tutor_detail', args=[tutor.pk])}")
    tutor.refresh_from_db()
    assert tutor.status == Tutor.Status.SCREENING
    items = {i.item: i for i in tutor.screening.all()}
    assert {i.status for i in items.values()} == {ScreeningItem.Status.OK}
    assert items["good_conduct"].document_date == document_date
    assert all(i.checked_by and i.checked_by.email == coordinator_email for i in items.values())
    # the saved date shows again when the screening is reopened
    page.goto(reverse("tutoring:tutor_screening", args=[tutor.pk]))
    assert page.locator("input[name=good_conduct_document_date]").input_value() == document_date.isoformat()
    page.goto(reverse("tutoring:tutor_detail", args=[tutor.pk]))

    # admit: the tutor's account is created (role tutor), training comes next
    page.locator("#decision-form input[name=decision][value=approve]").check()
    submit(page, "#decision-form button[type=submit]")
    tutor.refresh_from_db()
    assert tutor.status == Tutor.Status.TRAINING and tutor.approved_at is not None
    assert tutor.user is not None and (tutor.user.email, tutor.user.role) == (TUTOR_EMAIL, Role.TUTOR)
    assert tutor.decisions.get().decision == ScreeningDecision.Decision.APPROVE

    # record the required training modules (completed today, as the form proposes)
    page.locator("#training-link").click()
    page.wait_for_url(f"**{reverse('tutoring:tutor_training', args=[tutor.pk])}")
    for module in modules:
        training = page.locator("#training-form")
        assert training.locator("input[name=completed_on]").input_value() == today.isoformat()
        training.locator("select[name=module]").select_option(str(module.pk))
        submit(page, "#training-form button[type=submit]")
        assert TrainingCompletion.objects.filter(tutor=tutor, module=module, completed_on=today).exists()
    tutor.refresh_from_db()
    assert tutor.status == Tutor.Status.ACTIVE
    assert TrainingCompletion.objects.filter(tutor=tutor).count() == len(modules)
    page.goto(reverse("tutoring:tutor_detail", args=[tutor.pk]))
    screenshot(page, "tutoring-tutor-active")

    # the invitation mail would let the tutor choose a password; here the test sets it, with a second factor
    tutor.user.set_password(TUTOR_PASSWORD)
    tutor.user.save()
    TOTPDevice.objects.create(user=tutor.user, name="test authenticator", confirmed=True)

    # 3. school staff enter the pupil's need, with consent and availability matching the tutor
    sign_in(page, demo_email(Role.SCHOOL_STAFF))
    page.goto(reverse("tutoring:need_new") + f"?pupil={pupil.pupil_key}&subject=maths")
    assert page.locator("#need-pupil").inner_text() == f"Anouk7 {PUPIL_LAST_NAME}"  # school staff see the full name
    need_form = page.locator("#need-form")
    assert need_form.locator("select[name=subject]").input_value() == "maths"
    assert need_form.locator("select[name=level]").input_value() == "9"  # S3, from the enrolment
    assert need_form.locator("input[name=languages][value=nl]").is_checked()
    need_form.locator(f"input[name=slots][value='{WEDNESDAY_AFTERNOON}']").check()
    need_form.locator("textarea[name=description]").fill(DESCRIPTION)
    need_form.locator("input[name=consent_by][value=parent]").check()
    need_form.locator("input[name=consent_on]").fill(today.isoformat())
    for ini in Initiative.objects.filter(active=True):  # the school asks the initiatives: only their coordinators see the pupil
        need_form.locator(f"input[name=initiatives][value='{ini.pk}']").check()
    screenshot(page, "tutoring-need")
    need_form.locator("button[type=submit]").click()
    page.wait_for_url("**/tutoring/needs/*/")
    need = TutoringNeed.objects.get(pupil=pupil)
    assert page.url.endswith(reverse("tutoring:need_detail", args=[need.pk]))
    assert (need.subject, need.level, need.age_group, need.slots) == ("maths", 9, "upper_secondary", [WEDNESDAY_AFTERNOON])
    assert (need.languages, sorted(need.modes), need.district) == (["nl"], ["offline", "online"], "Deurne")
    assert (need.consent_by, need.consent_on, need.description) == ("parent", today, DESCRIPTION)
    assert (need.status, need.priority, need.school) == (TutoringNeed.Status.WAITING, 1, city["A"])  # band high: priority 1
    assert need.created_by.email == demo_email(Role.SCHOOL_STAFF)
    assert set(need.initiatives.all()) == set(Initiative.objects.filter(active=True))

    # 4. the coordinator runs matching, reviews the proposal and its explanation, accepts and publishes
    sign_in(page, coordinator_email)
    page.goto(reverse("tutoring:run_new") + f"?initiative={initiative.pk}")
    submit(page, "#run-form button[type=submit]")
    run = MatchRun.objects.get(initiative=initiative)
    assert page.url.endswith(reverse("tutoring:run_detail", args=[run.pk]))
    assert run.status == MatchRun.Status.DRAFT and run.objective.get("matched") == 1
    match = run.matches.get()
    assert (match.need, match.tutor, match.status, match.reviewed_at) == (need, tutor, Match.Status.PROPOSED, None)
    assert match.score > 0 and set(match.explanation["criteria"]) >= {"subject", "level", "distance", "language"}
    proposal = page.locator(f"#proposal-{match.pk}")
    title = proposal.locator(f"#proposal-{match.pk}-title").inner_text()
    assert "Anouk7" in title and "Mila Verbruggen" in title and PUPIL_LAST_NAME not in title
    assert f"{match.score}/100" in proposal.inner_text()
    # the coordinator sees the priority as a tier, never its number; the tutor sees neither
    assert f"{priority_label} {high_label}" in proposal.inner_text() and f"{priority_label} 1" not in proposal.inner_text()
    assert proposal.locator("table th").count() == len(match.explanation["criteria"])  # points per criterion
    assert slot_label in proposal.inner_text()  # the common moment in the week
    screenshot(page, "tutoring-run-proposal")
    submit(page, f"#proposal-{match.pk} form[action$='/proposals/accept/'] button[type=submit]")
    match.refresh_from_db()
    assert match.reviewed_at is not None and match.reviewed_by.email == coordinator_email
    assert match.status == Match.Status.PROPOSED
    submit(page, "#publish-form button[type=submit]")
    run.refresh_from_db()
    match.refresh_from_db()
    need.refresh_from_db()
    assert run.status == MatchRun.Status.PUBLISHED and run.published_by.email == coordinator_email
    assert (match.status, match.started_on) == (Match.Status.ACTIVE, today)
    assert need.status == TutoringNeed.Status.MATCHED
    assert page.locator("#publish-form").count() == 0  # a published run can no longer be changed
    screenshot(page, "tutoring-run-published")

    # 5. the tutor: the pupil's first name and needs, nothing else
    sign_in(page, TUTOR_EMAIL, TUTOR_PASSWORD)
    page.goto(reverse("tutoring:my_pupils"))
    card = page.locator(f"#pupil-{match.pk}")
    assert page.locator("section[id^=pupil-]").count() == 1
    assert card.locator(f"#pupil-{match.pk}-name").inner_text() == "Anouk7"
    text = card.inner_text()
    for shown in (maths_label, "S3", slot_label, DESCRIPTION, today.strftime("%d-%m-%Y")):  # nl-BE (kernel.formatting)
        assert shown in text
    html = page.content()
    score = RiskScore.objects.filter(pupil=pupil).latest("reference_date")
    hidden = [PUPIL_LAST_NAME, pupil.pupil_key, pupil.short_key, "School A", *band_labels,
              f"{score.risk:.2f}", f"{score.risk:.2f}".replace(".", ","), "Veel B-afwezigheden", priority_label, "prioriteit", "priority"]
    leaked = [value for value in hidden if value.lower() in html.lower()]
    assert leaked == []
    screenshot(page, "tutoring-my-pupils")

    # a check-in: sessions, how it goes, progress
    card.locator("details > summary").click()
    checkin = card.locator("form")
    checkin.locator("input[name=sessions]").fill("3")
    checkin.locator("input[name=rating][value='4']").check()
    checkin.locator("input[name=progress][value='3']").check()
    checkin.locator("textarea[name=comment]").fill("Breuken gaan al beter.")
    screenshot(page, "tutoring-checkin")
    submit(page, f"#pupil-{match.pk} form button[type=submit]")
    assert page.url.endswith(reverse("tutoring:my_pupils"))
    row = CheckIn.objects.get(match=match)
    assert (row.respondent, row.sessions, row.rating, row.progress, row.concern) == (CheckIn.Respondent.TUTOR, 3, 4, 3, False)
    assert (row.comment, row.date, row.recorded_by) == ("Breuken gaan al beter.", today, tutor.user)
    assert page.locator(f"#pupil-{match.pk}").inner_text().count(today.strftime("%d-%m-%Y")) == 2  # since today, last check-in today
    screenshot(page, "tutoring-checkin-done")
