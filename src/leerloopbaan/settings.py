"""Settings, all from the environment (see README, "Operating it", and docs/deploy.md).

Two modes, chosen by ``LEERLOOPBAAN_ENV``:

- production (the default, and whenever ``LEERLOOPBAAN_ENV`` is unset): no demo value is ever used.
  A secret that is set must be a real one (settings refuse to load otherwise); what serving the
  site needs besides (PostgreSQL, the secret, pseudonym and signing keys, the public https address)
  is checked by ``leerloopbaan.deploy`` before the site serves a request, and reported by
  ``leerloopbaan check_deploy``. The command-line tools of shared/spec/cli.md keep their documented
  defaults (the embedded SQLite database under ``LEERLOOPBAAN_DATA_DIR``); the pseudonym key is
  required the moment a national number must be pseudonymised.
- demo (``leerloopbaan demo`` sets it; developers and the test suite may set ``LEERLOOPBAAN_ENV=demo``):
  SQLite under ``LEERLOOPBAAN_DATA_DIR``, a secret and a signing key generated into the data dir, a
  fixed development pseudonym key (with a warning), mail to the console, the current second-factor
  code shown on the login page.

Any other value of ``LEERLOOPBAAN_ENV`` is refused: a typo must not fall back to either mode.
"""

from __future__ import annotations

import os
import secrets
import sys
import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.Env()

MODES = ("production", "demo")
ENVIRONMENT = os.environ.get("LEERLOOPBAAN_ENV", "production")
if ENVIRONMENT not in MODES:
    raise ImproperlyConfigured(
        f"LEERLOOPBAAN_ENV={ENVIRONMENT!r} is not a mode: expected 'production' (the default) or 'demo' "
        "(lower case). Unset it for production."
    )
PRODUCTION = ENVIRONMENT == "production"
DEMO = not PRODUCTION

DATA_DIR = Path(env.str("LEERLOOPBAAN_DATA_DIR", default="var")).resolve()

# The development pseudonym key. Public, so it must never protect real data: production refuses it.
DEMO_PSEUDONYM_KEY = "leerloopbaan-demo-pseudonym-key-not-for-real-data"
DEMO_SECRET_PREFIX = "demo-"


def _demo_secret(name: str) -> str:
    """A per-installation demo secret kept in the data dir, so sessions and keys survive restarts."""
    path = DATA_DIR / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = DEMO_SECRET_PREFIX + secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


_problems = []
SECRET_KEY = env.str("LEERLOOPBAAN_SECRET_KEY", default="")
PSEUDONYM_KEY = env.str("LEERLOOPBAAN_PSEUDONYM_KEY", default="")
# Seals the issuers' signing keys at rest (talent portfolio). Comma-separated: the first seals, every
# one opens, so a new key is put in front and `leerloopbaan signing_key_rotate` reseals with it.
SIGNING_KEYS = env.list("LEERLOOPBAAN_SIGNING_KEY", default=[])
if PRODUCTION:
    if SECRET_KEY and (SECRET_KEY.startswith(DEMO_SECRET_PREFIX) or len(SECRET_KEY) < 40):
        _problems.append("LEERLOOPBAAN_SECRET_KEY must be a random value of at least 40 characters, not a demo value")
    if PSEUDONYM_KEY and (PSEUDONYM_KEY == DEMO_PSEUDONYM_KEY or len(PSEUDONYM_KEY) < 16):
        _problems.append("LEERLOOPBAAN_PSEUDONYM_KEY must be at least 16 characters, not the demo key")
    if any(k.startswith(DEMO_SECRET_PREFIX) or len(k) < 32 for k in SIGNING_KEYS):
        _problems.append("LEERLOOPBAAN_SIGNING_KEY: every key must be a random value of at least 32 characters")
    if _problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(_problems) + ".")
    # Unset secrets: the command-line tools run without them (nothing they write is signed with the
    # secret key); serving refuses to start (leerloopbaan.deploy).
    SECRET_KEY_EPHEMERAL = not SECRET_KEY
    SECRET_KEY = SECRET_KEY or secrets.token_urlsafe(50)
    PSEUDONYM_KEY = PSEUDONYM_KEY or None
else:
    SECRET_KEY_EPHEMERAL = False
    SECRET_KEY = SECRET_KEY or _demo_secret("secret_key")
    PSEUDONYM_KEY = PSEUDONYM_KEY or DEMO_PSEUDONYM_KEY
    SIGNING_KEYS = SIGNING_KEYS or [_demo_secret("signing_key")]
    if PSEUDONYM_KEY == DEMO_PSEUDONYM_KEY and "pytest" not in sys.modules:
        warnings.warn(
            "LEERLOOPBAAN_PSEUDONYM_KEY is not set: using the public demo key. Never import real pupil data with it.",
            stacklevel=1,
        )

DEBUG = env.bool("LEERLOOPBAAN_DEBUG", default=False)
ALLOWED_HOSTS = env.list("LEERLOOPBAAN_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("LEERLOOPBAAN_CSRF_TRUSTED_ORIGINS", default=[])

# --- database -------------------------------------------------------------------------------
# The audit log is written through its own connection ("audit" alias) so that an entry survives a
# rollback of the request's transaction. On PostgreSQL that alias is a second connection to the same
# database; on SQLite it is a separate file, because a second connection to the same SQLite file
# would wait for the first one's write lock.
_default_db = env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'leerloopbaan.sqlite3'}")
DATABASES = {"default": _default_db}
if _default_db["ENGINE"].endswith("sqlite3"):
    _default_db.setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    _audit_name = str(Path(str(_default_db["NAME"])).with_suffix("")) + "-audit.sqlite3" if _default_db["NAME"] != ":memory:" else ":memory:"
    DATABASES["audit"] = {**_default_db, "NAME": _audit_name, "OPTIONS": dict(_default_db["OPTIONS"])}
    AUDIT_SEPARATE_DATABASE = True
else:
    _default_db.setdefault("CONN_MAX_AGE", env.int("LEERLOOPBAAN_CONN_MAX_AGE", default=60))
    DATABASES["audit"] = {**_default_db, "TEST": {"MIRROR": "default"}}
    AUDIT_SEPARATE_DATABASE = False
DATABASE_ROUTERS = ["leerloopbaan.kernel.audit.routers.AuditRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "django_include_bootstrap",
    "csp",
    "leerloopbaan.site",
    "leerloopbaan.accounts",
    "leerloopbaan.kernel.audit",
    "leerloopbaan.kernel.events",
    "leerloopbaan.registry",
    "leerloopbaan.ews",
    "leerloopbaan.care",
    "leerloopbaan.tutoring",
    "leerloopbaan.assessments",
    "leerloopbaan.portfolio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leerloopbaan.kernel.uploads.UploadLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "leerloopbaan.kernel.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "leerloopbaan.kernel.input.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "leerloopbaan.accounts.middleware.TwoFactorRequiredMiddleware",
    "leerloopbaan.kernel.audit.middleware.ActorMiddleware",
    # one unit of work per request: its reads of person data are written once, before the response leaves
    "leerloopbaan.kernel.access.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leerloopbaan.urls"
WSGI_APPLICATION = "leerloopbaan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leerloopbaan.site.context_processors.shell",
            ],
            # the one formatting layer (kernel.formatting): |number |integer |percent |share |day |moment
            "builtins": ["leerloopbaan.kernel.templatetags.formatting"],
        },
    }
]

# --- accounts and login ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "site:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("LEERLOOPBAAN_SESSION_SECONDS", default=8 * 3600)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
# Password-reset mails: at most this many per address and per client address an hour (a flood of
# reset mails is a nuisance and a way to find out which addresses have an account).
PASSWORD_RESET_MAILS_PER_HOUR = env.int("LEERLOOPBAAN_RESET_MAILS_PER_HOUR", default=3)
# ... and per client address (a school's staff share one public address: a higher limit).
PASSWORD_RESET_MAILS_PER_CLIENT_HOUR = env.int("LEERLOOPBAAN_RESET_MAILS_PER_CLIENT_HOUR", default=30)
# Authenticator set-up links (one-time; sent with an invitation or by an administrator).
ENROLMENT_LINK_DAYS = env.int("LEERLOOPBAAN_ENROLMENT_LINK_DAYS", default=7)

# --- transport and browser security ---------------------------------------------------------
# Behind a TLS-terminating proxy, name the header it sets (e.g. X-Forwarded-Proto); only then does
# Django trust it. Production redirects plain HTTP to HTTPS and sends HSTS.
_proxy_header = env.str("LEERLOOPBAAN_PROXY_SSL_HEADER", default="")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env.bool("LEERLOOPBAAN_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("LEERLOOPBAAN_HSTS_SECONDS", default=365 * 86400 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("LEERLOOPBAAN_HSTS_SUBDOMAINS", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the site itself only;
# no inline script or style anywhere (the charts and QR codes are inline SVG without style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- uploads --------------------------------------------------------------------------------
# A request body larger than its view's limit is refused before it is read
# (leerloopbaan.kernel.uploads); views that take files declare their own limit.
UPLOAD_MAX_BYTES = env.int("LEERLOOPBAAN_UPLOAD_MAX_MB", default=10) * 1024 * 1024
IMPORT_UPLOAD_MAX_BYTES = env.int("LEERLOOPBAAN_IMPORT_MAX_MB", default=200) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Brute-force lockout: 5 wrong passwords for one account lock it for AXES_COOLOFF_TIME.
AXES_FAILURE_LIMIT = env.int("LEERLOOPBAAN_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = env.float("LEERLOOPBAAN_LOCKOUT_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Leerloopbaan"

# --- mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("LEERLOOPBAAN_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("LEERLOOPBAAN_FROM_EMAIL", default="leerloopbaan@localhost")
# Response-time targets of support requests, in working days per status (care app)
CARE_RESPONSE_DAYS = {"new": 5, "intake": 10, "assigned": 5}

# --- internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "nl-be"
LANGUAGES = [("nl-be", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "leerloopbaan_language"

# --- static files: all from installed packages, nothing fetched at run time ------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
# Evidence files of talent portfolios: never served as static files, only through the portfolio's
# scoped download view.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"

# The platform's public address: written into every credential (issuer DID documents and status
# lists are published under it), so set it once, before the first attestation. Production requires
# it (https); the demo uses its own local address.
PUBLIC_URL = env.str("LEERLOOPBAAN_PUBLIC_URL", default="" if PRODUCTION else "http://localhost:8000").rstrip("/")
PORTFOLIO_PUBLIC_URL = PUBLIC_URL
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["leerloopbaan.site.api.permissions.IsVerifiedUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leerloopbaan API",
    "DESCRIPTION": "Read and write access to Leerloopbaan, scoped to the caller's role and audited.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- background work (Tasks API) ------------------------------------------------------------
# Immediate in the demo and in tests; a database queue served by `leerloopbaan db_worker` in
# production (run as many workers as needed, on as many machines as needed).
TASKS = {
    "default": {
        "BACKEND": env.str(
            "LEERLOOPBAAN_TASK_BACKEND",
            default="django_tasks_db.DatabaseBackend" if PRODUCTION else "django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}

# --- privacy --------------------------------------------------------------------------------
# Audit entries older than this are removed by `leerloopbaan audit_purge` (the only path that may
# delete them; on PostgreSQL a trigger refuses every other UPDATE or DELETE).
AUDIT_RETENTION_DAYS = env.int("LEERLOOPBAAN_AUDIT_RETENTION_DAYS", default=5 * 365)
# Aggregates shown outside one school suppress cells with fewer than this many pupils.
SMALL_CELL_THRESHOLD = 5

# The audit log's mirror lines ("audit action=...") go to their own file, not the console: the console
# is for progress and problems (kernel/audit/logfile.py).
AUDIT_LOG_FILE = Path(env.str("LEERLOOPBAAN_AUDIT_LOG", default=str(DATA_DIR / "log" / "audit.log")))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"not_audit": {"()": "leerloopbaan.kernel.audit.logfile.NotAudit"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["not_audit"]},
        "audit_file": {"class": "leerloopbaan.kernel.audit.logfile.AuditFileHandler", "filename": str(AUDIT_LOG_FILE)},
    },
    "loggers": {
        "leerloopbaan": {"handlers": ["console"], "level": env.str("LEERLOOPBAAN_LOG_LEVEL", default="INFO")},
        "leerloopbaan.kernel.audit": {"handlers": ["audit_file"], "level": "INFO"},
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}

AXES_LOCKOUT_CALLABLE = "leerloopbaan.accounts.views.locked_out"
# Demo only: the two-factor page shows the current code, so a visitor needs no authenticator app.
DEMO_SHOW_TOTP = DEMO and env.bool("LEERLOOPBAAN_DEMO_SHOW_TOTP", default=True)
# Lockout counts per account, not per IP address: a school's staff share one public address, and
# locking it would lock the whole school out after five typos of one person.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# City-wide aggregates are cached per data version (core.aggregates). One process: memory; several
# web processes: a shared cache, e.g. LEERLOOPBAAN_CACHE_URL=redis://127.0.0.1:6379/1 or dbcache://agg_cache.
CACHES = {"default": env.cache_url("LEERLOOPBAAN_CACHE_URL", default="locmemcache://leerloopbaan")}
