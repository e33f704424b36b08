from __future__ import annotations

import logging

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from leerloopbaan.accounts import services
from leerloopbaan.accounts.forms import EmailAuthenticationForm, TokenForm
from leerloopbaan.kernel.audit.services import audit_record

logger = logging.getLogger("leerloopbaan.accounts")


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(action="login", subject_type="user", subjects=[f"user:{user.pk}"], actor=user, object_repr="password accepted")
        target = self.get_redirect_url() or ""
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if not has_device and target.startswith(str(reverse_lazy("accounts:enrol", kwargs={"token": "x"}))[:-2]):
            return redirect(target)
        if user.requires_two_factor or has_device:
            return redirect(f"{reverse_lazy('accounts:two_factor')}?next={target}")
        return response


def _safe_next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return str(reverse_lazy("site:home"))


def _demo_code(device: TOTPDevice) -> str | None:
    """In the demo only, the current code is shown so a visitor needs no authenticator app."""
    if not settings.DEMO or not getattr(settings, "DEMO_SHOW_TOTP", False):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _verified(request, device: TOTPDevice, what: str) -> None:
    """The second factor passed: mark the session verified and give it a new key (a session id seen
    before the second step is worth nothing after it)."""
    otp_login(request, device)
    request.session.cycle_key()
    audit_record(action="login", subject_type="user", subjects=[f"user:{request.user.pk}"], object_repr=what)


@login_required
@sensitive_post_parameters("token")
def two_factor(request):
    """Second step of the login: verify a TOTP code. An authenticator is set up only through a
    one-time invitation link (``enrol``), never by whoever has the password."""
    user = request.user
    if user.is_verified():
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return render(request, "accounts/two_factor.html", {"no_device": True, "next": _safe_next(request)})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            _verified(request, device, "second factor accepted")
            return redirect(_safe_next(request))
        form.add_error("token", _("This code is not valid. Codes change every 30 seconds: type the code your app shows now."))
    context = {"form": form, "setup": False, "next": _safe_next(request), "demo_code": _demo_code(device)}
    return render(request, "accounts/two_factor.html", context)


@sensitive_post_parameters("token")
def enrol(request, token):
    """Set up an authenticator with a one-time invitation link, after logging in with the password."""
    invitation = services.enrolment_invitation(token=token)
    if invitation is None:
        return render(request, "accounts/two_factor.html", {"link_invalid": True}, status=410)
    if not request.user.is_authenticated:
        return redirect(f"{reverse_lazy('accounts:login')}?next={request.path}")
    if request.user.pk != invitation.user_id:
        return render(request, "accounts/two_factor.html", {"link_other_user": True}, status=403)
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or services.totp_device_create(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.enrolment_complete(invitation=invitation, device=device, token=form.cleaned_data["token"]):
            _verified(request, device, "second factor set up and accepted")
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("site:home")
        form.add_error("token", _("This code is not valid. Codes change every 30 seconds: type the code your app shows now."))
    context = {"form": form, "setup": True, "next": "", "demo_code": _demo_code(device),
               "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app")),
               "secret": _base32(device.bin_key)}
    return render(request, "accounts/two_factor.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")


@login_required
def account(request):
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(request, "accounts/account.html", {"has_device": has_device, "memberships": request.user.active_memberships().select_related("school", "clb", "organisation")})


def locked_out(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked_out.html", {"hours": settings.AXES_COOLOFF_TIME}, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Over the limit the answer is the same page, and no mail leaves: the page never tells whether
        # an address has an account, or whether a mail was sent.
        if not services.password_reset_allowed(email=form.cleaned_data["email"], client=services.client_address(self.request)):
            logger.warning("password-reset mail not sent: over the hourly limit for the address or the client")
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed. You can log in now."))
        return response
