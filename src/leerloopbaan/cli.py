"""The ``leerloopbaan`` console command: the project's management commands under one name.

``leerloopbaan demo``, ``serve``, ``import``, ``outflow``, ``ews …`` are the commands of
shared/spec/cli.md; every other Django management command (``migrate``, ``createsuperuser``,
``db_worker``, ...) is reachable the same way.
"""

from __future__ import annotations

import os
import sys

PROJECT_COMMANDS = {
    "demo": "create the database, load the synthetic city, create demo accounts and serve the site",
    "serve": "serve the site",
    "import": "import pupil records (schools, pupils, enrolments, absences, attestations, test_results)",
    "outflow": "early school leavers per the VSV definition, as CSV",
    "migrate": "create or update the database tables",
    "db_worker": "run background work (production)",
    "audit_purge": "remove audit entries older than the retention period",
    "esco_load": "load ESCO skills for the talent portfolio (bundled, or the official download)",
    "compile_translations": "compile the Dutch and English message catalogues",
    "check_deploy": "report what a production installation still lacks (secrets, database roles, HTTPS, audit log)",
    "enrolment_link": "print a one-time link with which a user sets up their authenticator app",
    "signing_key_rotate": "reseal the issuers' signing keys with the first LEERLOOPBAAN_SIGNING_KEY",
}


def _usage() -> str:
    lines = ["usage: leerloopbaan COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<22}{text}" for name, text in PROJECT_COMMANDS.items()]
    lines += ["", "'leerloopbaan COMMAND --help' for the options of one command; 'leerloopbaan help' lists every command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "demo":
        # The one command that runs in demo mode; everything else is production unless told otherwise.
        mode = os.environ.get("LEERLOOPBAAN_ENV", "demo")
        if mode != "demo":
            print(f"leerloopbaan: the demo runs only in demo mode (LEERLOOPBAAN_ENV={mode!r}); unset LEERLOOPBAAN_ENV "
                  "or use another data dir", file=sys.stderr)
            return 2
        os.environ["LEERLOOPBAAN_ENV"] = "demo"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerloopbaan.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"leerloopbaan: configuration error: {exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["leerloopbaan", *argv])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
