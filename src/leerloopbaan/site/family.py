"""A parent's view: their minor children, each with the child's page and an export of the child's data.

The registry's custody rule decides (``pupil_scope``: a parent sees a linked child until the child
turns 18); the child's page is the pupil page, whose panels show what a parent may see (attendance,
attestations, tutoring; no risk score, no care file). The portfolio keeps its own rules (from 13 the
young person decides what a parent sees)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.registry.selectors import my_children, pupil_export, pupil_subject
from leerloopbaan.tutoring.matching.selectors import pupil_export_tutoring


def _parent(request) -> None:
    if request.user.role != Role.PARENT:
        raise Http404("not a parent")


@login_required
def children(request):
    """The parent's children (minors), each linked to their page and export."""
    _parent(request)
    return render(request, "site/children.html", {"children": my_children(user=request.user)})


@never_cache
@login_required
def child_export(request, pupil_key: str):
    """Everything the platform keeps of a child that the parent may see, as one JSON file (a request
    for access to the child's data, answered at once); audited as a read of the child."""
    _parent(request)
    subject = pupil_subject(user=request.user, pupil_key=pupil_key, purpose="parent: export of my child's data")
    data = {"exported_on": clock.today().isoformat(), **pupil_export(subject),
            "tutoring": pupil_export_tutoring(subject)}
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leerloopbaan-{subject.pupil.short_key}.json"'
    response["Cache-Control"] = "no-store"
    return response
