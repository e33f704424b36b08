from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from leerloopbaan.kernel import panels as pupil_panels
from leerloopbaan.registry.selectors import pupil_subject
from leerloopbaan.site import selectors
from leerloopbaan.site.home import PANELS


@login_required
def home(request):
    ready = selectors.data_ready()
    panels = []
    for panel in PANELS.get(request.user.role, []):
        filled = bool(panel.filled) and ready.get(panel.needs, False)
        try:
            url = reverse(panel.url_name) if panel.url_name and (filled or not panel.needs) else ""
        except NoReverseMatch:
            url = ""
        panels.append({"title": panel.title, "empty": panel.filled if filled else panel.empty, "url": url, "filled": filled})
    context = {"panels": panels, "summary": selectors.home_summary(user=request.user)}
    return render(request, "site/home.html", context)


@login_required
def pupil_page(request, pupil_key: str):
    """The pupil page: the pupil scoped and audited once, then every app's panel (``kernel.panels``)."""
    subject = pupil_subject(user=request.user, pupil_key=pupil_key)
    return render(request, "site/pupil.html", {
        "subject": subject, "pupil": subject.pupil, "panels": pupil_panels.compose(subject),
    })
