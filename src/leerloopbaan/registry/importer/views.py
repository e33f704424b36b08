"""The upload page: school staff (own schools only), city analysts and admins import files."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.pseudonym import mask_national_numbers
from leerloopbaan.kernel.uploads import upload_limit
from leerloopbaan.registry.importer import import_paths, kinds
from leerloopbaan.registry.selectors import held_rows, import_runs, schools_of

IMPORT_ROLES = {Role.SCHOOL_STAFF, Role.CITY_ANALYST, Role.ADMIN}
MAX_FILES = 6


@upload_limit(lambda: settings.IMPORT_UPLOAD_MAX_BYTES)
@login_required
def import_page(request):
    user = request.user
    if user.role not in IMPORT_ROLES:
        raise PermissionDenied
    context = {"result": None, "problems": [], "schools": None, "kinds": _kinds_listing()}
    if user.role == Role.SCHOOL_STAFF:
        context["schools"] = list(schools_of(user))
    if request.method == "POST":
        files = request.FILES.getlist("files")
        dry_run = request.POST.get("dry_run") == "on"
        if not files:
            context["problems"].append(_("Choose at least one file."))
        elif len(files) > MAX_FILES:
            context["problems"].append(_("At most %(n)d files at a time.") % {"n": MAX_FILES})
        names = [Path(f.name).name for f in files]
        twice = sorted({mask_national_numbers(n) for n in names if names.count(n) > 1})
        if twice:
            context["problems"].append(_("The same file name appears more than once: %(names)s. Give each file once.") % {
                "names": ", ".join(twice)})
        bad = [mask_national_numbers(f.name) for f in files if kinds.kind_of(Path(f.name)) is None]
        if bad:
            context["problems"].append(_("Unknown file name: %(names)s. Use %(kinds)s (.csv or .xlsx).") % {
                "names": ", ".join(bad), "kinds": kinds.listing(_("or"))})
        if not context["problems"]:
            with tempfile.TemporaryDirectory(prefix="ll-upload-") as tmp:
                paths = []
                for upload in files:
                    target = Path(tmp) / Path(upload.name).name
                    with open(target, "wb") as out:
                        for chunk in upload.chunks():
                            out.write(chunk)
                    paths.append(target)
                context["result"] = import_paths(paths, user=user, source="upload", dry_run=dry_run)
    context["runs"] = import_runs(user=user)
    context["held"] = held_rows(user=user)
    return render(request, "registry/import.html", context)


def _kinds_listing() -> str:
    """The file names the import takes, each with what it holds in the user's language:
    ``schools`` (scholen), ``pupils`` (leerlingen), ... The names stay as they are: the import reads them."""
    return format_html_join(", ", "<code>{}</code> ({})", ((k.name, k.label or k.name) for k in kinds.registered()))
