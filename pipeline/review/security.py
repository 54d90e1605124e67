"""Access token and cross-site request protection for the review server.

- Token: on any host other than loopback the server requires a secret token, printed at start
  inside the address. The first visit with `?token=...` stores it in an HttpOnly, SameSite=Strict
  cookie; every later request must carry the cookie (or the query parameter).
- Host: without a token only loopback Host headers are answered (DNS rebinding).
- CSRF: each browser session gets a random token kept in Flask's signed session cookie; every
  POST form carries it in a hidden field and the server compares the two (constant time).
  Cookies are SameSite=Lax as well, and a POST whose Origin header names another site is
  refused, so a page elsewhere cannot make the archivist's browser save anything.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

TOKEN_COOKIE = "hotich_token"
CSRF_FIELD = "csrf"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost' (what needs no token)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; False when either is missing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def csrf_token(session: dict) -> str:
    """This session's CSRF token, created on first use."""
    tok = session.get(CSRF_FIELD)
    if not tok:
        tok = session[CSRF_FIELD] = secrets.token_urlsafe(24)
    return tok


def same_origin(origin: str | None, host_url: str) -> bool:
    """A POST's Origin header (absent in some browsers: then the CSRF token alone decides)
    must name this server."""
    if not origin:
        return True
    o, h = urlsplit(origin), urlsplit(host_url)
    return (o.scheme, o.netloc) == (h.scheme, h.netloc)
