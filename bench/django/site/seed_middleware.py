"""The seed's middleware: the user row written on every request.

What edge-auth exists to remove (README, "It exists because of a familiar failure"): after
Django's AuthenticationMiddleware has loaded the user from the session, it records the visit
with ``update_or_create``, which in Django runs ``transaction.atomic()``, then
``select_for_update().get(...)`` (a row lock on the user), then ``save()`` (an UPDATE) and the
COMMIT. Every concurrent request of one user queues on that row lock.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone


class UpdateOrCreateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            get_user_model().objects.update_or_create(
                pk=request.user.pk, defaults={"last_login": timezone.now()}
            )
        return self.get_response(request)
