"""Pages of the organisation and city side of the talent portfolio.

- Public: an organisation registers; the talent growth places per district; the public page of an
  achievement (the ``achievement.id`` inside the credentials).
- Organisation contact: home, achievements (with an ESCO picker that works without JavaScript),
  redeeming a youth's code, the young people who shared, their requests, the credentials issued, the
  signing keys, the talent growth places.
- City: verify or refuse registrations; figures per district.

Reads about young people go through ``selectors`` (scoped, audited; 404 outside the scope); writes
through ``services`` / ``services_org``, whose ``PortfolioError`` is shown on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from leerloopbaan.kernel import workflow
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.organisations import selectors as selectors_org
from leerloopbaan.portfolio.organisations import services as services_org
from leerloopbaan.portfolio.organisations.forms import (
    AchievementForm,
    ActivityForm,
    AttestForm,
    CodeForm,
    CredentialStatusForm,
    DeclineForm,
    IssuerDecisionForm,
    KeyRevokeForm,
    PlaceForm,
    RegisterForm,
)
from leerloopbaan.portfolio.youth import selectors, services
from leerloopbaan.portfolio.youth.selectors import CredentialStatus, IssuerStatus, RequestStatus

PortfolioError = services.PortfolioError
ESCO_MIN_QUERY = 2


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _esco_results(query: str):
    query = (query or "").strip()[:100]
    if len(query) < ESCO_MIN_QUERY:
        return []
    return selectors.esco_search(query=query)


# --- public ---------------------------------------------------------------------------------

def register(request):
    """An organisation asks to attest competences (no login); the city verifies it first."""
    if request.method == "POST":
        form = RegisterForm(request.POST)
        if form.is_spam:
            return redirect("portfolio:register_done")  # a robot: look the same, store nothing
        if form.is_valid():
            try:
                services.issuer_register(**form.register_values())
            except PortfolioError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("portfolio:register_done")
    else:
        form = RegisterForm()
    return render(request, "portfolio/register.html", {"form": form})


def register_done(request):
    return render(request, "portfolio/register_done.html")


def places(request):
    """Talent growth places (talentgroeiplaatsen) and their activities, per district."""
    return render(request, "portfolio/places/list.html", {"districts": selectors.places_by_district()})


def achievement_public(request, uuid):
    achievement = selectors_org.achievement_public(uuid=uuid)
    return render(request, "portfolio/places/achievement.html", {
        "achievement": achievement, "skill": achievement.esco_skill, "issuer": achievement.issuer,
        "activities": achievement.activities.filter(place__active=True).select_related("place")})


# --- organisation ---------------------------------------------------------------------------

def _issuer(request):
    return selectors_org.my_issuer(user=request.user)


def _unverified_notice(request, issuer) -> None:
    if not issuer.is_verified:
        messages.warning(request, _("The city has not verified your organisation yet: you cannot attest competences."))


@login_required
def org_home(request):
    issuer = _issuer(request)
    return render(request, "portfolio/org/home.html", {
        "issuer": issuer, "counts": selectors_org.issuer_counts(issuer=issuer) if issuer.is_verified else None})


@login_required
def org_achievements(request):
    issuer = _issuer(request)
    return render(request, "portfolio/org/achievements.html", {
        "issuer": issuer, "achievements": selectors_org.issuer_achievements(issuer=issuer)})


@login_required
def org_achievement_new(request):
    """A new achievement. The ESCO skill is found with a search word: the Search button shows the
    results as a list to choose from (no JavaScript needed)."""
    issuer = _issuer(request)
    _unverified_notice(request, issuer)
    if request.method == "POST":
        searching = "search" in request.POST
        query = request.POST.get("esco_query", "")
        results = _esco_results(query)
        form = AchievementForm(request.POST, results=results)
        if searching:
            form = _unvalidated(form)
        elif form.is_valid():
            try:
                achievement = services.achievement_create(user=request.user, **form.achievement_values())
            except PortfolioError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The achievement \"%(name)s\" was created.") % {"name": achievement.name})
                return redirect("portfolio:org_achievements")
    else:
        query = request.GET.get("q", "")
        results = _esco_results(query)
        form = AchievementForm(initial={"esco_query": query}, results=results)
    return render(request, "portfolio/org/achievement_form.html", {
        "issuer": issuer, "form": form, "query": query.strip(), "results": results, "searched": len(query.strip()) >= 2})


def _unvalidated(form):
    """A bound form shown again after a search, without error messages (nothing was submitted yet)."""
    form.full_clean()
    form._errors = ErrorDict()
    return form


@login_required
@require_GET
def esco_search(request):
    """JSON for the ESCO picker: [{id, uri, label, group}]."""
    _issuer(request)
    skills = _esco_results(request.GET.get("q", ""))
    return JsonResponse([{"id": s.pk, "uri": s.uri, "label": s.label(), "group": s.group()} for s in skills], safe=False)


@login_required
def org_redeem(request):
    """Enter the code a young person gave: from then on the organisation may attest for them."""
    issuer = _issuer(request)
    _unverified_notice(request, issuer)
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                portfolio = services.code_redeem(user=request.user, code=form.cleaned_data["code"])
            except PortfolioError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("%(name)s now shares their portfolio with your organisation.") % {
                    "name": portfolio.display_name})
                return redirect("portfolio:org_youth", pk=portfolio.pk)
    else:  # the QR code of the youth's code leads here with ?code=
        form = CodeForm(initial={"code": request.GET.get("code", "")[:20]})
    return render(request, "portfolio/org/redeem.html", {"issuer": issuer, "form": form})


@login_required
def org_youths(request):
    issuer = _issuer(request)
    return render(request, "portfolio/org/youths.html", {"issuer": issuer, "rows": selectors.issuer_youths(user=request.user)})


@login_required
def org_youth(request, pk: int):
    """One young person who shared: the credentials issued here, and attesting a competence."""
    _issuer(request)
    issuer, portfolio, credentials = selectors.issuer_youth_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = AttestForm(request.POST, issuer=issuer)
        if form.is_valid():
            try:
                credential = services.credential_issue(user=request.user, portfolio=portfolio, **form.issue_values())
            except PortfolioError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Attested: \"%(name)s\" is now in %(youth)s's portfolio.") % {
                    "name": credential.achievement.name, "youth": portfolio.display_name})
                return redirect("portfolio:org_youth", pk=portfolio.pk)
    else:
        form = AttestForm(issuer=issuer)
    return render(request, "portfolio/org/youth.html", {
        "issuer": issuer, "portfolio": portfolio, "credentials": credentials, "form": form,
        "has_achievements": form.fields["achievement"].queryset.exists()})


@login_required
def org_requests(request):
    issuer = _issuer(request)
    status = request.GET.get("status") or None
    status = status if status in RequestStatus.values else None
    return render(request, "portfolio/org/requests.html", {
        "issuer": issuer, "requests": selectors.issuer_requests(user=request.user, status=status), "status": status,
        "statuses": RequestStatus.choices})


@login_required
def org_request(request, pk: int):
    """A young person's request: answer by attesting (an achievement, prefilled) or declining with a reason."""
    issuer = _issuer(request)
    req = selectors.issuer_request_get(user=request.user, pk=pk)
    is_open = workflow.may(request.user, req, "decline", services.ATTESTATION_REQUEST)
    issue_form = AttestForm(issuer=issuer, initial={"achievement": req.achievement_id}, prefix="issue")
    decline_form = DeclineForm(prefix="decline")
    if request.method == "POST" and is_open:
        action = request.POST.get("action")
        try:
            if action == "issue":
                issue_form = AttestForm(request.POST, issuer=issuer, prefix="issue")
                if issue_form.is_valid():
                    services.credential_issue(user=request.user, portfolio=req.portfolio, request=req,
                                              **issue_form.issue_values())
                    messages.success(request, _("Attested. The young person finds the credential in their portfolio."))
                    return redirect("portfolio:org_request", pk=req.pk)
            elif action == "decline":
                decline_form = DeclineForm(request.POST, prefix="decline")
                if decline_form.is_valid():
                    services.request_decline(user=request.user, request=req, answer=decline_form.cleaned_data["answer"])
                    messages.success(request, _("The request was declined. The young person reads your answer."))
                    return redirect("portfolio:org_request", pk=req.pk)
        except PortfolioError as exc:
            (issue_form if action == "issue" else decline_form).add_service_errors(exc)
    elif request.method == "POST":
        messages.error(request, _("This request has already been answered."))
        return redirect("portfolio:org_request", pk=req.pk)
    evidence = list(req.entry.evidence.all()) if req.entry_id else []
    return render(request, "portfolio/org/request.html", {
        "issuer": issuer, "req": req, "is_open": is_open, "evidence": evidence, "issue_form": issue_form,
        "decline_form": decline_form})


@login_required
def org_credentials(request):
    issuer = _issuer(request)
    return render(request, "portfolio/org/credentials.html", {
        "issuer": issuer, "credentials": selectors.issuer_credentials(user=request.user)})


@login_required
def org_credential(request, pk: int):
    """An issued credential: suspend (for a while), reinstate, or revoke (for good), with a reason."""
    issuer = _issuer(request)
    credential = selectors.issuer_credential_get(user=request.user, pk=pk)
    form = CredentialStatusForm()
    if request.method == "POST":
        form = CredentialStatusForm(request.POST)
        if form.is_valid():
            try:
                services.credential_set_status(user=request.user, credential=credential, status=form.cleaned_data["status"],
                                               reason=form.cleaned_data["reason"])
            except PortfolioError as exc:
                form.add_service_errors(exc)
            else:
                done = {CredentialStatus.ACTIVE: _("The credential is valid again."),
                        CredentialStatus.SUSPENDED: _("The credential is suspended."),
                        CredentialStatus.REVOKED: _("The credential is revoked.")}
                messages.success(request, done[form.cleaned_data["status"]])
                return redirect("portfolio:org_credential", pk=credential.pk)
    allowed = {t.action for t in workflow.allowed_actions(request.user, credential, services.CREDENTIAL)}
    return render(request, "portfolio/org/credential.html", {
        "issuer": issuer, "credential": credential, "form": form,
        "failed_status": form.data.get("status") if form.is_bound else None,
        "can_suspend": "suspend" in allowed, "can_reinstate": "reinstate" in allowed, "can_revoke": "revoke" in allowed})


@login_required
def org_keys(request):
    """The organisation's signing keys and DID: rotate (a new key signs from now on) or revoke a key."""
    issuer = _issuer(request)
    revoke_form = KeyRevokeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rotate":
                key = services.key_rotate(user=request.user, issuer=issuer)
                messages.success(request, _("A new key (%(key)s) signs from now on.") % {"key": key.fragment})
                return redirect("portfolio:org_keys")
            if action == "revoke":
                revoke_form = KeyRevokeForm(request.POST)
                if revoke_form.is_valid():
                    key = selectors_org.issuer_key_get(issuer=issuer, pk=revoke_form.cleaned_data["key"])
                    if key.revoked_at is not None:
                        raise PortfolioError(_("This key has already been revoked."))
                    services.key_revoke(user=request.user, key=key, reason=revoke_form.cleaned_data["reason"])
                    messages.success(request, _("The key %(key)s is revoked.") % {"key": key.fragment})
                    return redirect("portfolio:org_keys")
        except PortfolioError as exc:
            if action == "revoke":
                revoke_form.add_service_errors(exc)
            else:
                messages.error(request, exc.message)
    keys = selectors_org.issuer_keys(issuer=issuer)
    return render(request, "portfolio/org/keys.html", {
        "issuer": issuer, "keys": keys, "did": services.issuer_did(issuer), "active_key": services.active_key(issuer),
        "revoke_form": revoke_form, "failed_key": revoke_form.data.get("key") if revoke_form.is_bound else None})


@login_required
def org_places(request):
    """The organisation's talent growth places: add a place, add an activity to a place."""
    issuer = _issuer(request)
    _unverified_notice(request, issuer)
    place_form = PlaceForm(prefix="place")
    query = ""
    results = []
    activity_form = ActivityForm(issuer=issuer, prefix="activity")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "place":
            place_form = PlaceForm(request.POST, prefix="place")
            if place_form.is_valid():
                try:
                    place = services_org.place_create(user=request.user, **place_form.place_values())
                except PortfolioError as exc:
                    place_form.add_service_errors(exc)
                else:
                    messages.success(request, _("The place \"%(name)s\" was added.") % {"name": place.name})
                    return redirect("portfolio:org_places")
        elif action in ("activity", "search"):
            query = request.POST.get("activity-esco_query", "")
            results = _esco_results(query)
            activity_form = ActivityForm(request.POST, issuer=issuer, results=results, prefix="activity")
            if action == "search":
                activity_form = _unvalidated(activity_form)
            elif activity_form.is_valid():
                try:
                    activity = services_org.activity_create(user=request.user, **activity_form.activity_values())
                except PortfolioError as exc:
                    activity_form.add_service_errors(exc)
                else:
                    messages.success(request, _("The activity \"%(title)s\" was added.") % {"title": activity.title})
                    return redirect("portfolio:org_places")
    return render(request, "portfolio/org/places.html", {
        "issuer": issuer, "places": selectors_org.issuer_places(issuer=issuer), "place_form": place_form,
        "activity_form": activity_form, "query": query.strip(), "results": results,
        "searched": len(query.strip()) >= ESCO_MIN_QUERY})


# --- city -----------------------------------------------------------------------------------

def _city_only(request) -> None:
    if not access.is_city(request.user):
        raise PermissionDenied


@login_required
def city_issuers(request):
    """Registrations of organisations by status: verify (creates the key, status lists and the contact's
    account) or refuse with a note."""
    _city_only(request)
    status = request.GET.get("status") or None
    status = status if status in IssuerStatus.values else None
    failed, form = None, None
    if request.method == "POST":
        form = IssuerDecisionForm(request.POST)
        if form.is_valid():
            issuer = selectors_org.city_issuer_get(user=request.user, pk=form.cleaned_data["issuer"])
            verify = form.cleaned_data["decision"] == "verify"
            try:
                services.issuer_decide(user=request.user, issuer=issuer, verify=verify, note=form.cleaned_data["note"],
                                       base_url=_base_url(request))
            except PortfolioError as exc:
                form.add_service_errors(exc)
                failed = issuer.pk
            else:
                if verify:
                    messages.success(request, _("%(name)s is verified. Its contact person received an invitation to "
                                                "choose a password.") % {"name": issuer.name})
                else:
                    messages.success(request, _("The registration of %(name)s is refused.") % {"name": issuer.name})
                return redirect(request.get_full_path())
        else:
            failed = form.data.get("issuer")
    every = selectors.issuers_for_city(user=request.user)
    issuers = [i for i in every if status is None or i.status == status]
    for i in issuers:
        i.can_decide = workflow.may(request.user, i, "verify", services.ISSUER)  # the city decides on a pending registration
    counts = {value: 0 for value in IssuerStatus.values}
    for issuer in every:
        counts[issuer.status] += 1
    return render(request, "portfolio/city/issuers.html", {
        "issuers": issuers, "status": status, "form": form, "failed": str(failed) if failed else None,
        "statuses": [(value, label, counts[value]) for value, label in IssuerStatus.choices]})


@login_required
def city_figures(request):
    _city_only(request)
    figures = selectors.city_figures(user=request.user)
    return render(request, "portfolio/city/figures.html", {
        "figures": figures, "issuer_counts": [(label, figures["issuers"].get(value, 0))
                                              for value, label in IssuerStatus.choices]})

