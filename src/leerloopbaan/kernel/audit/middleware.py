from __future__ import annotations

import re

from leerloopbaan.kernel.audit import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestContextMiddleware:
    """Give every request an id (or keep a sane X-Request-ID from the proxy) for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else context.new_request_id()
        token = context.set_context(context.AuditContext(request_id=request.request_id, path=request.path))
        try:
            response = self.get_response(request)
        finally:
            context.reset_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class ActorMiddleware:
    """Once the user is known, every audit entry of this request names them and their role."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            base = context.current()
            token = context.set_context(
                context.AuditContext(
                    request_id=base.request_id, path=base.path, actor_id=user.pk, actor_email=user.email, role=user.role
                )
            )
            try:
                return self.get_response(request)
            finally:
                context.reset_context(token)
        return self.get_response(request)
