"""PrepDesk settings: one file, driven by environment variables (django-environ) with safe local
defaults.

A git-ignored `.env` beside manage.py (written by `make run` / `make test` with DEBUG=1 and a
random SECRET_KEY) is read first; real environment variables always win over it. As django-environ
does, a value that starts with `$` names another variable (`\\$` for a literal dollar sign).
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
env.escape_proxy = True
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_flag(name: str, default: bool) -> bool:
    """A yes/no variable; set but blank counts as unset, so `SECURE_COOKIES=` keeps cookies secure."""
    return env.bool(name, default=default) if env.str(name, default="").strip() else default


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated variable, its items stripped (`a.example, b.example`)."""
    return [item.strip() for item in env.list(name, default=default or []) if item.strip()]


DEBUG = env_flag("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (for a laptop: set DEBUG=1).")
    SECRET_KEY = "insecure-local-development-key-only"  # noqa: S105 - DEBUG only
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "pgtrigger",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "checklists",
    "notifications",
    "intake",
    "accounts",
    "fhir_r4",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "checklists.middleware.NoStoreMiddleware",
    "checklists.middleware.StaffSessionMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "checklists.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default (WAL, and IMMEDIATE transactions so a check-then-write inside
# one transaction cannot race another writer); DATABASE_URL switches to PostgreSQL.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # PostgreSQL's default (4.0) prices an index probe for spinning disks: counting a fortnight's
    # 1,100 slots it then prefers to read all 100,000 cases (29 ms, against 2 ms by index). 1.1 is
    # the usual value for SSD or a database held in memory; DB_RANDOM_PAGE_COST overrides it.
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        random_page_cost = env.float("DB_RANDOM_PAGE_COST", default=1.1)
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={random_page_cost}"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not Django's in-memory default: tests then lock and wait as a real SQLite does.
            # One per process, so parallel test runs never share it.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"prepdesk-test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Times are stored in UTC and shown in the clinic's zone; "the day before" is taken there too.
# Panels other apps add to the staff case page: dotted paths of `(request, case) -> HTML`
# functions, so that checklists (the core) imports nothing from the apps built on it.
CASE_PAGE_PANELS = [
    "notifications.panels.driver_ready_panel",
    "intake.panels.intake_link_panel",
    "notifications.panels.sms_replies_panel",
]
# The same for the dashboard, above the case list: `(request) -> HTML` functions.
DASHBOARD_PANELS = ["notifications.panels.asked_to_talk_panel"]

# UTC is a development default only: `manage.py check` fails a production start without it.
CLINIC_TIME_ZONE_SET = bool(env.str("CLINIC_TIME_ZONE", default=""))
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="") or "UTC"
try:
    ZoneInfo(CLINIC_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"CLINIC_TIME_ZONE: {CLINIC_TIME_ZONE!r} is not an IANA time zone name"
    ) from exc
TIME_ZONE = CLINIC_TIME_ZONE
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The clinic's date and time style per language: named formats the templates use (|date:"SHORT_DATE_FORMAT").
FORMAT_MODULE_PATH = ["clinic.formats"]
# Region for phone numbers written without a +country code.
CLINIC_PHONE_REGION = env.str("CLINIC_PHONE_REGION", default="US")
CLINIC_NAME = env.str("CLINIC_NAME", default="PrepDesk Spine & IR Clinic")
# The number a patient is told to call (locked link, last-minute changes); shown as given.
CLINIC_PHONE = env.str("CLINIC_PHONE", default="+1 555 010 0000")
# Where the app is reached from outside (https://prep.example-clinic.org), for every link PrepDesk
# prints or emails. Blank: a page uses the host it was asked on, background work the local address
# (checklists/site.py); required when DEBUG is off (checklists.E002).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

# The patient's intake link: valid to the end of the procedure day, or this many days when the
# case is not scheduled; locked after this many wrong dates of birth; answers can be changed
# after submitting until this many hours before the start.
INTAKE_LINK_UNSCHEDULED_DAYS = env.int("INTAKE_LINK_UNSCHEDULED_DAYS", default=14)
INTAKE_LINK_MAX_ATTEMPTS = env.int("INTAKE_LINK_MAX_ATTEMPTS", default=5)
INTAKE_EDIT_CLOSES_HOURS = env.int("INTAKE_EDIT_CLOSES_HOURS", default=24)
# A patient session lasts this long without a click (longer than staff: older patients read slowly).
INTAKE_SESSION_IDLE_MINUTES = env.int("INTAKE_SESSION_IDLE_MINUTES", default=60)

# The FHIR API (fhir_r4/auth.py): requests per API token per minute, and refused tokens per client
# address per minute; counted in the database, so every worker shares the count.
FHIR_TOKEN_RATE_PER_MINUTE = env.int("FHIR_TOKEN_RATE_PER_MINUTE", default=120)
FHIR_TOKEN_FAILURES_PER_MINUTE = env.int("FHIR_TOKEN_FAILURES_PER_MINUTE", default=20)

# Rendered rows of the dashboard and the day view, kept per process under a key made of everything
# a row shows (CaseRow.fragment_key): a kept row is never stale, only unused, and falls out.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "template-fragments",
        "OPTIONS": {"MAX_ENTRIES": env.int("ROW_CACHE_ENTRIES", default=5000)},
    },
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Serve static files straight from the app and static/ folders, so a fresh checkout needs no
# collectstatic (production may still run it; WhiteNoise then serves the compressed copies).
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PrepDesk <prepdesk@localhost>")

# Text messages (notifications/sms), shaped like EMAIL_BACKEND: a dotted path, or a short name.
# console prints them (the default: a laptop never texts anyone), locmem keeps them for tests,
# twilio sends through Twilio with the TWILIO_* settings.
_SMS_BACKENDS = {
    name: f"notifications.sms.backends.{name}.SmsBackend" for name in ("console", "locmem", "twilio")
}
SMS_BACKEND = env.str("SMS_BACKEND", default="").strip() or "console"
SMS_BACKEND = _SMS_BACKENDS.get(SMS_BACKEND, SMS_BACKEND)
if "." not in SMS_BACKEND:
    raise ImproperlyConfigured(
        f"SMS_BACKEND: {SMS_BACKEND!r} is neither {', '.join(_SMS_BACKENDS)} nor a dotted path"
    )
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Blank: Twilio's own API. Tests point it at a local stub (http only to this machine).
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")

# Background work (emails, reminders) on Django's tasks API: the database backend needs no broker,
# and several `manage.py db_worker` processes can share one PostgreSQL.
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "checklists:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes): 5 failures for one username from one address locks it for 15 min.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Reverse proxies (IPs or networks, e.g. "10.0.0.5, 10.1.0.0/16") whose X-Forwarded-For is
# believed; from anywhere else the connecting address is the client (checklists/client_ip.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from _exc
AXES_CLIENT_IP_CALLABLE = "checklists.client_ip.client_ip"

# Two-factor sign-in (django-otp, accounts/): always for admins and clinicians, for coordinators
# when they choose; TWO_FACTOR_FOR_ALL_STAFF=1 makes it the rule for every staff member. The
# demo logins (seed_demo) are exempt only while DEBUG is on.
TWO_FACTOR_FOR_ALL_STAFF = env_flag("TWO_FACTOR_FOR_ALL_STAFF", False)
OTP_TOTP_ISSUER = CLINIC_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # an admin never sees another person's key (accounts/admin.py)

# Staff sessions end after 30 idle minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# History rows are an audit record: the admin shows them and never reverts to one.
SIMPLE_HISTORY_REVERT_DISABLED = True

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", True)
# HTTPS (on by default when DEBUG is off). Behind a proxy that ends TLS and sets
# X-Forwarded-Proto, set SECURE_PROXY_SSL_HEADER=1 (only then: a client could send the header too).
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", not DEBUG)
if env_flag("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts only from this site's own static files, never
# inline or eval'd (page actions are in static/js/actions.js; htmx runs with allowEval off).
# Inline style attributes stay allowed: Bootstrap's components set them; they run no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # twilio logs each request at INFO, the account in its URL.
    "loggers": {"axes": {"level": "WARNING"}, "twilio.http_client": {"level": "WARNING"}},
}
