"""What a credential looks like, by name and by value (pure; shared by config and policies).

A Kubernetes object other than a Secret stores its fields readable to anyone who may get it, and
an environment variable's plain ``value`` is one of those fields. Config validation refuses
credentials where they would land in such a field (``apps[].consumes.config``), and the policy
pack checks what the stack renders (PAIF-SEC-004 by name, PAIF-SEC-014 by value); both read
these functions.
"""

from __future__ import annotations

import functools
import re
from typing import Final
from urllib.parse import urlsplit

_CAMEL_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CREDENTIAL_WORDS: Final = frozenset(
    {"password", "passwd", "passphrase", "token", "secret", "kubeconfig", "apikey", "privatekey"}
)
_KEY_QUALIFIERS: Final = frozenset({"api", "private", "secret", "signing", "encryption"})
# PEM blocks of keys (RFC 7468 labels: PRIVATE KEY, RSA/EC/DSA/OPENSSH PRIVATE KEY, ...).
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
# An HTTP Authorization header value with its credential.
_AUTH_HEADER = re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{16,}")
# A URL with user information carrying a password: scheme://user:password@host.
_URL_WITH_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@[^\s]+")
# A JSON Web Token: three base64url parts, the first a JSON header ({"... is eyJ).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@functools.lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """``adminPassword`` -> (admin, password); ``NGC_API_KEY`` -> (ngc, api, key)."""
    return tuple(
        w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _CAMEL_WORDS.findall(part)
    )


@functools.lru_cache(maxsize=4096)
def is_credential_name(name: str) -> bool:
    """``adminPassword``, ``DB_PASSWORD``, ``NGC_API_KEY``, ``clientSecret``, ``kubeconfig`` —
    but not ``secretName``, ``passwordRef`` or ``TOKENIZER_PATH`` (the last word decides)."""
    parts = words(name)
    if not parts:
        return False
    if parts[-1] in _CREDENTIAL_WORDS:
        return True
    return parts[-1] == "key" and any(w in _KEY_QUALIFIERS for w in parts[-3:-1])


def looks_like_a_secret_value(value: str) -> str | None:
    """Why ``value`` reads as a credential whatever its key is called, or None.

    Finds what carries a credential by its form: a private key, an Authorization header, a
    URL with a password in it (``postgres://app:s3cret@db/chat``) and a JSON Web Token.
    """
    if _PEM_PRIVATE_KEY.search(value):
        return "holds a PEM private key"
    if _AUTH_HEADER.search(value):
        return "holds an Authorization header's credential"
    for match in _URL_WITH_PASSWORD.finditer(value):
        try:
            parts = urlsplit(match.group(0))
        except ValueError:
            continue
        if parts.password:
            return f"is a URL with a password ({parts.scheme}://{parts.username}:…@…)"
    if _JWT.search(value):
        return "holds a JSON Web Token"
    return None
