from django.urls import include, path

app_name = "ews"

urlpatterns = [
    path("", include("leerloopbaan.ews.school.urls")),
    path("city/", include("leerloopbaan.ews.city.urls")),
]
