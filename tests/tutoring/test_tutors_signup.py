"""The public sign-up: valid and invalid input, the checklist it creates, the spam guard, and no file
upload anywhere for the certificate of good conduct."""
# ruff: noqa: F401, F811 -- the shared fixture tw is imported from test_tutors_helpers

import pytest
from django import forms
from django.core import mail
from django.db import models

from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring import models as tutoring_models
from leerloopbaan.tutoring.models import ScreeningItem, Tutor
from leerloopbaan.tutoring.tutors import forms as forms_tutors
from leerloopbaan.tutoring.tutors import services

from .test_tutors_helpers import profile, sign_up, signup_post, tw

pytestmark = pytest.mark.django_db(databases="__all__")


def test_the_page_is_public_and_lists_active_initiatives_only(tw, client):
    response = client.get("/tutoring/sign-up/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tutorproject X" in html and "Buurtbijles Y" in html
    assert "Gestopt Z" not in html
    assert 'type="file"' not in html and "multipart" not in html
    assert "<label" in html and 'for="id_email"' in html  # labelled inputs


def test_a_valid_sign_up_creates_an_applied_tutor_with_the_checklist(tw, client):
    tw["cx"].email = "cx@example.test"
    with assert_audited(count=1, action="create", subject_type="tutor") as audit:
        response = client.post("/tutoring/sign-up/", signup_post(tw["X"], subjects=["science", "maths", "dutch"]))
    assert response.status_code == 302 and response["Location"] == "/tutoring/sign-up/done/"
    tutor = Tutor.objects.get()
    assert audit.subjects() == {f"tutor:{tutor.pk}"}
    assert (tutor.status, tutor.initiative, tutor.kind, tutor.email) == ("applied", tw["X"], "student", "saar@example.test")
    assert tutor.subjects == ["science", "maths", "dutch"]  # strongest first, order kept
    assert tutor.slots == [0, 7] and tutor.min_level == 7 and tutor.max_level == 10 and tutor.capacity == 2
    assert tutor.language_support is True and tutor.user is None
    items = {i.item: i.status for i in ScreeningItem.objects.filter(tutor=tutor)}
    assert items == {"interview": "pending", "good_conduct": "pending", "reference": "pending", "code_of_conduct": "pending"}
    assert tutor.history[0]["to"] == "applied"
    done = client.get(response["Location"])
    assert done.status_code == 200 and "model 2" in done.content.decode()


def test_the_coordinators_get_a_mail_without_the_name(tw, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/tutoring/sign-up/", signup_post(tw["X"]))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [tw["cx"].email]
    assert "Saar" not in message.body and "Peeters" not in message.body and "/tutoring/tutors/" in message.body


# field -> the bad values, and the message the page shows for it
BAD = [
    ("first_name", {"first_name": ""}, "Fill in your first name."),
    ("last_name", {"last_name": ""}, "Fill in your last name."),
    ("email", {"email": "saar-at-example"}, "This is not a valid e-mail address."),
    ("email", {"email": ""}, "Fill in your e-mail address."),
    ("kind", {"kind": "astronaut"}, "Select a valid choice."),
    ("institution", {"kind": "employee", "institution": ""}, "Fill in your company."),
    ("institution", {"kind": "student", "institution": ""}, "Fill in your school or university college."),
    ("phone", {"phone": "call me"}, "This does not look like a phone number"),
    ("languages", {"languages": []}, "Choose at least one language you can tutor in."),
    ("subject_1", {"subjects": []}, "Choose at least one subject, your strongest first."),
    ("subject_2", {"subjects": ["maths", "maths"]}, "You chose this subject twice."),
    ("max_level", {"min_level": 10, "max_level": 3}, "The highest level is below the lowest level."),
    ("age_groups", {"age_groups": []}, "Choose at least one age group."),
    ("slots", {"slots": []}, "Choose at least one moment in the week when you are available."),
    ("slots", {"slots": [21]}, "Select a valid choice."),
    ("modes", {"modes": []}, "Choose online, face to face or both."),
    ("postcode", {"modes": ["offline"], "postcode": ""}, "Give your postcode when you want to tutor face to face"),
    ("postcode", {"postcode": "21000"}, "A Belgian postcode has four digits"),
    ("travel_km", {"travel_km": -1}, "Ensure this value is greater than or equal to 0."),
    ("travel_km", {"travel_km": "far"}, "Enter a number."),
    ("capacity", {"capacity": 4}, "Select a valid choice."),
    ("district", {"district": "Brussel"}, "Select a valid choice."),
    ("initiative", {"initiative": ""}, "Choose the initiative you sign up for."),
    ("consent", {"consent": ""}, "We need your agreement to handle your application."),
]


@pytest.mark.parametrize(("field", "over", "message"), BAD, ids=[f"{f}-{i}" for i, (f, _o, _m) in enumerate(BAD)])
def test_each_bad_field_is_named_with_a_clear_message(field, over, message, tw, client):
    response = client.post("/tutoring/sign-up/", signup_post(tw["X"], **over))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html, f"no error shown at {field}"
    assert 'aria-invalid="true"' in html
    assert not Tutor.objects.exists()


def test_an_inactive_initiative_is_refused(tw, client):
    response = client.post("/tutoring/sign-up/", signup_post(tw["Z"]))
    assert response.status_code == 200 and 'id="id_initiative_error"' in response.content.decode()
    assert not Tutor.objects.exists()
    with pytest.raises(services.TutorError):
        sign_up(tw["Z"])


def test_the_honeypot_stores_nothing_and_looks_the_same(tw, client):
    response = client.post("/tutoring/sign-up/", signup_post(tw["X"], website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == "/tutoring/sign-up/done/"
    assert not Tutor.objects.exists()


def test_the_service_checks_the_input_too(tw):
    with pytest.raises(services.TutorError) as exc:
        sign_up(tw["X"], languages=["xx"], slots=[99], min_level=9, max_level=2, capacity=5, subjects=[])
    assert set(exc.value.errors) >= {"languages", "slots", "max_level", "capacity", "subjects"}
    with pytest.raises(services.TutorError) as exc:
        sign_up(tw["X"], email="not-an-email")
    assert "email" in exc.value.errors
    assert not Tutor.objects.exists()


def test_a_repeated_sign_up_keeps_one_open_application(tw):
    first = sign_up(tw["X"])
    again = sign_up(tw["X"], email="SAAR@example.test", motivation="Nog eens")
    assert again.pk == first.pk and Tutor.objects.count() == 1
    other = sign_up(tw["Y"])
    assert other.pk != first.pk  # another initiative: another application
    assert AuditEntry.objects.filter(action="create", subject_type="tutor").count() == 3


def test_no_file_field_anywhere_for_the_certificate():
    """The certificate of good conduct is seen, never stored: no model or form of the journey has a file."""
    for model in (tutoring_models.Tutor, tutoring_models.ScreeningItem, tutoring_models.ScreeningDecision,
                  tutoring_models.TrainingCompletion, tutoring_models.PeerReview, tutoring_models.Initiative):
        assert not [f for f in model._meta.get_fields() if isinstance(f, models.FileField)], model
    for form_class in (forms_tutors.SignUpForm, forms_tutors.ProfileForm, forms_tutors.CoordinatorProfileForm,
                       forms_tutors.ScreeningForm, forms_tutors.DecisionForm, forms_tutors.TrainingForm):
        form = form_class()
        assert not [f for f in form.fields.values() if isinstance(f, forms.FileField)], form_class
        assert not form.is_multipart()
    assert profile()  # the helpers stay importable
