"""Matching pages: pupils' needs, matching runs (draft, simulation, re-match) and their review,
matches with their health, check-ins, the tutor's "your pupils", the pupil's own tutoring, reports.

Reads go through ``tutoring.selectors_matching`` (scoped, audited); writes through
``tutoring.services_matching``; figures through ``tutoring.reports``.
"""

from __future__ import annotations

import functools
from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.registry.selectors import display_name, pupil_get
from leerloopbaan.tutoring.access import coordinated_initiatives, may_enter_needs
from leerloopbaan.tutoring.matching import problem as matching
from leerloopbaan.tutoring.matching import selectors as sel
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.matching.forms import (
    CRITERION_LABELS,
    DAY_LABELS,
    PART_LABELS,
    RULE_LABELS,
    UNMATCHED_LABELS,
    CheckInForm,
    EndForm,
    NeedForm,
    OverrideForm,
    ProposalForm,
    RejectForm,
    RematchForm,
    VersionForm,
    WeightsForm,
    rule_text,
    slot_text,
)
from leerloopbaan.tutoring.matching.selectors import MatchStatus, NeedStatus, RunStatus
from leerloopbaan.tutoring.reports import selectors as tutoring_reports
from leerloopbaan.tutoring.vocabulary import Subject


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("not a number") from None


def _slot_grid(selected) -> list[dict]:
    chosen = {str(s) for s in selected or []}
    return [{"day": DAY_LABELS[d], "slots": [{"value": str(d * 3 + p), "label": f"{DAY_LABELS[d]} {PART_LABELS[p]}",
                                              "checked": str(d * 3 + p) in chosen} for p in range(3)]} for d in range(7)]


# --- needs -------------------------------------------------------------------------------------------

@login_required
def need_list(request):
    user = request.user
    if not sel.may_see_needs(user):
        raise PermissionDenied
    status = request.GET.get("status") or None
    rows = sel.need_list(user=user, status=status)
    for r in rows:
        r.slots_text = slot_text(r.need.slots)
    return render(request, "tutoring/needs/list.html", {
        "rows": rows, "statuses": NeedStatus.choices, "filters": request.GET, "may_enter": may_enter_needs(user),
        "show_priority": sel.may_match(user)})


@login_required
def need_new(request):
    """``?pupil=<pupil_key>&subject=<subject>`` prefill the form; a pupil outside the user's scope answers 404."""
    user = request.user
    if not may_enter_needs(user):
        raise PermissionDenied
    posting = request.method == "POST"
    key = (request.POST if posting else request.GET).get("pupil", "")
    if not key:
        return render(request, "tutoring/needs/choose_pupil.html", {})
    # one audited read; a saved need names the pupil in its own entry, so the request writes no second one
    pupil = pupil_get(user=user, pupil_key=key, purpose="tutoring need")
    defaults = svc.need_defaults(user=user, pupil=pupil)
    subject = request.GET.get("subject", "")
    initial = {"pupil": pupil.pupil_key, "subject": subject if subject in Subject.values else "", "modes": ["online", "offline"],
               "languages": ["nl"], "level": defaults.get("level"), "district": defaults.get("district", "")}
    form = NeedForm(request.POST if posting else None, initial=initial)
    if posting and form.is_valid():
        d = form.cleaned_data
        try:
            need = svc.need_create(user=user, pupil=pupil, subject=d["subject"], level=d["level"], language_support=d["language_support"],
                                   languages=d["languages"], home_language=d["home_language"], slots=[int(s) for s in d["slots"]],
                                   modes=d["modes"], district=d["district"], description=d["description"], consent_by=d["consent_by"],
                                   consent_on=d["consent_on"], initiatives=d["initiatives"])
        except svc.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The need was entered. The pupil now waits for a tutor."))
            return redirect("tutoring:need_detail", pk=need.pk)
    selected = form.data.getlist("slots") if posting else []
    return render(request, "tutoring/needs/form.html", {
        "form": form, "pupil": pupil, "pupil_label": display_name(user, pupil), "school": defaults.get("school"),
        "grid": _slot_grid(selected), "parts": PART_LABELS, "no_enrolment": not defaults})


@login_required
def need_detail(request, pk: int):
    user = request.user
    view = sel.need_get(user=user, pk=pk)
    return render(request, "tutoring/needs/detail.html", {
        "view": view, "need": view.need, "slots_text": slot_text(view.need.slots), "show_priority": sel.may_match(user),
        "withdraw_form": VersionForm(initial={"version": view.need.version}) if workflow.may(user, view.need, "withdraw", svc.NEED) else None})


_RELOAD = gettext_lazy("Please reload the page and try again.")


def _need(request, pk: int):
    if not may_enter_needs(request.user):
        raise Http404("no such need")
    return sel.need_for_update(user=request.user, pk=pk)


def _withdraw(request, need, d):
    svc.need_withdraw(user=request.user, need=need, version=d["version"])
    return _("The need was withdrawn.")


# POST /tutoring/needs/<pk>/withdraw/: the kernel's transition view
need_withdraw = workflow.transition_view(
    load=_need, back=lambda request, need: reverse("tutoring:need_detail", args=[need.pk]), errors=(svc.MatchingError,),
    fixed="withdraw", actions={"withdraw": workflow.Action(VersionForm, _withdraw, invalid=_RELOAD)})


# --- runs --------------------------------------------------------------------------------------------

def _initiatives(user):
    return coordinated_initiatives(user).filter(active=True).order_by("name")


def _chosen_initiative(request):
    raw = request.POST.get("initiative") or request.GET.get("initiative")
    initiatives = _initiatives(request.user)
    if raw:
        return initiatives.filter(pk=_int(raw)).first()
    return initiatives.first()


@login_required
def run_list(request):
    user = request.user
    if not sel.may_match(user):
        raise PermissionDenied
    runs = sel.run_list(user=user)
    return render(request, "tutoring/runs/list.html", {"runs": runs, "initiatives": _initiatives(user), "may_run_city": svc.may_run_city(user)})


def _weights_form(request, form_class):
    user = request.user
    initiative = _chosen_initiative(request)
    initial = {"initiative": initiative.pk if initiative else None, **svc.clean_weights(None, initiative)}
    if request.method == "POST":
        return form_class(request.POST, initiatives=_initiatives(user)), initiative
    return form_class(initial=initial, initiatives=_initiatives(user)), initiative


@login_required
def run_new(request):
    """Run matching (a draft) or a simulation for an initiative, with weights prefilled from the initiative."""
    user = request.user
    if not sel.may_match(user):
        raise PermissionDenied
    form, initiative = _weights_form(request, WeightsForm)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run = svc.run_create(user=user, initiative=d["initiative"], weights=form.weights(), simulation=d["simulation"])
        except svc.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            if run.status == RunStatus.SIMULATION:
                messages.info(request, _("Simulation done. Nothing was published or changed."))
            else:
                messages.success(request, _("Matching done. Review the proposals, then publish."))
            return redirect("tutoring:run_detail", pk=run.pk)
    draft = sel.draft_of(user=user, initiative=initiative)
    return render(request, "tutoring/runs/form.html", {"form": form, "initiative": initiative, "draft": draft, "rematch": False,
                                                       "weight_fields": [form[k] for k in form.WEIGHTS]})


@login_required
def rematch(request):
    """Re-match after tutors left: unaffected active matches stay, only the affected pupils move."""
    user = request.user
    if not sel.may_match(user):
        raise PermissionDenied
    form, initiative = _weights_form(request, RematchForm)
    if request.method == "POST" and form.is_valid():
        try:
            run = svc.run_rematch(user=user, initiative=form.cleaned_data["initiative"], weights=form.weights())
        except svc.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Re-match done. Every unaffected match stays; review the proposals for the others."))
            return redirect("tutoring:run_detail", pk=run.pk)
    affected = sel.rematch_affected(user=user, initiative=initiative)
    return render(request, "tutoring/runs/form.html", {"form": form, "initiative": initiative, "rematch": True, "affected": affected,
                                                       "weight_fields": [form[k] for k in form.WEIGHTS]})


@login_required
def city_run(request):
    """One matching for the city (the admin, a programme manager): one solve over every active initiative,
    one draft per initiative for its coordinators to review and publish. Numbers only on this page."""
    user = request.user
    if not svc.may_run_city(user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            done = svc.run_city(user=user)
        except svc.MatchingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("City-wide matching done: %(matched)d of %(needs)d waiting pupils have a proposal, in "
                                        "%(drafts)d drafts. The coordinators of each initiative review and publish theirs.") % {
                "matched": done.matched, "needs": done.needs, "drafts": len(done.runs)})
        return redirect("tutoring:city_run")
    return render(request, "tutoring/runs/city.html", {"overview": sel.city_overview(user=user), "may_review": sel.may_match(user)})


@login_required
def run_detail(request, pk: int):
    user = request.user
    view = sel.run_get(user=user, pk=pk, state=request.GET.get("state") or None, page=request.GET.get("page") or 1,
                       unmatched_page=request.GET.get("upage") or 1)
    run = view.run
    editable = workflow.may(user, run, "publish", svc.RUN)  # a draft its coordinators review, accept, reject and publish
    for p in view.proposals:
        p.violations = rule_text((p.match.explanation or {}).get("violations"))
        p.slots_text = slot_text(p.details.get("shared_slots"))
        for c in p.criteria:
            c["label"] = CRITERION_LABELS.get(c["name"], c["name"])
    for u in view.unmatched:
        u.reason_label = UNMATCHED_LABELS.get(u.reason, u.reason)
        u.rules = [(RULE_LABELS[code], n) for code, n in u.detail.items() if code in RULE_LABELS and isinstance(n, int)]
    reject = RejectForm()
    return render(request, "tutoring/runs/detail.html", {
        "view": view, "run": run, "editable": editable, "criterion_labels": CRITERION_LABELS,
        "accept_url": reverse("tutoring:match_action", args=[run.pk, "accept"]),
        "accept_all_url": reverse("tutoring:match_action", args=[run.pk, "accept_all"]), "states": sel.STATES,
        "reject_url": reverse("tutoring:match_action", args=[run.pk, "reject"]),
        "override_url": reverse("tutoring:match_action", args=[run.pk, "override"]),
        "never_label": reject.fields["never_again"].label, "reason_label": reject.fields["reason"].label,
        "weights": [(CRITERION_LABELS.get(k, k), v) for k, v in (run.weights or {}).items()]})


def _run(request, pk: int):
    return sel.run_for_update(user=request.user, pk=pk)


def _run_page(request, run) -> str:
    return reverse("tutoring:run_detail", args=[run.pk])


def _publish(request, run, d):
    user = request.user
    report = svc.run_publish(user=user, run=run, base_url=request.build_absolute_uri("/").rstrip("/"))
    messages.success(request, _("Published: %(n)d matches are active now.") % {"n": len(report.activated)})
    if report.unreviewed:
        messages.warning(request, _("%(n)d proposals were not reviewed and were left out.") % {"n": len(report.unreviewed)})
    for m, reason in report.skipped:
        messages.warning(request, _("%(pupil)s (%(school)s): skipped, %(reason)s.") % {
            "pupil": sel.pupil_label(user, m.need.pupil), "school": m.need.school.name, "reason": reason})
    return redirect("tutoring:run_detail", pk=run.pk)


def _discard(request, run, d):
    svc.run_discard(user=request.user, run=run)
    messages.success(request, _("The run was discarded."))
    return redirect("tutoring:run_list")


def _accept_all(request, run, d):
    n = svc.proposals_accept_all(user=request.user, run=run)
    return _("%(n)d proposals accepted.") % {"n": n}


def _proposal(request, run, d, service, done):
    match = run.matches.filter(pk=d["match"]).first()
    if match is None:
        raise Http404("no such proposal")
    service(match, d)
    messages.success(request, done)
    return redirect(reverse("tutoring:run_detail", args=[run.pk]) + f"#proposal-{match.pk}")


def _accept(request, run, d):
    return _proposal(request, run, d, lambda m, d: svc.match_accept(user=request.user, match=m, version=d["version"]), _("Accepted."))


def _reject(request, run, d):
    return _proposal(request, run, d, lambda m, d: svc.match_reject(user=request.user, match=m, version=d["version"],
                                                                    never_again=d["never_again"], reason=d["reason"]), _("Rejected."))


_on_run = functools.partial(workflow.transition_view, load=_run, back=_run_page, errors=(svc.MatchingError,))
# POST /tutoring/runs/<pk>/publish/ and /discard/: the kernel's transition view
run_publish = _on_run(fixed="publish", actions={"publish": workflow.Action(forms.Form, _publish)})
run_discard = _on_run(fixed="discard", actions={"discard": workflow.Action(forms.Form, _discard)})
_proposal_action = _on_run(actions={"accept": workflow.Action(ProposalForm, _accept, invalid=_RELOAD),
                                    "reject": workflow.Action(RejectForm, _reject, invalid=_RELOAD),
                                    "accept_all": workflow.Action(forms.Form, _accept_all)})


@login_required
def match_action(request, pk: int, action: str):
    """accept / reject a proposal of draft run ``pk``, or accept_all unreviewed ones (POST: the kernel's transition
    view); override also shows its form (GET ``?need=``)."""
    if action == "override":
        return _override(request, sel.run_for_update(user=request.user, pk=pk))
    return _proposal_action(request, pk=pk, action=action)


def _override(request, run):
    """Choose another tutor for a need of a draft: the tutors of the initiative, those who fit the rules first."""
    user = request.user
    if run.status != RunStatus.DRAFT:
        messages.error(request, _("This run was published or discarded already; nothing was changed."))
        return redirect("tutoring:run_detail", pk=run.pk)
    posting = request.method == "POST"
    need = sel.need_in_run(user=user, run=run, pk=_int((request.POST if posting else request.GET).get("need")))
    options = sel.override_options(user=user, run=run, need=need)
    tutors = options.tutors
    rules = matching.explain_for_tutors(need, tutors, used=Counter(options.used))
    notes = {t: ("; ".join(rule_text(codes)) if codes else str(_("fits the rules"))) for t, codes in rules.items()}
    form = OverrideForm(request.POST if posting else None, initial={"need": need.pk}, tutors=options.queryset, notes=notes)
    # those who fit the rules first
    ordered = sorted(tutors, key=lambda t: (len(rules.get(t.pk, ())), t.last_name, t.first_name))
    form.fields["tutor"].choices = [("", "---------")] + [(t.pk, form.fields["tutor"].label_from_instance(t)) for t in ordered]
    warnings = []
    if posting and form.is_valid():
        d = form.cleaned_data
        try:
            svc.match_override(user=user, run=run, need=need, tutor=d["tutor"], reason=d["reason"], confirm=d["confirm"])
        except svc.NeedsConfirmation as exc:
            warnings = rule_text(exc.warnings)
            form.add_error("confirm", str(exc))
        except svc.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Another tutor was chosen. The pair is fixed and carries into the next run."))
            return redirect(reverse("tutoring:run_detail", args=[run.pk]) + f"#unmatched-{need.pk}")
    return render(request, "tutoring/runs/override.html", {
        "run": run, "form": form, "need": need, "pupil": sel.pupil_label(user, need.pupil), "current": options.current, "warnings": warnings,
        "slots_text": slot_text(need.slots)})


# --- matches ---------------------------------------------------------------------------------------

@login_required
def match_list(request):
    user = request.user
    if not sel.may_match(user):
        raise PermissionDenied
    if request.GET.get("status") == "ended":
        rows = sel.match_list(user=user, status=MatchStatus.ENDED)
        return render(request, "tutoring/matches/list.html", {"rows": rows, "ended": True})
    health = sel.match_health(user=user)
    # ?health=overdue: only the matches without a recent check-in (the home page's "check-ins missed")
    overdue_only = request.GET.get("health") == "overdue"
    rows = [r for r in health["rows"] if r.overdue] if overdue_only else health["rows"]
    return render(request, "tutoring/matches/list.html", {"rows": rows, "health": health, "ended": False,
                                                          "overdue_days": sel.OVERDUE_DAYS, "overdue_only": overdue_only})


@login_required
def match_detail(request, pk: int):
    user = request.user
    view = sel.match_get(user=user, pk=pk)
    m = view.match
    return render(request, "tutoring/matches/detail.html", {
        "view": view, "match": m, "need": m.need, "slots_text": slot_text(m.need.slots),
        "end_form": EndForm(initial={"version": m.version}) if workflow.may(user, m, "end", svc.MATCH) else None})


def _end(request, match, d):
    svc.match_end(user=request.user, match=match, version=d["version"], reason=d["reason"], note=d["note"])
    return _("The match has ended.")


# POST /tutoring/matches/<pk>/end/: the kernel's transition view
match_end = workflow.transition_view(
    load=lambda request, pk: sel.match_for_update(user=request.user, pk=pk),
    back=lambda request, match: reverse("tutoring:match_detail", args=[match.pk]), errors=(svc.MatchingError,), fixed="end",
    actions={"end": workflow.Action(EndForm, _end, invalid=gettext_lazy("Choose why the match ends."))})


def _after_checkin(user, match):
    if user.role == Role.TUTOR:
        return redirect("tutoring:my_pupils")
    if user.role == Role.YOUTH:
        return redirect("tutoring:my_tutoring")
    return redirect("tutoring:need_detail", pk=match.need_id)


@login_required
def checkin_new(request, pk: int):
    """A check-in on an active match: its tutor, its pupil, or a teacher of the pupil's school."""
    user = request.user
    posting = request.method == "POST"
    match, pupil, tutor_first = sel.checkin_target(user=user, pk=pk)
    form = CheckInForm(request.POST if posting else None)
    if posting and form.is_valid():
        d = form.cleaned_data
        try:
            svc.checkin_create(user=user, match=match, sessions=d["sessions"], rating=d["rating"], progress=d["progress"],
                               concern=d["concern"], comment=d["comment"])
        except svc.MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you. Your check-in was saved."))
            return _after_checkin(user, match)
    return render(request, "tutoring/matches/checkin.html", {"form": form, "match": match, "pupil": pupil, "tutor_first": tutor_first,
                                                             "subject": match.need.get_subject_display()})


# --- the tutor's and the pupil's pages ---------------------------------------------------------------

@login_required
def my_pupils(request):
    rows = sel.my_pupils(user=request.user, due_only=bool(request.GET.get("due")))
    for r in rows:
        r.slots_text = slot_text(r.slots)
        r.form = CheckInForm(auto_id=f"id_checkin_{r.match_id}_%s")
    return render(request, "tutoring/me/pupils.html", {"rows": rows})


@login_required
def my_tutoring(request):
    rows = sel.my_tutoring(user=request.user)
    return render(request, "tutoring/me/tutoring.html", {"rows": rows})


# --- reports ---------------------------------------------------------------------------------------

@login_required
def reports(request):
    if not tutoring_reports.may_see_reports(request.user):
        raise PermissionDenied
    report = tutoring_reports.tutoring_report(user=request.user, today=clock.today())
    return render(request, "tutoring/reports/index.html", {"report": report, "months": tutoring_reports.RETENTION_MONTHS})
