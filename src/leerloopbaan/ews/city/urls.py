"""City-facing early warning pages: the city dashboard, the monitoring of the early warning."""

from django.urls import path

from leerloopbaan.ews.city import views as views_city
from leerloopbaan.ews.city.monitoring import views as views_monitoring

urlpatterns = [
    path("", views_city.city_dashboard, name="city_dashboard"),
    path("monitoring/", views_monitoring.city_monitoring, name="city_monitoring"),
]
