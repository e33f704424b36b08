from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from leerloopbaan.registry import pseudonymised, selectors

PAGE = 50


@login_required
def pupil_list(request):
    if request.user.role not in selectors.NAME_ROLES | selectors.PSEUDONYM_ROLES:
        raise PermissionDenied
    if selectors.pseudonymised_view(request.user):  # city roles: the released values only
        try:
            page = max(int(request.GET.get("page", "1")), 1)
        except ValueError:
            page = 1
        shown = pseudonymised.pupil_list(user=request.user, limit=PAGE, offset=(page - 1) * PAGE)
        return render(request, "registry/pupil_list.html", {
            "shown": shown, "rows": shown, "page": page, "has_next": len(shown) == PAGE, "names": False,
            "total": selectors.pupil_count(user=request.user)})
    g = request.GET
    result = selectors.pupil_list_page(user=request.user, former=g.get("former") == "1", q=g.get("q", ""),
                                       class_group=g.get("class", ""), page=g.get("page", 1), per_page=PAGE)
    return render(request, "registry/pupil_list.html", {
        "result": result, "filters": g, "names": True, "total": result.total})
