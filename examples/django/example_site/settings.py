"""Settings of the example: a Django app whose every page but /login sits behind edge-auth.

Supported: Django 3.2, 4.2 and 5.x (tested with Debian 12's python3-django 3.2 against
PostgreSQL through psycopg2); where 3.2 and 4.0+ differ, both are handled below. Read from the
environment, so the same file serves a local run over http and production over https:

    DJANGO_SECRET_KEY            Django's own secret (required)
    DATABASE_URL                 postgres://user:password@host:5432/name (required), edge-auth's too
    EDGE_AUTH_SECRET             the Worker's JWT_SECRET, at least 32 bytes (required)
    DJANGO_ALLOWED_HOSTS         the host names browsers use: edge-auth's, not this server's
    DJANGO_CSRF_TRUSTED_ORIGINS  other origins whose forms post here: https://www.example.com,...
    EDGE_AUTH_COOKIE_SECURE      true (default); false only for a local run over plain http
    EDGE_AUTH_COOKIE             the Worker's SESSION_COOKIE: __Host-session, or session if not secure
    DJANGO_DEBUG                 true for tracebacks, locally
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_REQUIRED = ("DJANGO_SECRET_KEY", "DATABASE_URL", "EDGE_AUTH_SECRET")
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    # Every missing name at once; never a value (they are secrets).
    raise ImproperlyConfigured(f"set {', '.join(_missing)} in the environment")


def _flag(name, default):
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false")


def _list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = _flag("DJANGO_DEBUG", False)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Removed: the middleware that ran User.objects.update_or_create(...) on every request, a row
    # lock and a last_login write each time (the convoy edge-auth exists to remove). edge-auth
    # touches last_login at most once per user per TOUCH_INTERVAL_SECONDS instead.
    #   "yourapp.middleware.LastLoginMiddleware",
    # request.user from edge-auth's X-Auth-User-Id, read lazily by primary key, never written.
    # It stands in for SessionMiddleware + AuthenticationMiddleware: edge-auth's session is the
    # only session here. With django.contrib.admin installed, list those two before it (the
    # admin's system checks require them).
    "accounts.middleware.EdgeAuthMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

_db = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",  # psycopg2 (Debian: python3-psycopg2)
        "NAME": unquote(_db.path.lstrip("/")),
        "USER": unquote(_db.username or ""),
        "PASSWORD": unquote(_db.password or ""),
        "HOST": _db.hostname or "",
        "PORT": str(_db.port or ""),
    }
}
# contrib.auth pins AutoField for auth_user either way (USER_ID_TYPE=integer); this keeps 3.2 quiet.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "/static/"  # under PUBLIC_PATHS=/login,/static

# Why Django refused a request, on stderr even with DEBUG off: a form answering 403 behind a proxy
# shows up as "Forbidden (Referer checking failed - …): /login" or "(CSRF token missing or
# incorrect.)", a wrong ALLOWED_HOSTS as "Invalid HTTP_HOST header". No cookie or token is logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.security": {"handlers": ["stderr"], "level": "WARNING"}},
}

# --- Behind edge-auth --------------------------------------------------------------------------
# Browsers reach this app through edge-auth only (its ORIGIN_URL; nothing else can connect here),
# and edge-auth sets X-Forwarded-Host and X-Forwarded-Proto from the browser's own request after
# removing any a client sent. So Django may believe them — and must not when it can be reached
# any other way, where anyone could claim a host or https.
#
# The host the browser used (edge-auth's), not ORIGIN_URL's: ALLOWED_HOSTS, redirects, absolute
# URLs and CSRF's same-origin check compare against it.
USE_X_FORWARDED_HOST = True
# Whether the browser's request was https: request.is_secure(), and with it CSRF's strict Referer
# check on https (3.2) and the scheme of the Origin check (4.0+).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# edge-auth's host names, e.g. app.example.com; locally the host of `npm run dev` (127.0.0.1).
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

# With the two settings above, this site's own forms pass CSRF without CSRF_TRUSTED_ORIGINS: list
# only other origins whose pages post here (a sign-in form on www.example.com, say). Given once
# as full origins; the setting's format changed in Django 4.0:
# - 4.0+: scheme and host, "https://www.example.com" or "https://*.example.com"; checked against
#   the Origin header of every unsafe request (system check 4_0.E001 refuses a value without a
#   scheme);
# - 3.2: host only, "www.example.com" or ".example.com" for a domain and its subdomains; consulted
#   only by the Referer check of https requests (over http the token alone is checked).
_trusted = _list("DJANGO_CSRF_TRUSTED_ORIGINS")
for _origin in _trusted:
    if urlsplit(_origin).scheme not in ("http", "https") or not urlsplit(_origin).netloc:
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS: {_origin!r} is not an origin like https://host"
        )
if django.VERSION >= (4, 0):
    CSRF_TRUSTED_ORIGINS = _trusted
else:
    CSRF_TRUSTED_ORIGINS = [urlsplit(o).netloc.replace("*.", ".", 1) for o in _trusted]

# --- edge-auth's session cookie ----------------------------------------------------------------
# Set by the login view, verified by edge-auth on every other path and removed by edge-auth
# before the request reaches Django: Django never sees the token.
#
# Secure: browsers keep and send a Secure cookie over https only, so production (https) sets it.
# A local run over plain http (`npm run dev`, http://127.0.0.1:8787) must not: the browser would
# drop the cookie and every login would seem to fail. Hence EDGE_AUTH_COOKIE_SECURE=false there.
EDGE_AUTH_COOKIE_SECURE = _flag("EDGE_AUTH_COOKIE_SECURE", True)
# Recommended in production: __Host-session. Browsers accept a __Host- cookie only with Secure,
# Path=/ and no Domain, so no subdomain and no http page can set or shadow it. Over http it
# cannot exist, hence plain "session" locally. Must equal the Worker's SESSION_COOKIE.
EDGE_AUTH_COOKIE = os.environ.get("EDGE_AUTH_COOKIE") or (
    "__Host-session" if EDGE_AUTH_COOKIE_SECURE else "session"
)
if EDGE_AUTH_COOKIE.startswith(("__Host-", "__Secure-")) and not EDGE_AUTH_COOKIE_SECURE:
    raise ImproperlyConfigured(
        f"EDGE_AUTH_COOKIE {EDGE_AUTH_COOKIE!r} needs EDGE_AUTH_COOKIE_SECURE=true: "
        "browsers drop it otherwise"
    )
# Django's CSRF cookie follows the same rule.
CSRF_COOKIE_SECURE = EDGE_AUTH_COOKIE_SECURE
EDGE_AUTH_SECRET = os.environ["EDGE_AUTH_SECRET"]
EDGE_AUTH_SESSION_SECONDS = 14 * 24 * 3600
