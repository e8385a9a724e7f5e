"""An async client for the Spiceworks Cloud Apps and Kloudless ITSM APIs."""

from ._auth import TokenProvider
from ._client import KloudlessClient, SpiceworksClient
from ._exceptions import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    CredentialError,
    InvalidArgumentError,
    ItsmError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestBuildError,
    ResponseDecodeError,
    ServerError,
    UnprocessableEntityError,
)
from ._limits import Limiter, LimitTimeout, RateLimit
from ._paging import Page, Paginator, PagingError
from ._reading import Mismatch, mismatches
from ._retry import RetryPolicy
from ._transport import RetryEvent, RetryHook, RetryTransport
from ._version import __version__

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "CredentialError",
    "InvalidArgumentError",
    "ItsmError",
    "KloudlessClient",
    "LimitTimeout",
    "Limiter",
    "Mismatch",
    "NotFoundError",
    "Page",
    "Paginator",
    "PagingError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RequestBuildError",
    "ResponseDecodeError",
    "RetryEvent",
    "RetryHook",
    "RetryPolicy",
    "RetryTransport",
    "ServerError",
    "SpiceworksClient",
    "TokenProvider",
    "UnprocessableEntityError",
    "__version__",
    "mismatches",
]
