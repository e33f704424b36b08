from django.urls import path

from leerloopbaan.core import views

app_name = "core"

urlpatterns = [
    path("home/", views.home, name="home"),
]
