"""Addresses that no page can answer: a NUL character in the path or the query string.

PostgreSQL cannot hold or compare a NUL in a text value, so a filter or an id carrying one would end
in a database error (a 500) instead of a message. Such a request is refused once, here, with the 400
page, before any view sees it."""

from __future__ import annotations

from django.core.exceptions import BadRequest


class NulCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            raise BadRequest("the address holds a NUL character")
        return self.get_response(request)
