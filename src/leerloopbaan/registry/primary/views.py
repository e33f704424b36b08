"""The page of a primary school (``selectors``): figures without scores, and why there are none."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leerloopbaan.registry.primary import selectors


@require_GET
@login_required
def primary_school(request, school_number: str):
    school = selectors.primary_school_get(user=request.user, school_number=school_number)
    return render(
        request,
        "registry/primary_school.html",
        selectors.primary_school_page(user=request.user, school=school),
    )
