from django.urls import path

from leerloopbaan.assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.index, name="index"),
    path("pupils/<str:pupil_key>/", views.pupil_growth, name="pupil"),
    path("results/new/", views.result_new, name="result_new"),
    path("proposals/", views.proposals, name="proposals"),
    path("norms/", views.norms, name="norms"),
    path("growth/", views.growth, name="growth"),
]
