"""Opaque identifiers: Kloudless object ids, user ids and page tokens.

Kloudless ids are opaque strings (``F3iGnrn9...``); the sandbox makes its own
by encoding the record's kind and number, so an id decodes back to its
record without a lookup table, and an id of one kind is no id of another.
Page tokens encode the last id of the previous page (keyset paging), so a
token stays valid, and skips nothing, when records are added or deleted.

Decoding accepts only what encoding writes: a number in ASCII digits,
without sign, space or leading zero, that fits a record id (SQLite's 64-bit
INTEGER). Anything else names no record, so a crafted id is not found and
a crafted token refused, instead of failing in ``int()`` (``"²"`` is a
digit to ``str.isdigit``) or aliasing a record (``int("٣")`` is 3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

#: The numbers :func:`_encode` is given: ``0`` (the first page's token) or a record id.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")
#: The largest record id: SQLite's INTEGER is a signed 64-bit integer.
_MAX_NUMBER = 2**63 - 1


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _number(text: str | None, prefix: str) -> int | None:
    if text is None or not text.startswith(prefix):
        return None
    digits = text[len(prefix) :]
    # [0-9] in a str pattern is the ASCII range, unlike \d or str.isdigit().
    if _NUMBER.fullmatch(digits) is None:
        return None
    number = int(digits)
    return number if number <= _MAX_NUMBER else None


def object_id(kind: str, number: int) -> str:
    """The Kloudless id of record ``number`` of ``kind`` (``incident``...)."""
    return "F" + _encode(f"{kind}:{number}")


def object_number(kind: str, text: str) -> int | None:
    """The record number a Kloudless id names, or None if it is no ``kind`` id."""
    return _number(_decode(text[1:]), f"{kind}:") if text.startswith("F") else None


def user_id(number: int) -> str:
    """The Kloudless id of user ``number``."""
    return "u" + _encode(f"user:{number}")


def user_number(text: str) -> int | None:
    """The user number a Kloudless user id names, or None."""
    return _number(_decode(text[1:]), "user:") if text.startswith("u") else None


def page_token(after: int) -> str:
    """The token of the page that starts after record ``after``."""
    return _encode(f"after:{after}")


def page_after(token: str) -> int | None:
    """The record a page token starts after, or None for a token not made here."""
    return _number(_decode(token), "after:")


def sys_id(kind: str, key: int | str) -> str:
    """A ServiceNow-style ``sys_id`` (32 hex digits), stable per record."""
    return hashlib.blake2b(f"{kind}:{key}".encode(), digest_size=16).hexdigest()
