"""Routes of the tutor journey (included by tutoring/urls.py at /tutoring/, namespace "tutoring")."""

from django.urls import path

from leerloopbaan.tutoring.tutors import views

urlpatterns = [
    path("sign-up/", views.signup, name="signup"),
    path("sign-up/done/", views.signup_done, name="signup_done"),
    path("tutors/", views.tutor_list, name="tutor_list"),
    path("tutors/<id:pk>/", views.tutor_detail, name="tutor_detail"),
    path("tutors/<id:pk>/profile/", views.tutor_profile, name="tutor_profile"),
    path("tutors/<id:pk>/screening/", views.tutor_screening, name="tutor_screening"),
    path("tutors/<id:pk>/decision/", views.tutor_decide, name="tutor_decide"),
    path("tutors/<id:pk>/training/", views.tutor_training, name="tutor_training"),
    path("tutors/<id:pk>/status/", views.tutor_status, name="tutor_status"),
    path("tutors/<id:pk>/review/", views.tutor_review, name="tutor_review"),
    path("initiatives/<id:pk>/edit/", views.initiative_edit, name="initiative_edit"),
    path("me/", views.me_profile, name="me_profile"),
    path("me/status/", views.me_status, name="me_status"),
    path("me/training/", views.me_training, name="me_training"),
    path("me/fellows/", views.me_fellows, name="me_fellows"),
]
