from django.urls import path

from leerloopbaan.portfolio.youth import views

app_name = "portfolio"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/<int:pk>/", views.portfolio, name="portfolio"),
    path("me/<int:pk>/entries/new/", views.entry_new, name="entry_new"),
    path("me/<int:pk>/entries/<int:entry_pk>/", views.entry_detail, name="entry"),
    path("me/<int:pk>/entries/<int:entry_pk>/parent/", views.entry_parent, name="entry_parent"),
    path("me/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("me/<int:pk>/code/", views.code_new, name="code"),
    path("me/<int:pk>/requests/new/", views.request_new, name="request_new"),
    path("me/<int:pk>/settings/", views.settings_view, name="settings"),
    path("me/<int:pk>/organisations/<int:issuer_pk>/stop/", views.link_end, name="link_end"),
    path("me/<int:pk>/shares/new/", views.grant_new, name="grant_new"),
    path("me/<int:pk>/shares/<int:grant_pk>/", views.grant_detail, name="grant"),
    path("me/<int:pk>/shares/<int:grant_pk>/stop/", views.grant_revoke, name="grant_revoke"),
    path("me/<int:pk>/credentials/<int:credential_pk>.json", views.credential_json, name="credential_json"),
    path("me/<int:pk>/export.zip", views.export, name="export"),
    path("s/<str:token>/", views.share, name="share"),
    path("s/<str:token>/credentials/<int:credential_pk>.json", views.share_credential, name="share_credential"),
    path("verify/", views.verify, name="verify"),
    path("issuers/<slug:slug>/did.json", views.issuer_did, name="issuer_did"),
    path("status/<slug:slug>/<str:purpose>/<int:number>", views.status_list, name="status_list"),
]

try:  # the organisation, city and places pages
    from leerloopbaan.portfolio.organisations.urls import urlpatterns as _org
except ImportError:  # pragma: no cover - while the module is being written
    _org = []
urlpatterns += _org
