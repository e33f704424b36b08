from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from leerloopbaan.ews import selectors as ews_selectors
from leerloopbaan.registry import selectors

PAGE = 50


@login_required
def pupil_list(request):
    if request.user.role not in selectors.NAME_ROLES | selectors.PSEUDONYM_ROLES:
        raise PermissionDenied
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    pupils = selectors.pupil_list(user=request.user, limit=PAGE, offset=(page - 1) * PAGE)
    rows = [{"pupil": p, "label": selectors.display_name(request.user, p)} for p in pupils]
    return render(
        request,
        "registry/pupil_list.html",
        {"rows": rows, "page": page, "has_next": len(pupils) == PAGE, "names": selectors.names_visible(request.user),
         "total": selectors.pupil_count(user=request.user)},
    )


@login_required
def pupil_detail(request, pupil_key: str):
    pupil = selectors.pupil_get(user=request.user, pupil_key=pupil_key)
    records = selectors.pupil_records(user=request.user, pupil=pupil)
    # timeline, absences per month and risk history: no second audit entry (pupil_get recorded this read)
    extras = ews_selectors.pupil_page_extras(user=request.user, pupil=pupil, records=records)
    return render(
        request,
        "registry/pupil_detail.html",
        {"pupil": pupil, "label": selectors.display_name(request.user, pupil), **records, **extras},
    )
