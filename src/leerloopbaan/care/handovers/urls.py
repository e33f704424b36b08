"""Routes of the handovers part of the support network (included by care/urls.py)."""

from django.urls import path

from leerloopbaan.care.handovers import views

urlpatterns: list = [
    path("", views.handover_list, name="handover_list"),
    path("follow-up/", views.follow_up_list, name="follow_up_list"),
    path("<id:pk>/", views.handover_detail, name="handover_detail"),
    path("<id:pk>/<str:action>/", views.handover_action, name="handover_action"),
]
