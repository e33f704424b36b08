from django.urls import path

from leerloopbaan.portfolio.youth import views

app_name = "portfolio"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/<id:pk>/", views.portfolio, name="portfolio"),
    path("me/<id:pk>/entries/new/", views.entry_new, name="entry_new"),
    path("me/<id:pk>/entries/<id:entry_pk>/", views.entry_detail, name="entry"),
    path("me/<id:pk>/entries/<id:entry_pk>/parent/", views.entry_parent, name="entry_parent"),
    path("me/<id:pk>/evidence/<id:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("me/<id:pk>/code/", views.code_new, name="code"),
    path("me/<id:pk>/requests/new/", views.request_new, name="request_new"),
    path("me/<id:pk>/settings/", views.settings_view, name="settings"),
    path("me/<id:pk>/organisations/<id:issuer_pk>/stop/", views.link_end, name="link_end"),
    path("me/<id:pk>/shares/new/", views.grant_new, name="grant_new"),
    path("me/<id:pk>/shares/<id:grant_pk>/", views.grant_detail, name="grant"),
    path("me/<id:pk>/shares/<id:grant_pk>/stop/", views.grant_revoke, name="grant_revoke"),
    path("me/<id:pk>/credentials/<id:credential_pk>.json", views.credential_json, name="credential_json"),
    path("me/<id:pk>/export.zip", views.export, name="export"),
    path("s/<str:token>/", views.share, name="share"),
    path("s/<str:token>/credentials/<id:credential_pk>.json", views.share_credential, name="share_credential"),
    path("verify/", views.verify, name="verify"),
    path("issuers/<slug:slug>/did.json", views.issuer_did, name="issuer_did"),
    path("status/<slug:slug>/<str:purpose>/<id:number>", views.status_list, name="status_list"),
]

try:  # the organisation, city and places pages
    from leerloopbaan.portfolio.organisations.urls import urlpatterns as _org
except ImportError:  # pragma: no cover - while the module is being written
    _org = []
urlpatterns += _org
