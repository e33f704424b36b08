"""Routes of the organisation and city side of the talent portfolio (included by portfolio/urls.py,
namespace "portfolio")."""

from django.urls import path

from leerloopbaan.portfolio.organisations import views

urlpatterns = [
    path("org/register/", views.register, name="register"),
    path("org/register/done/", views.register_done, name="register_done"),
    path("places/", views.places, name="places"),
    path("achievements/<uuid:uuid>/", views.achievement_public, name="achievement_public"),
    path("org/", views.org_home, name="org_home"),
    path("org/achievements/", views.org_achievements, name="org_achievements"),
    path("org/achievements/new/", views.org_achievement_new, name="org_achievement_new"),
    path("org/esco/", views.esco_search, name="esco_search"),
    path("org/code/", views.org_redeem, name="org_redeem"),
    path("org/youths/", views.org_youths, name="org_youths"),
    path("org/youths/<id:pk>/", views.org_youth, name="org_youth"),
    path("org/requests/", views.org_requests, name="org_requests"),
    path("org/requests/<id:pk>/", views.org_request, name="org_request"),
    path("org/credentials/", views.org_credentials, name="org_credentials"),
    path("org/credentials/<id:pk>/", views.org_credential, name="org_credential"),
    path("org/keys/", views.org_keys, name="org_keys"),
    path("org/places/", views.org_places, name="org_places"),
    path("city/organisations/", views.city_issuers, name="city_issuers"),
    path("city/figures/", views.city_figures, name="city_figures"),
]
