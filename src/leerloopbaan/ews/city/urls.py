"""City-facing early warning pages: the city dashboard."""

from django.urls import path

from leerloopbaan.ews.city import views as views_city

urlpatterns = [
    path("", views_city.city_dashboard, name="city_dashboard"),
]
