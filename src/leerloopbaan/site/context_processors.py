from django.conf import settings

from leerloopbaan.site.navigation import menu_for


def shell(request):
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        nav = menu_for(user.role, request.path)
    return {"nav_items": nav, "demo_mode": settings.DEMO}
