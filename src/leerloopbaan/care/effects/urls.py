"""Routes of the effects part of the support network (included by care/urls.py)."""

from django.urls import path

from leerloopbaan.care.effects import views as views_effects

urlpatterns: list = [
    path("", views_effects.effect_list, name="effect_list"),
    path("flagged-schools/", views_effects.flagged_schools, name="flagged_schools"),
    path("<id:pk>/<str:school_year>/", views_effects.effect_report, name="effect_report"),
    path("<id:pk>/<str:school_year>/pdf/", views_effects.effect_report_pdf, name="effect_report_pdf"),
]
