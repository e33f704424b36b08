from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

import leerloopbaan.kernel.converters  # noqa: F401 (registers the <id:...> converter the apps' routes use)
from leerloopbaan.site import views as core_views

api_v1 = [
    path("", include("leerloopbaan.site.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home-root"),
    path("", include("leerloopbaan.site.urls")),
    path("account/", include("leerloopbaan.accounts.urls")),
    path("registry/", include("leerloopbaan.registry.urls")),
    path("ews/", include("leerloopbaan.ews.urls")),
    path("care/", include("leerloopbaan.care.urls")),
    path("tutoring/", include("leerloopbaan.tutoring.urls")),
    path("assessments/", include("leerloopbaan.assessments.urls")),
    path("portfolio/", include("leerloopbaan.portfolio.youth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]
