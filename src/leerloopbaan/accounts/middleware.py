from django.http import JsonResponse
from django.shortcuts import redirect

EXEMPT_PREFIXES = ("/account/", "/static/", "/i18n/", "/favicon.ico")


class TwoFactorRequiredMiddleware:
    """Roles that can see pupils by name pass a second factor (TOTP) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_two_factor
            and not user.is_verified()
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Second factor required: log in through the website first."}, status=403)
            return redirect("accounts:two_factor")
        return self.get_response(request)
