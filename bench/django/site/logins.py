"""Prepares the benchmark's database with Django's own machinery, then signs users in.

Run once by bench/django/stack.ts, with the site's settings (DATABASE_URL straight at PostgreSQL):
``migrate`` creates Django's tables (auth_user, django_session, ...); then for the users named on
stdin, ``{"users": [...], "sessions": K}``, it creates each user and signs each in K times with
``django.contrib.auth.login()`` on a request carrying a new session, saved as SessionMiddleware
would save it. It prints ``{"<username>": {"id": <id>, "keys": [<session key>, ...]}}`` on
stdout: session keys are credentials, for the benchmark's requests only, never for a log.
"""

import json
import os
import secrets
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.contrib.auth import get_user_model, login  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


def main():
    wanted = json.load(sys.stdin)
    call_command("migrate", interactive=False, verbosity=0)
    user_model = get_user_model()
    # One password hash for every user: PBKDF2 is slow on purpose, and no one signs in by form here.
    password = make_password(secrets.token_urlsafe(16))
    user_model.objects.bulk_create(
        [user_model(username=name, password=password) for name in wanted["users"]]
    )
    factory = RequestFactory()
    out = {}
    for user in user_model.objects.filter(username__in=wanted["users"]):
        keys = []
        for _ in range(wanted["sessions"]):
            request = factory.get("/")
            request.session = SessionStore()
            login(request, user, backend=BACKEND)
            request.session.save()
            keys.append(request.session.session_key)
        out[user.username] = {"id": user.pk, "keys": keys}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
