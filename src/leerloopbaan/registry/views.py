from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from leerloopbaan.registry import pseudonymised, selectors

PAGE = 50


@login_required
def pupil_list(request):
    if request.user.role not in selectors.NAME_ROLES | selectors.PSEUDONYM_ROLES:
        raise PermissionDenied
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    if selectors.pseudonymised_view(request.user):  # city roles: the released values only
        shown = pseudonymised.pupil_list(user=request.user, limit=PAGE, offset=(page - 1) * PAGE)
        return render(request, "registry/pupil_list.html", {
            "shown": shown, "rows": shown, "page": page, "has_next": len(shown) == PAGE, "names": False,
            "total": selectors.pupil_count(user=request.user)})
    pupils = selectors.pupil_list(user=request.user, limit=PAGE, offset=(page - 1) * PAGE)
    rows = [{"pupil": p, "label": selectors.display_name(request.user, p)} for p in pupils]
    return render(
        request,
        "registry/pupil_list.html",
        {"rows": rows, "page": page, "has_next": len(pupils) == PAGE, "names": selectors.names_visible(request.user),
         "total": selectors.pupil_count(user=request.user)},
    )
