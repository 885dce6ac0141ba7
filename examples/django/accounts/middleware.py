"""request.user from edge-auth's identity headers, with no write per request.

Replaces a middleware that ran ``User.objects.update_or_create(...)`` (a
``SELECT ... FOR UPDATE`` plus a ``last_login`` write) on every request:
edge-auth already verified the session and touches ``last_login`` at most
once per user per interval. This reads the user lazily, by primary key, only
when a view uses ``request.user``.

settings.py: remove the old middleware and add this one (see
example_site/settings.py). Without django.contrib.admin it is the only one
that sets request.user; with the admin, list it after SessionMiddleware and
AuthenticationMiddleware (whose request.user it replaces; the admin's system
checks want them listed):
    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "accounts.middleware.EdgeAuthMiddleware", ...]

Only safe when the app is reachable through edge-auth alone (it strips
X-Auth-* headers from clients); otherwise verify X-Auth-Assertion.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject


class EdgeAuthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_id = request.headers.get("X-Auth-User-Id")
        request.user = SimpleLazyObject(lambda: _user(user_id))
        return self.get_response(request)


def _user(user_id):
    if not user_id:
        return AnonymousUser()
    user_model = get_user_model()
    try:
        # One read on the primary key; never a write.
        return user_model.objects.get(pk=user_id)
    except user_model.DoesNotExist:
        return AnonymousUser()
