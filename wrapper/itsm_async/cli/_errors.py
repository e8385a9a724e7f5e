"""Exit statuses and the one line an error prints.

=====  ==================================================================
0      success
1      any other client failure (``RequestBuildError``, ``CredentialError``,
       ``ClientClosedError``, or the sandbox extra missing)
2      usage: a bad option or argument (typer's own), a refused argument or
       body (``InvalidArgumentError``, the generated ``ArgumentError``), a
       missing credential
3      the API answered with an error status (``ApiError`` and its subclasses)
4      no usable answer: connection failed or timed out (``ApiConnectionError``,
       ``ApiTimeoutError``)
5      an answer that cannot be used: a body that does not parse
       (``ResponseDecodeError``) or paging that loops (``PagingError``)
130    interrupted (Ctrl-C)
=====  ==================================================================
"""

from __future__ import annotations

from .._exceptions import ApiConnectionError, ApiError, InvalidArgumentError, ItsmError, ResponseDecodeError
from .._paging import PagingError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_CONNECTION = 4
EXIT_RESPONSE = 5
EXIT_INTERRUPTED = 130

#: The first class an exception is an instance of decides its status.
EXIT_STATUSES: tuple[tuple[type[BaseException], int], ...] = (
    (InvalidArgumentError, EXIT_USAGE),
    (ApiError, EXIT_API),
    (ApiConnectionError, EXIT_CONNECTION),
    (ResponseDecodeError, EXIT_RESPONSE),
    (PagingError, EXIT_RESPONSE),
    (ItsmError, EXIT_FAILURE),
)


class UsageProblem(Exception):
    """A mistake in the command line found while running it (a bad ``--json``, a missing credential)."""


def exit_status(exc: BaseException, argument_errors: tuple[type[BaseException], ...] = ()) -> int:
    """The exit status of a failed command.

    Args:
        exc: What it raised.
        argument_errors: The generated packages' ``ArgumentError`` classes
            (a refused argument raised before the client wraps it).

    Returns:
        The status from :data:`EXIT_STATUSES`; usage for a UsageProblem or an
        argument error, failure for anything else.
    """
    if isinstance(exc, (UsageProblem, InvalidArgumentError, *argument_errors)):
        return EXIT_USAGE
    for kind, status in EXIT_STATUSES:
        if isinstance(exc, kind):
            return status
    return EXIT_FAILURE


def error_line(exc: BaseException, operation: str, secrets: tuple[str, ...] = ()) -> str:
    """The one line printed on stderr for a failed command.

    Args:
        exc: What it raised. A client error names the method, URL, status
            and the server's reason already (credentials redacted).
        operation: The operation, ``tickets.get_ticket``.
        secrets: Credentials to redact again, in case any text echoes one.

    Returns:
        ``itsm: tickets.get_ticket: NotFoundError: GET ... returned 404: ...``, on one line.
    """
    text = " ".join(str(exc).split()) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    if isinstance(exc, UsageProblem):
        return f"itsm: {operation}: {text}"
    return f"itsm: {operation}: {type(exc).__name__}: {text}"
