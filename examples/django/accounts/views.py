"""Sign-in form, account page and logout for a Django app behind edge-auth.

/login is edge-auth's public path (PUBLIC_PATHS=/login,/static); every other view is reached
only with a live session, and request.user comes from edge-auth's X-Auth-User-Id
(accounts.middleware). Django's CsrfViewMiddleware protects every POST: the forms carry
{% csrf_token %}, and a POST without it is still refused with 403.
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection, transaction
from django.http import JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .edge_auth import issue_session, revoke_all_sessions, revoke_session


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    """GET renders the form (and sets Django's CSRF cookie); POST signs in and redirects."""
    if request.method == "POST":
        # Authenticates with django.contrib.auth and refuses inactive users.
        form = AuthenticationForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            # Committed before the token leaves: edge-auth must find the row on the next request.
            with transaction.atomic():
                issued = issue_session(connection, user.pk, settings.EDGE_AUTH_SESSION_SECONDS,
                                       settings.EDGE_AUTH_SECRET)
            # What django.contrib.auth.login() would do: a new CSRF token for the signed-in user,
            # so a token planted before the login is worthless after it.
            rotate_token(request)
            response = redirect(_next_url(request))
            # HttpOnly: no script reads it. SameSite=Lax: not sent on cross-site POSTs. Secure and
            # the name: settings.py (EDGE_AUTH_COOKIE_SECURE, __Host-session).
            response.set_cookie(settings.EDGE_AUTH_COOKIE, issued.token, expires=issued.expires_at,
                                path="/", secure=settings.EDGE_AUTH_COOKIE_SECURE, httponly=True,
                                samesite="Lax")
            return response
    else:
        form = AuthenticationForm(request)
    return render(request, "login.html", {"form": form, "next": request.POST.get("next") or
                                          request.GET.get("next", "")})


def account_view(request):
    """A private page: edge-auth let the request through, so request.user is the signed-in user."""
    return render(request, "account.html")


@require_POST
def logout_view(request):
    """Revokes this session (X-Auth-Session-Id, set by edge-auth) and deletes the cookie."""
    session_id = request.headers.get("X-Auth-Session-Id")
    if session_id:
        revoke_session(connection, session_id)
    return _signed_out()


@require_POST
def logout_everywhere_view(request):
    """Revokes every session of the user ("sign out all devices", after a password change)."""
    user_id = request.headers.get("X-Auth-User-Id")
    if not user_id:
        return JsonResponse({"error": "missing_token"}, status=401)
    revoke_all_sessions(connection, int(user_id))
    return _signed_out()


def _signed_out():
    response = redirect("login")
    # Same path as set; Django adds Secure itself for a __Host-/__Secure- name, as browsers require.
    response.delete_cookie(settings.EDGE_AUTH_COOKIE, path="/", samesite="Lax")
    return response


def _next_url(request):
    """?next= only when it stays on this site (no open redirect), else LOGIN_REDIRECT_URL."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)
