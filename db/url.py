"""``DATABASE_URL`` as providers hand it out, turned into the URL SQLAlchemy builds the engine from.

Heroku, Render, Supabase, Neon and most managed PostgreSQL services give ``postgres://`` or
``postgresql://`` URLs. SQLAlchemy reads the first as an unknown dialect ("Can't load plugin") and the
second as PostgreSQL through psycopg 3, which this app does not install ("No module named 'psycopg'").
Both mean PostgreSQL to us, through psycopg2 (the installed driver), as ``postgresql+psycopg2://`` says
explicitly. Any other scheme is a ``ConfigurationError`` naming the scheme; no message here ever holds
the rest of the URL, where the password is.

Only the scheme is rewritten: user, password (percent-encoded as given), host, port, database and
query parameters (``sslmode=require``, ``host=/run/postgresql`` for a Unix socket) reach psycopg2 exactly
as they were written.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

from adgen.errors import ConfigurationError

DRIVER_SCHEME = "postgresql+psycopg2"
# Every scheme that means "PostgreSQL through psycopg2".
ACCEPTED_SCHEMES = ("postgresql", "postgres", DRIVER_SCHEME)
# RFC 3986 scheme syntax: anything else before "://" is not a scheme and is never echoed (it may be a password).
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_ACCEPTED_TEXT = ", ".join(f"{s}://" for s in ACCEPTED_SCHEMES)


def normalize_database_url(url: str) -> str:
    """``url`` with its scheme set to ``postgresql+psycopg2``; ``ConfigurationError`` for any other database or driver.

    >>> normalize_database_url("postgres://shop:pw@db.example.com:5432/adgen?sslmode=require")
    'postgresql+psycopg2://shop:pw@db.example.com:5432/adgen?sslmode=require'
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not _SCHEME_RE.fullmatch(scheme):
        raise ConfigurationError(
            f"DATABASE_URL은 {_ACCEPTED_TEXT} 중 하나로 시작하는 URL이어야 합니다.",
            reason=f"DATABASE_URL has no scheme://; expected one of {_ACCEPTED_TEXT}",
        )
    if scheme.lower() not in ACCEPTED_SCHEMES:
        hint = " (psycopg 3 is not installed; psycopg2 is)" if scheme.lower().startswith("postgresql+") else ""
        raise ConfigurationError(
            f"DATABASE_URL의 {scheme}:// 방식은 지원하지 않습니다. {_ACCEPTED_TEXT} 중 하나를 써 주세요.",
            scheme=scheme,
            reason=f"DATABASE_URL scheme {scheme}:// is not supported{hint}; use one of {_ACCEPTED_TEXT}",
        )
    normalized = f"{DRIVER_SCHEME}://{rest}"
    try:
        make_url(normalized)  # refuse what SQLAlchemy cannot parse here, with a message that holds no part of it
    except Exception as exc:  # ArgumentError, or ValueError for a port that is not a number; both quote the URL's text
        raise ConfigurationError(
            "DATABASE_URL의 형식이 올바르지 않습니다.",
            reason=f"DATABASE_URL ({scheme}://...) could not be parsed: {type(exc).__name__}",
        ) from None
    return normalized
