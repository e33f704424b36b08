"""Upload size limits, enforced before a request body is read.

Every view accepts at most ``settings.UPLOAD_MAX_BYTES`` of request body unless it declares its own
limit with ``@upload_limit(n)`` (the import takes large files, the public credential check small
ones). ``UploadLimitMiddleware`` compares the declared ``Content-Length`` with the view's limit in
``process_view``, before the CSRF check or the view reads the body, and answers 413 with a page
saying what the limit is. (A body without ``Content-Length`` is not read by Django at all; the WSGI
server caps the size of what it buffers, see the ``serve`` command.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def upload_limit(max_bytes: int | Callable[[], int]):
    """Declare the largest request body a view takes (bytes, or a callable read at request time)."""

    def decorate(view):
        view.upload_limit = max_bytes
        return view

    return decorate


def limit_of(view) -> int:
    limit = getattr(view, "upload_limit", None)
    if limit is None:
        return settings.UPLOAD_MAX_BYTES
    return limit() if callable(limit) else limit


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        limit = limit_of(view_func)
        if 0 <= length <= limit:
            return None
        if length < 0:
            message = _("The request has an invalid Content-Length header.")
            status = 400
        else:
            message = _("The upload is too large: %(size)s MB, at most %(limit)s MB is accepted here.") % {
                "size": _megabytes(length), "limit": _megabytes(limit)}
            status = 413
        if request.path.startswith("/api/") or "json" in request.META.get("HTTP_ACCEPT", "") and "html" not in request.META.get("HTTP_ACCEPT", ""):
            return JsonResponse({"detail": message}, status=status)
        body = render_to_string("error.html", {"status": status, "message": message}, request=request)
        return HttpResponse(body, status=status)
