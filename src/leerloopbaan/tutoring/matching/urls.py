"""Routes of the matching side of tutoring (included by tutoring/urls.py at /tutoring/, namespace "tutoring")."""

from django.urls import path

from leerloopbaan.tutoring.matching import views

urlpatterns = [
    path("needs/", views.need_list, name="need_list"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<id:pk>/", views.need_detail, name="need_detail"),
    path("needs/<id:pk>/withdraw/", views.need_withdraw, name="need_withdraw"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/rematch/", views.rematch, name="rematch"),
    path("runs/city/", views.city_run, name="city_run"),
    path("runs/<id:pk>/", views.run_detail, name="run_detail"),
    path("runs/<id:pk>/publish/", views.run_publish, name="run_publish"),
    path("runs/<id:pk>/discard/", views.run_discard, name="run_discard"),
    path("runs/<id:pk>/proposals/<str:action>/", views.match_action, name="match_action"),
    path("matches/", views.match_list, name="match_list"),
    path("matches/<id:pk>/", views.match_detail, name="match_detail"),
    path("matches/<id:pk>/end/", views.match_end, name="match_end"),
    path("matches/<id:pk>/check-in/", views.checkin_new, name="checkin_new"),
    path("me/pupils/", views.my_pupils, name="my_pupils"),
    path("me/tutoring/", views.my_tutoring, name="my_tutoring"),
    path("reports/", views.reports, name="reports"),
]
