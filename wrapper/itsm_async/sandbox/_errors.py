"""Refusals and the two APIs' error bodies.

A handler refuses a request by raising :class:`ApiProblem`; the application
turns it into the error body of the API the request was for:

- Spiceworks: ``{"error": <message>, "details": [<detail>, ...]}``; in
  real-world mode ``{"errors": [{"title": <message>, "details": <detail>}, ...]}``,
  as Spiceworks' documentation shows it.
- Kloudless: ``{"error_code", "message", "id", "status_code"}``, ``id`` being
  the request id, as the Kloudless spec's ``info.description`` records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

ApiName = Literal["spiceworks", "kloudless"]

#: Kloudless's machine-readable codes, per status.
_KLOUDLESS_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_server_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

_REASONS: Mapping[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    501: "Not implemented",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class ApiProblem(Exception):
    """A request the sandbox refuses the way the API would.

    Args:
        status: The HTTP status.
        message: What went wrong, for people; the status's reason when empty.
        details: One line per problem (each invalid field, say).
        headers: Extra response headers (``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        message: str = "",
        details: Sequence[str] = (),
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or _REASONS.get(status, "Error")
        self.details = list(details)
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {self.message}")


def error_body(api: ApiName, problem: ApiProblem, request_id: str, *, real_world: bool = False) -> dict[str, Any]:
    """The error body ``api`` sends for ``problem``.

    Args:
        api: The API the request was for.
        problem: The refusal.
        request_id: This request's id (Kloudless puts it in the body).
        real_world: Spiceworks' body as its documentation shows it:
            ``{"errors": [{"title", "details"}, ...]}``, one per detail.

    Returns:
        The JSON-ready body.
    """
    if api == "spiceworks" and real_world:
        return {
            "errors": [{"title": problem.message, "details": detail} for detail in problem.details or [problem.message]]
        }
    if api == "spiceworks":
        return {"error": problem.message, "details": problem.details}
    message = problem.message
    if problem.details:
        # Kloudless has no details field: the details go into the message.
        message = f"{message}: {'; '.join(problem.details)}"
    return {
        "error_code": _KLOUDLESS_CODES.get(problem.status, "error"),
        "message": message,
        "id": request_id,
        "status_code": problem.status,
    }


class ResponseContractError(AssertionError):
    """The sandbox answered with a response its spec does not allow (a sandbox bug).

    Raised only when response checking is on, as in the sandbox's own tests.
    """
