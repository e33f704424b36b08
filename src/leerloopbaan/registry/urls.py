from django.urls import path

from leerloopbaan.registry import views

app_name = "registry"

urlpatterns = [
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/<str:pupil_key>/", views.pupil_detail, name="pupil_detail"),
]
