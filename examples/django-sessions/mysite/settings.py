"""Settings of a Django site that runs behind edge-auth in Django session mode.

Django keeps its own sign-in, sign-out, password change and sessions; edge-auth verifies Django's
session cookie at the edge before a request gets here. What changed for edge-auth: one middleware
deleted, one line added (MIDDLEWARE below), and the proxy settings every reverse proxy needs.
Supported: Django 3.2, 4.2 and 5.x on PostgreSQL (tested with Debian 12's python3-django 3.2).
Read from the environment:

    DJANGO_SECRET_KEY      SECRET_KEY (required); the Worker gets only keys derived from it
    DATABASE_URL           postgres://user:password@host:5432/name (required), the Worker's too
    DJANGO_SESSION_ENGINE  db (default), cached_db or signed_cookies; the Worker's is the same
    DJANGO_ALLOWED_HOSTS   the host names browsers use: edge-auth's, not this server's
    DJANGO_COOKIE_SECURE   true (default); false only for a local run over plain http
    DJANGO_DEBUG           true for tracebacks, locally
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_missing = [name for name in ("DJANGO_SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
if _missing:
    # Every missing name at once; never a value (they are secrets).
    raise ImproperlyConfigured(f"set {', '.join(_missing)} in the environment")


def _flag(name, default):
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "true", "false"):
        return default if raw == "" else raw == "true"
    raise ImproperlyConfigured(f"{name} must be true or false")


SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = _flag("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deleted when edge-auth went in front: it ran User.objects.update_or_create(...) on every
    # request (SELECT ... FOR UPDATE, then a last_login UPDATE), so one user's concurrent requests
    # queued on that row lock. edge-auth touches last_login at most once per user per
    # TOUCH_INTERVAL_SECONDS, with one conditional UPDATE that no request waits on.
    #   "accounts.middleware.LastLoginMiddleware",
    # The one line added: request.user from edge-auth's X-Auth-User-Id (accounts/edge_auth.py).
    "accounts.edge_auth.EdgeAuthUserMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# --- Sessions: Django's own; edge-auth reads them with the same settings ---------------------
_ENGINE = os.environ.get("DJANGO_SESSION_ENGINE", "db")
if _ENGINE not in ("db", "cached_db", "signed_cookies"):
    raise ImproperlyConfigured("DJANGO_SESSION_ENGINE must be db, cached_db or signed_cookies")
SESSION_ENGINE = f"django.contrib.sessions.backends.{_ENGINE}"
# cached_db's cache. Per process here; production uses a shared one (Redis, memcached). The row
# stays the truth: edge-auth reads django_session, and Django writes every change through to it.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Django's defaults, which the Worker's defaults mirror: SESSION_COOKIE_NAME "sessionid"
# (DJANGO_SESSION_COOKIE), SESSION_COOKIE_AGE two weeks (DJANGO_SESSION_COOKIE_AGE, which
# signed_cookies needs), AUTHENTICATION_BACKENDS ModelBackend (DJANGO_AUTHENTICATION_BACKENDS),
# the JSON serializer (edge-auth never unpickles).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("DJANGO_COOKIE_SECURE", True)

# --- Behind a proxy: reachable through edge-auth alone, which sets these from the browser's
# request and drops any a client sent. Not to be trusted when Django can be reached otherwise.
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # auth_user.id is integer either way

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "/static/"
