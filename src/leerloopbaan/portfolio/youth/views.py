"""Pages of the youth's and parent's side of the portfolio, share links, verification, and what the
platform publishes for verifiers (DID documents, status lists)."""

from __future__ import annotations

import io
import json
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from leerloopbaan.kernel import clock, formatting
from leerloopbaan.kernel.uploads import upload_limit
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.youth import selectors, services
from leerloopbaan.portfolio.youth.forms import EntryForm, GrantForm, RequestForm, SettingsForm, VerifyForm
from leerloopbaan.portfolio.youth.services import PortfolioError

JSONLD = "application/ld+json"


def _form_errors(form, error: PortfolioError) -> None:
    for name, message in error.fields.items():
        if name in form.fields:
            form.add_error(name, message)
    form.add_error(None, error.message)


@login_required
def home(request):
    if access.issuer_of(request.user) is not None:
        return redirect("portfolio:org_home")
    if access.is_city(request.user):
        return redirect("portfolio:city_figures")
    if request.user.role not in ("youth", "parent"):
        raise PermissionDenied
    portfolios = selectors.my_portfolios(user=request.user)
    if len(portfolios) == 1:
        return redirect("portfolio:portfolio", pk=portfolios[0].pk)
    return render(request, "portfolio/choose.html", {"portfolios": portfolios})


def _portfolio(request, pk, purpose="talent portfolio"):
    return selectors.portfolio_get(user=request.user, pk=pk, purpose=purpose)


def _managed(request, pk, purpose="talent portfolio"):
    """The portfolio, for pages that change it: 404 for a parent of a youth of 13 or older (who may
    only read what the youth shares), a message for a closed portfolio."""
    item = _portfolio(request, pk, purpose)
    if not access.may_manage(request.user, item):
        if access.relation(request.user, item) == "self":
            raise _Closed(item)
        raise Http404
    return item


class _Closed(Exception):
    def __init__(self, portfolio):
        self.portfolio = portfolio


def _handles_closed(view):
    import functools

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Closed as closed:
            messages.info(request, _("This portfolio is closed: from 25 you can still read and download it."))
            return redirect("portfolio:portfolio", pk=closed.portfolio.pk)

    return wrapper


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def portfolio(request, pk):
    item = _portfolio(request, pk)
    overview = selectors.portfolio_overview(user=request.user, portfolio=item)
    view = request.GET.get("view", "area")
    context = {"portfolio": item, "view": view, **overview}
    if overview["may_manage"]:
        context.update(grants=selectors.owner_grants(portfolio=item), requests=selectors.owner_requests(portfolio=item),
                       links=selectors.owner_links(portfolio=item))
    return render(request, "portfolio/portfolio.html", context)


@login_required
@_handles_closed
def entry_new(request, pk):
    item = _managed(request, pk)
    is_self = access.relation(request.user, item) == "self"
    form = EntryForm(request.POST or None, request.FILES or None, show_parent_choice=is_self,
                     initial={"started_on": clock.today(), "kind": "experience"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.entry_create(user=request.user, portfolio=item, kind=data["kind"], title=data["title"],
                                  description=data["description"], where=data["where"], started_on=data["started_on"],
                                  ended_on=data["ended_on"], esco_skill=data["esco_skill"],
                                  parent_visible=data.get("parent_visible", False), evidence_text=data["evidence_text"],
                                  evidence_url=data["evidence_url"], evidence_file=data["evidence_file"])
        except PortfolioError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Added to your portfolio."))
            return redirect("portfolio:portfolio", pk=item.pk)
    return render(request, "portfolio/entry_form.html", {"portfolio": item, "form": form})


@login_required
def entry_detail(request, pk, entry_pk):
    item = _portfolio(request, pk)
    entry = selectors.entry_get(user=request.user, portfolio=item, pk=entry_pk)
    report = selectors.verify(entry.credential.document) if hasattr(entry, "credential") else None
    return render(request, "portfolio/entry_detail.html", {
        "portfolio": item, "entry": entry, "report": report, "is_self": access.relation(request.user, item) == "self",
        "may_manage": access.may_manage(request.user, item)})


@login_required
@require_POST
def entry_parent(request, pk, entry_pk):
    item = _portfolio(request, pk)
    entry = selectors.entry_get(user=request.user, portfolio=item, pk=entry_pk)
    services.entry_share_with_parent(user=request.user, entry=entry, visible=request.POST.get("visible") == "1")
    return redirect("portfolio:entry", pk=item.pk, entry_pk=entry.pk)


@login_required
def evidence_file(request, pk, evidence_pk):
    item = _portfolio(request, pk, purpose="evidence file")
    evidence = selectors.evidence_file_get(user=request.user, portfolio=item, pk=evidence_pk)
    # streamed: the read was recorded above, before the response is returned
    return _private(FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name or "evidence"))


@login_required
@_handles_closed
def code_new(request, pk):
    item = _managed(request, pk)
    code = None
    if request.method == "POST":
        try:
            code = services.code_create(user=request.user, portfolio=item)
        except PortfolioError as error:
            messages.error(request, error.message)
            return redirect("portfolio:portfolio", pk=item.pk)
    qr = None
    if code is not None:
        import segno

        link = request.build_absolute_uri(reverse("portfolio:org_redeem")) + f"?code={code.code}"
        qr = segno.make(link, error="m").svg_inline(scale=5, title=_("QR code of your portfolio code"))
    return render(request, "portfolio/code.html", {"portfolio": item, "code": code, "qr": qr,
                                                   "hours": code and code.VALID_HOURS})


@login_required
@_handles_closed
def request_new(request, pk):
    item = _managed(request, pk)
    form = RequestForm(request.POST or None, entries=access.visible_entries(request.user, item),
                       initial={"issuer": request.GET.get("issuer")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_create(user=request.user, portfolio=item, issuer=data["issuer"], message=data["message"],
                                    achievement=data["achievement"], entry=data["entry"])
        except PortfolioError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your request was sent to %(name)s.") % {"name": data["issuer"].name})
            return redirect("portfolio:portfolio", pk=item.pk)
    return render(request, "portfolio/request_form.html", {"portfolio": item, "form": form})


@login_required
@_handles_closed
def settings_view(request, pk):
    item = _managed(request, pk)
    is_self = access.relation(request.user, item) == "self"
    form = SettingsForm(request.POST or None, is_self=is_self,
                        initial={"display_name": item.display_name, "parent_sees_all": item.parent_sees_all})
    if request.method == "POST" and form.is_valid():
        try:
            services.portfolio_settings(user=request.user, portfolio=item, display_name=form.cleaned_data["display_name"],
                                        parent_sees_all=form.cleaned_data.get("parent_sees_all", False))
        except PortfolioError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("portfolio:portfolio", pk=item.pk)
    return render(request, "portfolio/settings.html", {"portfolio": item, "form": form, "is_self": is_self,
                                                       "links": selectors.owner_links(portfolio=item)})


@login_required
@require_POST
def link_end(request, pk, issuer_pk):
    item = _portfolio(request, pk)
    issuer = selectors.issuer_get(pk=issuer_pk)
    try:
        services.link_end(user=request.user, portfolio=item, issuer=issuer)
    except PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s no longer sees your portfolio.") % {"name": issuer.name})
    return redirect("portfolio:settings", pk=item.pk)


@login_required
@_handles_closed
def grant_new(request, pk):
    item = _managed(request, pk)
    entries = access.visible_entries(request.user, item)
    form = GrantForm(request.POST or None, entries=entries)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.grant_create(user=request.user, portfolio=item, entries=data["entries"],
                                          audience=data["audience"], audience_name=data["audience_name"],
                                          expires_on=data["expires_on"])
        except PortfolioError as error:
            _form_errors(form, error)
        else:
            return redirect("portfolio:grant", pk=item.pk, grant_pk=grant.pk)
    return render(request, "portfolio/grant_form.html", {"portfolio": item, "form": form})


@login_required
def grant_detail(request, pk, grant_pk):
    item = _portfolio(request, pk)
    grant = selectors.grant_get(user=request.user, portfolio=item, pk=grant_pk)  # a parent of a youth of 13 or older sees none
    link = request.build_absolute_uri(reverse("portfolio:share", args=[grant.token]))
    import segno

    qr = segno.make(link, error="m").svg_inline(scale=4, title=_("QR code of the share link"))
    return render(request, "portfolio/grant_detail.html", {
        "portfolio": item, "grant": grant, "link": link, "qr": qr, "is_open": grant.is_open(),
        "may_manage": access.may_manage(request.user, item)})


@login_required
@require_POST
def grant_revoke(request, pk, grant_pk):
    item = _portfolio(request, pk)
    grant = selectors.grant_get(user=request.user, portfolio=item, pk=grant_pk)
    try:
        services.grant_revoke(user=request.user, grant=grant)
    except PortfolioError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The link no longer works."))
    return redirect("portfolio:grant", pk=item.pk, grant_pk=grant.pk)


def _credential_response(credential, document: dict | None = None) -> HttpResponse:
    document = document or credential.document
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=JSONLD + "; charset=utf-8")
    name = slugify(credential.achievement.name)[:40] or "credential"
    # the name shows the document's own id: a shared copy must not carry the original's
    response["Content-Disposition"] = f'attachment; filename="{name}-{str(document.get("id"))[9:17]}.json"'
    return response


@login_required
def credential_json(request, pk, credential_pk):
    """The signed credential file: for the owner (and a parent where allowed) or the issuing organisation."""
    if access.issuer_of(request.user) is not None:
        credential = selectors.issuer_credential_export(user=request.user, portfolio_pk=pk, pk=credential_pk)
    else:
        item = _portfolio(request, pk, purpose="credential download")
        credential = selectors.owner_credential_get(user=request.user, portfolio=item, pk=credential_pk)
    return _private(_credential_response(credential))


@login_required
def export(request, pk):
    """Everything the user may see, as a zip: each credential's JSON, the entries as JSON and a PDF."""
    from leerloopbaan.portfolio.youth.pdf import portfolio_pdf

    item = _portfolio(request, pk, purpose="portfolio export")
    overview = selectors.portfolio_overview(user=request.user, portfolio=item)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for credential in overview["credentials"]:
            name = slugify(credential.achievement.name)[:40] or "credential"
            archive.writestr(f"credentials/{name}-{credential.credential_id[9:17]}.json",
                             json.dumps(credential.document, ensure_ascii=False, indent=2))
        archive.writestr("portfolio.json", json.dumps(_entries_json(overview["entries"]), ensure_ascii=False, indent=2))
        archive.writestr("portfolio.pdf", portfolio_pdf(item, overview))
        for entry in overview["entries"]:
            for evidence in entry.evidence.all():
                if evidence.kind == "file" and evidence.file:
                    try:
                        with evidence.file.open("rb") as handle:
                            archive.writestr(f"evidence/{evidence.pk}-{evidence.file_name}", handle.read())
                    except FileNotFoundError:
                        continue
        archive.writestr("README.txt", _("Your talent portfolio, exported on %(date)s.\n\n"
                                         "credentials/: each attested competence as an Open Badges 3.0 credential. "
                                         "It stays verifiable without this platform: any verifier for W3C Verifiable "
                                         "Credentials can check it.\nportfolio.pdf: everything, readable.\n"
                                         "portfolio.json: your entries.\nevidence/: your evidence files.\n")
                         % {"date": formatting.date(clock.today())})
    selectors.portfolio_export_record(user=request.user, portfolio=item, credentials=len(overview["credentials"]))
    response = _private(HttpResponse(buffer.getvalue(), content_type="application/zip"))
    response["Content-Disposition"] = f'attachment; filename="talent-portfolio-{clock.today().isoformat()}.zip"'
    return response


def _entries_json(entries) -> list[dict]:
    return [{"kind": e.kind, "source": e.source, "title": e.title, "description": e.description, "where": e.where,
             "from": e.started_on.isoformat(), "until": e.ended_on.isoformat() if e.ended_on else None,
             "esco": e.esco_skill.uri if e.esco_skill else None,
             "credential": e.credential.credential_id if hasattr(e, "credential") else None,
             "evidence": [{"kind": ev.kind, "text": ev.text, "url": ev.url, "file": ev.file_name} for ev in e.evidence.all()]}
            for e in entries]


# --- public ------------------------------------------------------------------------------------

@never_cache
def share(request, token):
    """What a youth shared: each credential with its verification result. Nothing once closed."""
    grant = selectors.grant_open(token=token)
    if grant is None:
        return render(request, "portfolio/share_closed.html", status=404)
    entries = selectors.grant_items(grant=grant)
    services.grant_view_record(grant=grant)
    now = timezone.now()
    # each credential as this share shows it: with the share's pairwise holder id
    items = []
    for e in entries:
        item = {"entry": e, "report": None, "plain": None}
        if hasattr(e, "credential"):
            document = services.share_document(e.credential, grant)
            item["report"] = selectors.verify(document, now=now)
            item["plain"] = selectors.plain_summary(document, item["report"])
        items.append(item)
    return render(request, "portfolio/share.html", {"grant": grant, "items": items, "name": grant.portfolio.display_name})


@never_cache
def share_credential(request, token, credential_pk):
    grant = selectors.grant_open(token=token)
    if grant is None:
        raise Http404
    credential = selectors.grant_credential(grant=grant, pk=credential_pk)
    services.grant_view_record(grant=grant, what="download")
    return _private(_credential_response(credential, document=services.share_document(credential, grant)))


@upload_limit(VerifyForm.MAX_BYTES + 64 * 1024)
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    report = plain = None
    if request.method == "POST" and form.is_valid():
        report = selectors.verify(form.cleaned_data["credential"])
        plain = selectors.plain_summary(form.cleaned_data["credential"], report)
    return render(request, "portfolio/verify.html", {"form": form, "report": report, "plain": plain})


def issuer_did(request, slug):
    issuer = selectors.published_issuer(slug=slug)
    response = JsonResponse(services.controller_document(issuer), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/did+ld+json"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def status_list(request, slug, purpose, number):
    item = selectors.status_list_get(slug=slug, purpose=purpose, number=number)
    response = JsonResponse(services.status_list_document(item), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/vc+ld+json"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "max-age=300"
    return response
