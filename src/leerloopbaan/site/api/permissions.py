from rest_framework.permissions import BasePermission


class IsVerifiedUser(BasePermission):
    """Logged in, and past the second factor where the role requires one."""

    message = "Log in first (with your second factor where your role requires it)."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.requires_two_factor:
            return bool(getattr(user, "is_verified", lambda: False)())
        return True
