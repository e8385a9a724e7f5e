"""Request URLs: the client's base URL joined with an operation's path and query.

httpx's client parses each request's URL twice (the relative path, then the
path joined to the base) and once more to add the query; for a small API
call that is a tenth of the client's own time. An operation's path is
already percent-encoded by the generated code (``types.path_segment``), so
:class:`UrlJoiner` checks it against a pattern and, when it fits, builds the
``httpx.URL`` from the base URL's parsed parts with the path and query
replaced. For anything else (a dot segment, a character httpx would encode,
a base URL with a query) it answers None, and the client's
``httpx.AsyncClient.build_request`` builds the request as it always did.

The short route uses httpx's parsed form of a URL (``URL._uri_reference``,
a named tuple), which is not public: it is checked once at import against
httpx's own client, and when the check fails (a future httpx), every
request takes httpx's route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

#: A path that httpx's client takes as it is: ``/`` and RFC 3986 ``pchar``s,
#: each ``%`` starting an escape, no dot segment to normalise away, and no
#: ``//`` at the start (which would name a host).
_PLAIN_PATH = re.compile(r"(?!//)(?:/(?:[A-Za-z0-9\-_~!$&'()*+,;=:@]|\.(?<!/\.)|%[0-9A-Fa-f]{2})*)*")


def _fast_join(base: httpx.URL, prefix: str, path: str, query: str | None) -> httpx.URL:
    """``base`` with the path ``prefix + path`` (``prefix``: the base's encoded path, ending in ``/``)."""
    # httpx's parsed form (not public): checked at import, see _short_route_works.
    reference = base._uri_reference
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = reference._replace(path=prefix + path.lstrip("/"), query=query, fragment=None)
    return url


def _short_route_works() -> bool:
    """Whether the short route gives exactly the URL httpx's client builds, on this httpx."""
    cases: list[tuple[str, str, dict[str, Any] | None]] = [
        ("http://127.0.0.1:8080/", "/api/v1/tickets/7", {"page": 2, "on": True}),
        ("https://h.test/v1", "/accounts/a%2Fb/cr%C3%A8me", {"q": "a b&c", "n": ["1", "2"]}),
        ("https://[::1]:8443/base%20path/", "/x", None),
        ("https://h.test", "/x/", {"a": ""}),
    ]
    # A transport given: httpx builds no TLS context and reads no proxy settings.
    nowhere = httpx.MockTransport(lambda request: httpx.Response(500))
    try:
        for base, path, params in cases:
            joiner = UrlJoiner(httpx.URL(base), short=True)
            fast = joiner.join(path, params)
            slow = httpx.AsyncClient(base_url=base, transport=nowhere).build_request("GET", path, params=params).url
            if fast is None or fast != slow or str(fast) != str(slow) or fast.raw_path != slow.raw_path:
                return False
    except Exception:  # noqa: BLE001 - any failure means: use httpx's route
        return False
    return True


class UrlJoiner:
    """Joins one base URL with operation paths, as httpx's client would.

    Args:
        base: The client's base URL (a ``/`` is added to its path, as httpx does).
        short: Whether to take the short route at all; by default, when it
            works on this httpx (checked once, at import).
    """

    def __init__(self, base: httpx.URL, *, short: bool | None = None) -> None:
        if not base.raw_path.endswith(b"/"):
            base = base.copy_with(raw_path=base.raw_path + b"/")
        self._base = base
        self._prefix = base.raw_path.decode("ascii")
        allowed = _SHORT_ROUTE if short is None else short
        self._short = allowed and not base.query and not base.fragment

    def join(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.URL | None:
        """The request URL for an operation's ``path`` and query ``params``, or None: let httpx build it."""
        if not self._short or not _PLAIN_PATH.fullmatch(path):
            return None
        return _fast_join(self._base, self._prefix, path, str(httpx.QueryParams(params)) if params else None)


_SHORT_ROUTE = _short_route_works()
