from django.urls import include, path

from leerloopbaan.care.requests import views

app_name = "care"

urlpatterns = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_edit, name="offer_new"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<str:action>/", views.request_action, name="request_action"),
    path("cases/", include("leerloopbaan.care.cases.urls")),
    path("handovers/", include("leerloopbaan.care.handovers.urls")),
    path("effects/", include("leerloopbaan.care.effects.urls")),
]
