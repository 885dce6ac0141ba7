"""Login and logout views for a Django app behind edge-auth.

settings.py:
    EDGE_AUTH_SECRET = os.environ["EDGE_AUTH_SECRET"]   # the Worker's JWT_SECRET, >= 32 bytes
    EDGE_AUTH_SESSION_SECONDS = 14 * 24 * 3600
    EDGE_AUTH_COOKIE = "session"                         # the Worker's SESSION_COOKIE

urls.py:
    path("login", views.login_view), path("logout", views.logout_view),
    path("logout/everywhere", views.logout_everywhere_view),

Route /login through edge-auth as a public path (PUBLIC_PATHS=/login); every
other view is reached only with a valid session, with X-Auth-* headers that
edge-auth sets (it strips any a client sends).
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from .edge_auth import issue_session, revoke_all_sessions, revoke_session


@require_POST
def login_view(request):
    user = authenticate(request, username=request.POST.get("username"),
                        password=request.POST.get("password"))
    if user is None:  # ModelBackend already refuses inactive users
        return JsonResponse({"error": "invalid_credentials"}, status=401)
    # Committed before the token leaves: the Worker must find the row.
    with transaction.atomic():
        issued = issue_session(connection, user.pk, settings.EDGE_AUTH_SESSION_SECONDS,
                               settings.EDGE_AUTH_SECRET)
    response = JsonResponse({"user_id": str(user.pk), "expires_at": issued.expires_at.isoformat()})
    response.set_cookie(settings.EDGE_AUTH_COOKIE, issued.token, expires=issued.expires_at,
                        secure=True, httponly=True, samesite="Lax")
    return response


@require_POST
def logout_view(request):
    # Browsers can also POST /auth/logout to edge-auth itself (seen everywhere
    # at once); this view is for apps that log out through Django.
    session_id = request.headers.get("X-Auth-Session-Id")
    if session_id:
        revoke_session(connection, session_id)
    response = HttpResponse(status=204)
    response.delete_cookie(settings.EDGE_AUTH_COOKIE)
    return response


@require_POST
def logout_everywhere_view(request):
    user_id = request.headers.get("X-Auth-User-Id")
    if not user_id:
        return JsonResponse({"error": "missing_token"}, status=401)
    revoked = revoke_all_sessions(connection, int(user_id))
    response = JsonResponse({"revoked": revoked})
    response.delete_cookie(settings.EDGE_AUTH_COOKIE)
    return response
