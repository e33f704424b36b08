from django.conf import settings
from django.urls import NoReverseMatch, reverse

from leerloopbaan.site.navigation import items_for


def shell(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        for item in items_for(user.role):
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            nav.append({"label": item.label, "url": url, "active": request.path == url})
    return {"nav_items": nav, "demo_mode": settings.DEMO}
