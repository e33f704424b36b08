"""The routes of the URL configuration, walked recursively: shared by the route tables of
tests/foundation (test_route_audit: whom each route shows; test_access_matrix: whose ids each route takes)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns, prefix: str, namespaces: tuple[str, ...]):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), (*namespaces, p.namespace) if p.namespace else namespaces)
        elif isinstance(p, URLPattern):
            if namespaces[:1] == ("admin",):
                yield "admin:*", p, prefix + str(p.pattern)
            elif p.name:
                yield ":".join((*namespaces, p.name)), p, prefix + str(p.pattern)
            else:
                yield prefix + str(p.pattern), p, prefix + str(p.pattern)


def route_keys() -> list[str]:
    """Every route of the URL configuration: its namespaced name, or its pattern when it has none."""
    return list(dict.fromkeys(key for key, _p, _full in _walk(get_resolver().url_patterns, "", ())))


def id_routes() -> dict[str, str]:
    """The routes that take URL parameters (an object's id, key, token or slug), outside the operator's admin:
    route key -> its full pattern (``care/requests/<id:pk>/``)."""
    out: dict[str, str] = {}
    for key, pattern, full in _walk(get_resolver().url_patterns, "", ()):
        if key == "admin:*":
            continue
        if pattern.pattern.converters or getattr(pattern.pattern.regex, "groupindex", None):
            out.setdefault(key, full)
    return out
