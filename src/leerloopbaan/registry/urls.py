from django.urls import path

from leerloopbaan.registry import views
from leerloopbaan.registry.importer import views as views_import
from leerloopbaan.registry.outflow import views as views_outflow
from leerloopbaan.registry.primary import views as views_primary

app_name = "registry"

urlpatterns = [
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("import/", views_import.import_page, name="import"),
    path("outflow/", views_outflow.outflow_page, name="outflow"),
    path("primary/<str:school_number>/", views_primary.primary_school, name="primary_school"),
]
