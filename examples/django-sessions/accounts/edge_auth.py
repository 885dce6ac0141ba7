"""request.user from edge-auth's identity: the one line this site adds to MIDDLEWARE.

edge-auth has verified Django's own session before the request got here (the signature, the
django_session row or signed cookie, the user, is_active, and the _auth_user_hash against the
current password) and forwards the user's primary key in X-Auth-User-Id. This middleware reads
that user lazily, by primary key, only when a view uses request.user: one indexed read, never a
write, and no session read for it. On a public path (the sign-in page) edge-auth sends no
identity, and Django's own request.user stays.

Why not Django's RemoteUserMiddleware with a RemoteUserBackend subclass: it logs the header's user
in (auth.login). Behind edge-auth in Django session mode that is wrong twice:
- It compares request.user's username with the header, cleaned by the backend the session names
  (ModelBackend for LoginView's sessions, which cleans nothing): an id never matches, so it would
  log in again on every request, a session save and (user_logged_in) a last_login UPDATE each
  time: the very write deleted above.
- When Django has just ended a session (its logout, a password change, flush()) and edge-auth still
  holds the session in its short cache, Django sees no user while the header names one, and
  auth.login would mint a fresh, valid session for it: the revocation undone for good, not only
  for the cache's few seconds.
This never logs anyone in: at worst it serves the user edge-auth vouched for within edge-auth's
stated revocation bounds, and an inactive user is refused at once (ModelBackend.get_user).

Trust X-Auth-* headers only when Django can be reached through edge-auth alone: edge-auth removes
every X-Auth-* header a client sends, and every header whose name has "_" (X_Auth_User_Id would
also read as HTTP_X_AUTH_USER_ID here).
"""

from urllib.parse import unquote

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject


class EdgeAuthUserMiddleware:
    """List it right after AuthenticationMiddleware, whose request.user it replaces."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user_id = request.META.get("HTTP_X_AUTH_USER_ID")
        if user_id is not None:
            # edge-auth percent-encodes identity values (an integer id has nothing to encode).
            request.user = SimpleLazyObject(lambda: _user(unquote(user_id)))
        return self.get_response(request)


def _user(user_id):
    # What Django's own get_user does after the session: by primary key, None if inactive.
    return ModelBackend().get_user(user_id) or AnonymousUser()
