"""Routes of the cases part of the support network (included by care/urls.py at /care/cases/)."""

from django.urls import path

from leerloopbaan.care.cases import views as views_cases

urlpatterns = [
    path("", views_cases.case_list, name="case_list"),
    path("new/", views_cases.case_new, name="case_new"),
    path("<id:pk>/", views_cases.case_detail, name="case_detail"),
    path("<id:pk>/<str:action>/", views_cases.case_action, name="case_action"),
]
