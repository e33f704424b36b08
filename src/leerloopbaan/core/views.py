from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from leerloopbaan.core import selectors
from leerloopbaan.core.home import PANELS


@login_required
def home(request):
    panels = []
    for panel in PANELS.get(request.user.role, []):
        try:
            url = reverse(panel.url_name) if panel.url_name else ""
        except NoReverseMatch:
            url = ""
        panels.append({"title": panel.title, "empty": panel.empty, "url": url})
    context = {"panels": panels, "summary": selectors.home_summary(user=request.user)}
    return render(request, "core/home.html", context)
