from django.urls import path

from leerloopbaan.registry import views, views_import, views_outflow

app_name = "registry"

urlpatterns = [
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/<str:pupil_key>/", views.pupil_detail, name="pupil_detail"),
    path("import/", views_import.import_page, name="import"),
    path("outflow/", views_outflow.outflow_page, name="outflow"),
]
