"""Start and end edge-auth sessions from Django (or any Python app).

Every function takes a DB-API connection whose cursor uses ``%s``
parameters: Django's ``django.db.connection``, or a psycopg2 / psycopg
connection. Statements run in the caller's transaction: Django's autocommit,
or your ``transaction.atomic()`` block; commit yourself with a bare psycopg2
connection (or set ``autocommit = True``).

    from django.conf import settings
    from django.db import connection
    from .edge_auth import issue_session

    issued = issue_session(connection, user.pk, 14 * 24 * 3600, settings.EDGE_AUTH_SECRET)
    response.set_cookie(settings.EDGE_AUTH_COOKIE, issued.token, expires=issued.expires_at,
                        path="/", secure=settings.EDGE_AUTH_COOKIE_SECURE, httponly=True,
                        samesite="Lax")

(accounts/views.py does exactly that; example_site/settings.py explains the
cookie's name and Secure flag.)

Needs PyJWT (``pip install PyJWT``; Debian: ``python3-jwt``).
"""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import jwt

# 192 random bits, URL-safe: unguessable, fine in a JWT claim and a log line.
SESSION_ID_BYTES = 24
# RFC 7518 section 3.2: an HMAC key at least as long as the hash output.
HMAC_MIN_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session_id: str
    # The row's expires_at, equal to the token's exp (UTC).
    expires_at: datetime


def issue_session(connection, user_id, lifetime_seconds, secret, *, data=None,
                  algorithm="HS256", issuer=None, audience=None, kid=None):
    """Insert a ``sessions`` row for ``user_id`` and return a token for it.

    ``secret`` is the Worker's ``JWT_SECRET`` (HMAC); for a private key
    (RS256, ES256, EdDSA) pass it with ``algorithm`` and ``kid`` instead.
    ``issuer`` / ``audience`` must match ``JWT_ISSUER`` / ``JWT_AUDIENCE``
    when the Worker sets them.

    >>> issued = issue_session(connection, 42, 3600, settings.EDGE_AUTH_SECRET)
    >>> issued.session_id
    'kM3q…'
    """
    if not isinstance(lifetime_seconds, int) or lifetime_seconds < 1:
        raise ValueError("lifetime_seconds must be a positive whole number")
    needed = HMAC_MIN_SECRET_BYTES.get(algorithm)
    if needed is not None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < needed:
            raise ValueError(f"an {algorithm} secret must be at least {needed} bytes")

    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    with connection.cursor() as cursor:
        # Whole seconds by the database's clock, so the row's expiry and the
        # token's exp are the same instant (edge-auth measures expiry there).
        cursor.execute(
            "INSERT INTO sessions (id, user_id, expires_at, data) "
            "VALUES (%s, %s, date_trunc('second', now()) + make_interval(secs => %s), %s::jsonb) "
            "RETURNING extract(epoch FROM expires_at)::bigint, "
            "extract(epoch FROM date_trunc('second', now()))::bigint",
            [session_id, user_id, lifetime_seconds, json.dumps(data or {})],
        )
        exp, iat = cursor.fetchone()

    claims = {"sub": str(user_id), "sid": session_id, "exp": int(exp), "iat": int(iat)}
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    token = jwt.encode(claims, secret, algorithm=algorithm,
                       headers={"kid": kid} if kid else None)
    # PyJWT 1.x returned bytes.
    if isinstance(token, bytes):
        token = token.decode()
    return IssuedSession(token, session_id, datetime.fromtimestamp(int(exp), timezone.utc))


def revoke_session(connection, session_id):
    """Revoke one session (e.g. from the ``X-Auth-Session-Id`` header).

    Prefer ``POST /auth/logout`` through edge-auth for the current session: it
    is seen everywhere at once. A revocation written here is seen within
    ``SESSION_CACHE_TTL_SECONDS`` plus the L1 TTL (default 10 s + 2 s).
    Returns whether a live session was revoked.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sessions SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
            [session_id],
        )
        return cursor.rowcount == 1


def revoke_all_sessions(connection, user_id):
    """Log a user out everywhere (password change, "sign out all devices").

    Seen within ``SESSION_CACHE_TTL_SECONDS`` plus the L1 TTL, like any
    revocation written in the database. Returns how many were revoked.
    """
    with connection.cursor() as cursor:
        # Uses sessions_user_id_idx; user_id has the users table's id type.
        cursor.execute(
            "UPDATE sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
            [user_id],
        )
        return cursor.rowcount
