from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from leerloopbaan.ews import week as ews_week
from leerloopbaan.kernel import panels as pupil_panels
from leerloopbaan.registry.selectors import pupil_subject
from leerloopbaan.site import selectors
from leerloopbaan.site.home import PANELS, PRIMARY_PANEL


def _url(name: str) -> str:
    try:
        return reverse(name) if name else ""
    except NoReverseMatch:
        return ""


@login_required
def home(request):
    ready = selectors.data_ready()
    summary = selectors.home_summary(user=request.user)
    panels = []
    for panel in PANELS.get(request.user.role, []):
        if panel.url_name == "ews:risk_list" and summary["only_primary"]:
            # a primary school has no scores: its staff land on the school's page instead
            panel = PRIMARY_PANEL
            school = summary["schools"][0]["school"]
            panels.append({"title": panel.title, "empty": panel.filled, "filled": True,
                           "url": reverse("registry:primary_school", args=[school.school_number]), "links": []})
            continue
        filled = bool(panel.filled) and ready.get(panel.needs, False)
        url = _url(panel.url_name) if panel.url_name and (filled or not panel.needs) else ""
        links = [{"label": label, "url": _url(name)} for label, name in panel.links]
        panels.append({"title": panel.title, "empty": panel.filled if filled else panel.empty, "url": url, "filled": filled or bool(links),
                       "links": [link for link in links if link["url"]]})
    context = {"panels": panels, "summary": summary, "week": summary["week"]}
    return render(request, "site/home.html", context)


@require_GET
@login_required
def risk_changes(request, change: str):
    """The pupils counted on the home page as new in the high band or moved up a band (``ews.week``)."""
    rows = ews_week.changed_rows(user=request.user, change=change)
    return render(request, "site/risk_changes.html", {"rows": rows, "change": change})


@login_required
def pupil_page(request, pupil_key: str):
    """The pupil page: the pupil scoped and audited once, then every app's panel (``kernel.panels``):
    first each panel's summary (risk and reasons, what is under way), then the panels (the timeline first)."""
    subject = pupil_subject(user=request.user, pupil_key=pupil_key)
    shown = pupil_panels.compose(subject)
    return render(request, "site/pupil.html", {
        "subject": subject, "pupil": subject.pupil, "panels": shown,
        "summaries": [s for s in shown if s.panel.summary_template],
    })
