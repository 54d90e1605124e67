"""Access token and cross-site request protection for the review server.

- Token: on any host other than loopback the server requires a secret token (at least
  MIN_TOKEN_LENGTH characters), printed at start inside the address. The first visit with
  `?token=...` stores it in an HttpOnly, SameSite=Lax cookie and is redirected to the same
  address without it, so the token leaves the address bar, history and Referer; every later
  request must carry the cookie. (Lax, not Strict: a link to the printed address opened from
  another site's page must still get its cookie through the redirect; GETs change nothing and
  every POST needs the CSRF token as well.)
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
from urllib.parse import urlencode, urlsplit

from schemas.errors import ExitCode, HotichError

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


MIN_TOKEN_LENGTH = 16  # a guessable token guards nothing: 16 characters of 64 are 96 bits


class TokenError(HotichError):
    """A --token too short to protect anything (exit status 1)."""

    exit_code = ExitCode.BAD_ARGS


def check_token(token: str | None) -> None:
    """Refuse a token shorter than MIN_TOKEN_LENGTH (None: no token, loopback only).

    Raises:
        TokenError: the token is too short.
    """
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(f"--token: {len(token)} character(s); a token needs at least "
                         f"{MIN_TOKEN_LENGTH} (leave it out and one is made up)")


def without_token(path: str, args) -> str:
    """The request's path and query with the `token` parameter taken out."""
    rest = [(k, v) for k, vs in args.lists() for v in vs if k != "token"]
    return path + (f"?{urlencode(rest)}" if rest else "")


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
