from django.urls import path

from leerloopbaan.site import views

app_name = "site"

urlpatterns = [
    path("home/", views.home, name="home"),
]
