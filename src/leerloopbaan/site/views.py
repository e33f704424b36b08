from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

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
