from django.urls import include, path

app_name = "ews"

urlpatterns = [
    path("", include("leerloopbaan.ews.urls_school")),
    path("city/", include("leerloopbaan.ews.urls_city")),
]
