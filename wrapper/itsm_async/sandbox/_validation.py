"""Requests and responses checked against the specs with openapi-core.

Nothing here knows a field: every rule (types, enums, ranges, required
parameters and properties) comes from the documents, so the sandbox refuses
exactly what the specs forbid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.validation.request.exceptions import (
    MissingParameterError,
    MissingRequestBodyError,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ._casting import foreign_number
from ._errors import ApiProblem
from ._specs import ApiSpec

#: The most (method, path) pairs whose operation is kept: the finder tries every path template in turn.
_FOUND_PATHS = 4096


class SpecRequest:
    """A request as openapi-core reads it (its ``Request`` protocol).

    Args:
        spec: The API the request is for; its server is the request's host.
        method: The HTTP method.
        path: The URL path.
        query: The query parameters, in order.
        headers: The request headers.
        body: The raw body, if any.
    """

    def __init__(
        self,
        spec: ApiSpec,
        *,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> None:
        header_map = Headers(list(headers))
        self.host_url = spec.host_url
        self.path = path
        self.method = method.lower()
        self.body = body or None
        # RFC 9110 section 8.3: a body without a type is octet-stream. Only the
        # media type is case-insensitive (section 8.3.1): a multipart boundary is not.
        media_type, separator, parameters = header_map.get("content-type", "application/octet-stream").partition(";")
        self.content_type = media_type.strip().lower() + separator + parameters
        self.parameters = RequestParameters(query=ImmutableMultiDict(list(query)), header=header_map)
        #: The operation found for the request, so validation does not search the paths again.
        self.found: PathOperationServer | None = None


class SpecResponse:
    """A response as openapi-core reads it (its ``Response`` protocol)."""

    def __init__(self, status_code: int, headers: Sequence[tuple[str, str]], data: bytes) -> None:
        self.status_code = status_code
        self.headers = Headers(list(headers))
        self.content_type = self.headers.get("content-type", "").lower()
        self.data = data or None


@attrs.frozen
class Operation:
    """The operation a request is for and the resource it acts on (``tickets``)."""

    operation_id: str
    resource: str
    found: PathOperationServer = attrs.field(eq=False, repr=False)


@attrs.frozen
class Checked:
    """A request's parameters, typed and with the spec's defaults, by location, and its body.

    ``body`` is the body as openapi-core reads it (form fields typed, files
    as bytes, dates as ``datetime``), or None.
    """

    path: Mapping[str, Any]
    query: Mapping[str, Any]
    header: Mapping[str, Any]
    body: Any = None


def find_operation(spec: ApiSpec, method: str, path: str) -> Operation:
    """The operation ``method path`` names in ``spec``.

    Raises:
        ApiProblem: 404 for a path the spec does not declare, 405 for a
            method it does not declare on that path.
    """
    key = (method.lower(), path)
    found = spec.found.get(key)
    if found is None:
        found = _find(spec, method, path)
        if len(spec.found) >= _FOUND_PATHS:
            spec.found.clear()
        spec.found[key] = found
    template = found.path_result.pattern
    resource = [segment for segment in template.split("/") if segment and not segment.startswith("{")][-1]
    return Operation(spec.operations[(template, method.lower())], resource, found)


def _find(spec: ApiSpec, method: str, path: str) -> PathOperationServer:
    try:
        return spec.finder.find(method.lower(), spec.host_url + path)
    except OperationNotFound:
        raise ApiProblem(405, f"{method} is not allowed on {path}") from None
    except PathError:
        raise ApiProblem(404, f"no such endpoint: {path}") from None


def check_request(spec: ApiSpec, request: SpecRequest) -> Checked:
    """Validate a request against its operation and type its parameters.

    Returns:
        The parameters, typed, with the spec's defaults filled in.

    Raises:
        ApiProblem: 422, with one detail per violation; for a number in
            digits the API never writes (``٣``, ``²``: see ``_casting``), 404
            in a path parameter and 400 in a query or header parameter, as a
            crafted id names no record and a crafted page no page, where the
            operation documents that status (else the 422 it documents).
    """
    try:
        # The unmarshaller itself: unmarshal_request first tells a webhook from an API call through
        # two runtime protocol checks, which cost as much again as the checks of a small request.
        result = spec.openapi.request_unmarshaller.unmarshal(request)
    except AssertionError:
        # openapi-core's multipart reader asserts its parts are MIME parts:
        # a body that does not split on its boundary is the client's error.
        raise ApiProblem(422, "Validation failed", ["body: not a multipart body with the boundary it names"]) from None
    if result.errors:
        foreign = _foreign_numbers(result.errors)
        in_path = [
            f"path parameter {name!r}: {value!r} names no record" for where, name, value in foreign if where == "path"
        ]
        elsewhere = [
            f"{where} parameter {name!r}: {value!r} is no number this API reads" for where, name, value in foreign
        ]
        if in_path and _documents(request, 404):
            raise ApiProblem(404, details=in_path)
        if foreign and not in_path and _documents(request, 400):
            raise ApiProblem(400, details=elsewhere)
        raise ApiProblem(422, "Validation failed", [line for error in result.errors for line in describe(error)])
    parameters = result.parameters
    return Checked(
        path=dict(parameters.path), query=dict(parameters.query), header=dict(parameters.header), body=result.body
    )


def _documents(request: SpecRequest, status: int) -> bool:
    """Whether the operation of ``request`` documents ``status`` (itself, its range or a default)."""
    if request.found is None:
        return False
    responses = request.found.operation / "responses"
    return any(key in responses for key in (str(status), f"{status // 100}XX", "default"))


def _foreign_numbers(errors: Iterable[Exception]) -> list[tuple[str, str, str]]:
    """(location, name, value) of each parameter whose value failed its number cast for being foreign digits."""
    found = []
    for error in errors:
        cause = error.__cause__
        if isinstance(error, ParameterValidationError) and isinstance(cause, CastError) and foreign_number(cause.value):
            found.append((error.location, error.name, cause.value))
    return found


def response_errors(spec: ApiSpec, request: SpecRequest, response: SpecResponse) -> list[str]:
    """How a response breaks its operation's documented responses (empty: it conforms).

    Args:
        spec: The API.
        request: The request that was answered.
        response: The answer.

    Returns:
        One line per violation.
    """
    # Validation only: unmarshalling a page of objects as well takes twenty times longer.
    return [line for error in spec.openapi.iter_response_errors(request, response) for line in describe(error)]


def describe(error: Exception) -> list[str]:
    """Readable lines for one openapi-core error, naming the field at fault."""
    cause = error.__cause__
    if isinstance(error, MissingParameterError):
        return [f"{error.location} parameter {error.name!r} is required"]
    if isinstance(error, ParameterValidationError):
        prefix = f"{error.location} parameter {error.name!r}"
        if isinstance(cause, InvalidSchemaValue):
            return [f"{prefix}: {message}" for message in _schema_messages(cause.schema_errors)]
        return [f"{prefix}: {_text(cause)}" if cause else f"{prefix} is invalid"]
    if isinstance(error, MissingRequestBodyError):
        return ["a JSON request body is required"]
    if isinstance(error, RequestBodyValidationError):
        if isinstance(cause, InvalidSchemaValue):
            return [f"body: {message}" for message in _schema_messages(cause.schema_errors)]
        return [f"body: {_text(cause or error)}"]
    if isinstance(cause, InvalidSchemaValue):
        # The error's own text repeats the whole value: name the class instead.
        return [f"{type(error).__name__}: {message}" for message in _schema_messages(cause.schema_errors)]
    return [_text(error)]


def _text(error: BaseException) -> str:
    # openapi-core formats a body it cannot deserialise by decoding it as
    # UTF-8, which itself raises for arbitrary bytes: never let that be a 500.
    try:
        return str(error)
    except UnicodeDecodeError:
        return f"{type(error).__name__}: the body is not UTF-8 text"


def _schema_messages(errors: Iterable[Exception]) -> list[str]:
    lines = []
    for error in errors:
        location = ".".join(str(part) for part in getattr(error, "absolute_path", ()))
        message = getattr(error, "message", str(error))
        lines.append(f"{location}: {message}" if location else message)
    return lines or ["invalid"]
