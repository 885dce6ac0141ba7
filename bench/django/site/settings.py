"""The Django site of `npm run bench:django`: one JSON view behind Django's own sessions.

Django 3.2 (Debian 12's python3-django) on PostgreSQL through psycopg2, served by gunicorn
(gthread). BENCH_ARM picks how a request gets its user, the only difference between the arms:

    update_or_create  the seed's site: SessionMiddleware and AuthenticationMiddleware, then a
                      middleware that writes last_login with update_or_create on every request
                      (seed_middleware.py: one row lock per request)
    edge_auth         the same site behind edge-auth in Django-session mode, that middleware
                      removed and the one line docs/django.md adds: request.user from
                      X-Auth-User-Id, read lazily by primary key
                      (examples/django-sessions/accounts/edge_auth.py)

Environment: DJANGO_SECRET_KEY, DATABASE_URL (postgres://user[:password]@host:port/name; the run
points gunicorn at the delay proxy, the setup straight at PostgreSQL), BENCH_ARM,
BENCH_CONN_MAX_AGE (Django's CONN_MAX_AGE; default 0, Django's own: a connection per request).
"""

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# The example's middleware is imported from the example itself, not copied.
sys.path.append(str(Path(__file__).resolve().parents[3] / "examples" / "django-sessions"))

_missing = [name for name in ("DJANGO_SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
if _missing:
    # Names only, never values: they are secrets.
    raise ImproperlyConfigured(f"set {', '.join(_missing)} in the environment")

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "urls"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
]

_ARMS = {
    "update_or_create": "seed_middleware.UpdateOrCreateMiddleware",
    "edge_auth": "accounts.edge_auth.EdgeAuthUserMiddleware",
}
_arm = os.environ.get("BENCH_ARM", "update_or_create")
if _arm not in _ARMS:
    raise ImproperlyConfigured(f"BENCH_ARM must be one of {', '.join(_ARMS)}")

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    _ARMS[_arm],
]

_db = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db.path.lstrip("/"),
        "USER": unquote(_db.username or "postgres"),
        "PASSWORD": unquote(_db.password or ""),
        "HOST": _db.hostname or "127.0.0.1",
        "PORT": str(_db.port or 5432),
        "CONN_MAX_AGE": int(os.environ.get("BENCH_CONN_MAX_AGE", "0")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
