"""``leerloopbaan enrolment_link EMAIL``: print a one-time link with which the user sets up their
authenticator app (after logging in with their password). Earlier unused links of the user stop working."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print a one-time link with which a user sets up their authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--base-url", default="", help="the site's address (default LEERLOOPBAAN_PUBLIC_URL)")

    def handle(self, *args, email, base_url, **options):
        from leerloopbaan.accounts.selectors import user_by_email
        from leerloopbaan.accounts.services import enrolment_invite

        user = user_by_email(email)
        if user is None:
            raise CommandError(f"no account with the e-mail address {email!r}", returncode=1)
        link = enrolment_invite(user=user, base_url=base_url or settings.PUBLIC_URL)
        self.stdout.write(link)
