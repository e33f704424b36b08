"""School-facing early warning pages: risk list, school portrait (HTML and PDF), the model card."""

from django.urls import path

from leerloopbaan.ews.school import views as views_school

urlpatterns = [
    path("risk/", views_school.risk_list, name="risk_list"),
    path("risk/export/", views_school.risk_list_export, name="risk_list_export"),
    path("risk/<str:pupil_key>/follow-up/", views_school.follow_up, name="follow_up"),
    path("portrait/", views_school.portrait_home, name="portrait_home"),
    path("portrait/<str:school_number>/", views_school.portrait, name="portrait"),
    path("portrait/<str:school_number>/pdf/", views_school.portrait_pdf, name="portrait_pdf"),
    path("portrait/<str:school_number>/comment/", views_school.portrait_comment, name="portrait_comment"),
    path("model/", views_school.model_card, name="model_card"),
    path("model/<str:version>/", views_school.model_card, name="model_card_run"),
]
