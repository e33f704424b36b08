"""What a production installation needs before it serves anyone, and what it still lacks.

``serving_problems()`` lists what makes serving the site unsafe; in production the WSGI application
and ``leerloopbaan serve`` refuse to start while it is not empty. ``report()`` is the longer list
``leerloopbaan check_deploy`` prints: the same blockers, and the checks of the database roles and the
audit log's privileges that need a database connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from leerloopbaan.kernel.audit.database import AUDIT_TABLE


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    blocker: bool = True  # False: advice, production may run without it


def _is_sqlite() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def configuration_checks() -> list[Check]:
    """The checks that need no database connection."""
    production = settings.PRODUCTION
    checks = [
        Check("mode", production, f"LEERLOOPBAAN_ENV={settings.ENVIRONMENT}" + ("" if production else
              ": demo mode shows second-factor codes and uses public demo keys; never for real data")),
        Check("secret key", not settings.SECRET_KEY_EPHEMERAL and not settings.SECRET_KEY.startswith(settings.DEMO_SECRET_PREFIX),
              "LEERLOOPBAAN_SECRET_KEY set" if not settings.SECRET_KEY_EPHEMERAL and not settings.SECRET_KEY.startswith(settings.DEMO_SECRET_PREFIX)
              else "LEERLOOPBAAN_SECRET_KEY is not set (a demo or throw-away key is used)"),
        Check("pseudonym key", bool(settings.PSEUDONYM_KEY) and settings.PSEUDONYM_KEY != settings.DEMO_PSEUDONYM_KEY,
              "LEERLOOPBAAN_PSEUDONYM_KEY set" if settings.PSEUDONYM_KEY and settings.PSEUDONYM_KEY != settings.DEMO_PSEUDONYM_KEY
              else "LEERLOOPBAAN_PSEUDONYM_KEY is not set, or is the public demo key"),
        Check("signing key", bool(settings.SIGNING_KEYS) and not any(k.startswith(settings.DEMO_SECRET_PREFIX) for k in settings.SIGNING_KEYS),
              f"LEERLOOPBAAN_SIGNING_KEY set ({len(settings.SIGNING_KEYS)} key(s); the first seals)"
              if settings.SIGNING_KEYS and not any(k.startswith(settings.DEMO_SECRET_PREFIX) for k in settings.SIGNING_KEYS)
              else "LEERLOOPBAAN_SIGNING_KEY is not set (issuers' signing keys would be sealed with a demo key)"),
        Check("database", not _is_sqlite(),
              "PostgreSQL" if not _is_sqlite() else "embedded SQLite: for the demo and evaluation only; set DATABASE_URL=postgres://..."),
        Check("public address", settings.PUBLIC_URL.startswith("https://"),
              f"LEERLOOPBAAN_PUBLIC_URL={settings.PUBLIC_URL or '(not set)'}" + ("" if settings.PUBLIC_URL.startswith("https://")
                                                                               else ": an https:// address is written into every credential")),
        Check("debug", not settings.DEBUG, "LEERLOOPBAAN_DEBUG is off" if not settings.DEBUG
              else "LEERLOOPBAAN_DEBUG is on: an error page would show settings, SQL and pupil data to any visitor"),
        Check("allowed hosts", bool(settings.ALLOWED_HOSTS) and "*" not in settings.ALLOWED_HOSTS,
              "LEERLOOPBAAN_ALLOWED_HOSTS=" + (",".join(settings.ALLOWED_HOSTS) or "(not set)")),
        Check("https", settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE,
              "HTTP is redirected to HTTPS, cookies are Secure" if settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE
              else "plain HTTP is served and cookies lack Secure"),
        Check("HSTS", settings.SECURE_HSTS_SECONDS >= 180 * 86400, f"Strict-Transport-Security max-age={settings.SECURE_HSTS_SECONDS}"),
        Check("proxy", True, f"trusts {settings.SECURE_PROXY_SSL_HEADER[0]} from the proxy"
              if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) else
              "no proxy header trusted (set LEERLOOPBAAN_PROXY_SSL_HEADER=X-Forwarded-Proto behind a TLS proxy)", blocker=False),
        Check("content security policy", "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE, "script, style and images from the site only"),
        Check("second-factor codes hidden", not getattr(settings, "DEMO_SHOW_TOTP", False),
              "the login page never shows a code" if not getattr(settings, "DEMO_SHOW_TOTP", False) else "the login page shows the current code (demo)"),
        Check("mail", not settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend", "dummy.EmailBackend")),
              f"{settings.EMAIL_BACKEND}" + ("" if not settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend", "dummy.EmailBackend"))
                                              else ": set LEERLOOPBAAN_EMAIL_URL (invitations and password resets go by mail)")),
        Check("background work", not settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend"),
              settings.TASKS["default"]["BACKEND"], blocker=False),
    ]
    return checks


# What serving real users cannot do without: the rest of the report is advice or needs the database.
SERVING_BLOCKERS = {"mode", "secret key", "pseudonym key", "signing key", "database", "public address", "allowed hosts", "debug"}


def serving_problems() -> list[str]:
    """Why production must not serve (empty: it may). Nothing in the demo."""
    if not settings.PRODUCTION:
        return []
    return [f"{c.name}: {c.detail}" for c in configuration_checks() if c.name in SERVING_BLOCKERS and not c.ok]


def require_serving_ready() -> None:
    problems = serving_problems()
    if problems:
        raise ImproperlyConfigured("Refusing to serve in production: " + "; ".join(problems)
                                   + ". Run `leerloopbaan check_deploy` for the whole list (docs/deploy.md).")


def database_checks(using: str = "default") -> list[Check]:
    """The database roles and the audit log's privileges, as the application connects."""
    connection = connections[using]
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return [Check("database connection", False, f"cannot connect: {exc.__class__.__name__}")]
    if connection.vendor != "postgresql":
        return [Check("audit log", False, "SQLite cannot keep the application from changing the audit log; use PostgreSQL")]
    checks = []
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cur.fetchone()
        checks.append(Check("application role", not superuser, f"connects as {user}" + (": a superuser can change anything, the audit log included" if superuser else "")))
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", [AUDIT_TABLE])
        row = cur.fetchone()
        if row is None:
            checks.append(Check("audit log", False, "the audit table does not exist: run `leerloopbaan migrate` as the migration role"))
            return checks
        owner = row[0]
        checks.append(Check("schema owner", owner != user, f"the tables are owned by {owner}"
                            + (": the application role owns them, so it could drop the audit trigger; migrate as a separate role (docs/deploy.md)" if owner == user else "")))
        cur.execute("SELECT privilege_type FROM information_schema.role_table_grants WHERE table_name = %s AND grantee = current_user",
                    [AUDIT_TABLE])
        granted = {r[0] for r in cur.fetchall()}
        if owner == user:
            granted |= {"UPDATE", "DELETE", "TRUNCATE"}
        excess = sorted(granted & {"UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"})
        checks.append(Check("audit log privileges", not excess and not superuser,
                            "the application role may only read and append" if not excess and not superuser
                            else "the application role may also " + ", ".join(excess or ["do anything (superuser)"])))
        cur.execute("SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [AUDIT_TABLE])
        triggers = [r[0] for r in cur.fetchall()]
        checks.append(Check("audit trigger", bool(triggers) and all(t == "O" for t in triggers),
                            "append-only trigger enabled" if triggers and all(t == "O" for t in triggers) else "the append-only trigger is missing or disabled"))
    return checks


def report(using: str = "default") -> list[Check]:
    return configuration_checks() + database_checks(using)
