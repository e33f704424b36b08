from django.urls import path

from leerloopbaan.site import family, views

app_name = "site"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("home/risk-changes/<str:change>/", views.risk_changes, name="risk_changes"),
    # the pupil page keeps the address it had when the registry showed it (links, bookmarks)
    path("registry/pupils/<str:pupil_key>/", views.pupil_page, name="pupil"),
    path("children/", family.children, name="children"),
    path("children/<str:pupil_key>/export.json", family.child_export, name="child_export"),
]
