"""``leerloopbaan signing_key_rotate``: reseal the issuers' signing keys with the first
LEERLOOPBAAN_SIGNING_KEY.

To rotate: put the new key in front (``LEERLOOPBAAN_SIGNING_KEY=new,old``), restart, run this
command, then drop the old key from the list.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from leerloopbaan.kernel.access import UnitOfWorkCommand


class Command(UnitOfWorkCommand):
    help = "Reseal every issuer signing key with the first key of LEERLOOPBAAN_SIGNING_KEY (after putting a new key in front)."

    def handle(self, *args, **options):
        from cryptography.fernet import InvalidToken

        from leerloopbaan.portfolio.youth.services import signing_keys_reseal

        try:
            count = signing_keys_reseal()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except InvalidToken as exc:
            raise CommandError("a signing key cannot be opened with any key of LEERLOOPBAAN_SIGNING_KEY: keep the "
                               "old key in the list until every key is resealed", returncode=1) from exc
        self.stdout.write(f"resealed {count} signing key(s) with the first LEERLOOPBAAN_SIGNING_KEY")
