"""Settings for the West Midlands ADASS balanced scorecard.

One file, driven by environment variables. With no environment at all it runs locally on the
SQLite file db.sqlite3 beside manage.py; set DATABASE_URL to use PostgreSQL.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SCORECARD_ENVIRONMENTS = ("development", "production")


def scorecard_env(value: str | None) -> str:
    """The application's mode from SCORECARD_ENV: `development` when unset or blank, else one
    of SCORECARD_ENVIRONMENTS; anything else stops start-up."""
    mode = (value or "").strip() or "development"
    if mode not in SCORECARD_ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"SCORECARD_ENV is {value!r}: set it to 'production' for a shared deployment, or to "
            "'development' (the default when it is not set)"
        )
    return mode


# The explicit production mode: a shared deployment, whatever DEBUG says (`make demo` runs with
# DEBUG off too). The demo loader refuses to create its known-password users in it.
SCORECARD_ENV = scorecard_env(os.environ.get("SCORECARD_ENV"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key")
if not DEBUG and SECRET_KEY.startswith("insecure") and env_bool("REQUIRE_SECRET_KEY"):
    raise RuntimeError("SECRET_KEY must be set when REQUIRE_SECRET_KEY is on")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "scorecard.apps.ScorecardAdminConfig",  # django.contrib.admin with the scorecard's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",  # login throttling
    "councils",
    "indicators",
    "returns",
    "scorecard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

# Axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "scorecard.urls"
WSGI_APPLICATION = "scorecard.wsgi.application"

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
                "scorecard.context_processors.data_status",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers never block the writer (WAL); a transaction takes the write lock when it begins,
    # so one that reads then writes cannot fail half-way; a second writer waits its turn.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": float(os.environ.get("SQLITE_TIMEOUT", "60")),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Redis when CACHE_URL is set (shared by every server process); local memory otherwise.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

LOGIN_URL = "admin:login"

# Login throttling (django-axes): this many failed logins for one user name from one IP address
# lock that pair out for LOGIN_LOCKOUT_MINUTES; a lockout ends by itself, a successful login
# clears the count. Every login form goes through it (the admin's and any other).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
if AXES_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be 1 or more")
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

# Sessions end SESSION_COOKIE_AGE seconds after login (8 hours by default), and when the browser
# closes unless SESSION_EXPIRE_AT_BROWSER_CLOSE is off.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
if SESSION_COOKIE_AGE < 60:
    raise ImproperlyConfigured("SESSION_COOKIE_AGE must be 60 seconds or more")

# E-mail (password reset links): printed on the console unless EMAIL_BACKEND says otherwise,
# e.g. django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and the rest.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "scorecard@localhost")
# The address e-mails link to (returns returned to a lead, reminders), without a final slash.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# The published data this deployment ships, for the footer and every export.
ASCOF_DATA_DIR = BASE_DIR / "data" / "ascof"
# Overall direction of travel: the mean percentile rank must move by more than this.
OVERALL_DIRECTION_TOLERANCE = float(os.environ.get("OVERALL_DIRECTION_TOLERANCE", "0.02"))
# A period is the public latest (a page's default) once at least this share of the default
# group's councils have published a value in it; before, it is shown only when chosen.
SCORECARD_PUBLISHED_SHARE = float(os.environ.get("SCORECARD_PUBLISHED_SHARE", "0.5"))
if not 0 <= SCORECARD_PUBLISHED_SHARE <= 1:
    raise RuntimeError("SCORECARD_PUBLISHED_SHARE must be between 0 and 1")
# The source every download gives the region's own measures (ASCOF rows carry the OGL statement).
SCORECARD_LOCAL_ATTRIBUTION = os.environ.get(
    "SCORECARD_LOCAL_ATTRIBUTION", "Collected by West Midlands ADASS from its member councils"
)
# Returns for a period are due this many days after it ends, unless the collection's own due
# date (set in the admin) says otherwise.
RETURNS_DUE_DAYS = int(os.environ.get("RETURNS_DUE_DAYS", "30"))
if RETURNS_DUE_DAYS < 0:
    raise RuntimeError("RETURNS_DUE_DAYS must be 0 or more")
# Uploaded files (returns and ASCOF files) are kept here between their preview and their
# confirmation, each in a folder named by a random token, then deleted.
UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", Path(tempfile.gettempdir()) / "scorecard-uploads"))
# The clock that decides what is due (indicators.clock): a dotted path to a callable returning
# the current datetime. Tests point it at a frozen one.
SCORECARD_CLOCK = "django.utils.timezone.now"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
