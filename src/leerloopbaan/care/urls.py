from django.urls import include, path

from leerloopbaan.care.requests import views

app_name = "care"

urlpatterns = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_edit, name="offer_new"),
    path("offers/<id:pk>/", views.offer_detail, name="offer_detail"),
    path("offers/<id:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<id:pk>/", views.request_detail, name="request_detail"),
    path("requests/<id:pk>/<str:action>/", views.request_action, name="request_action"),
    path("cases/", include("leerloopbaan.care.cases.urls")),
    path("handovers/", include("leerloopbaan.care.handovers.urls")),
    path("effects/", include("leerloopbaan.care.effects.urls")),
]
