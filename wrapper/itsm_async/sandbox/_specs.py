"""The two OpenAPI documents: located, loaded and prepared once per process.

The sandbox serves exactly what the specs describe, so it reads them at run
time rather than restating them. A sandbox may be given a spec file of its
own; otherwise each is looked for, in order, in the directory named by
``ITSM_SANDBOX_SPECS``, in ``specs/`` inside this package (where a wheel can
ship them) and in the source tree's top-level ``specs/``.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.unmarshalling.request import UNMARSHALLERS as REQUEST_UNMARSHALLERS
from openapi_core.validation.response import VALIDATORS as RESPONSE_VALIDATORS
from openapi_spec_validator.versions.shortcuts import get_spec_version
from yaml import safe_load  # type: ignore[import-untyped,unused-ignore]

from ._checkers import cached
from ._errors import ApiName

SPECS_ENV = "ITSM_SANDBOX_SPECS"

SPEC_FILES: dict[ApiName, str] = {
    "spiceworks": "spiceworks-cloud-apps.yaml",
    "kloudless": "kloudless-itsm.yaml",
}

_METHODS = ("get", "put", "post", "delete", "patch")
#: Places of a document whose resolution is kept (a few hundred per spec are read).
_RESOLVED_PLACES = 4096


@attrs.frozen
class ApiSpec:
    """One API's document, ready to match and validate requests.

    Attributes:
        name: ``spiceworks`` or ``kloudless``.
        openapi: The openapi-core application of the document.
        finder: Finds the operation of a method and URL.
        host_url: Scheme and host of the document's server. Requests are
            matched as if sent there, whatever host the sandbox listens on.
        base_path: The path of the document's server (``/v1``), which
            precedes every path template in a URL.
        operations: The operationId of each (path template, lowercase method);
            an operation without one is named ``<METHOD> <template>``.
        found: What the finder found for recent (lowercase method, path)
            pairs: the same document always finds the same.
    """

    name: ApiName
    openapi: OpenAPI
    finder: APICallPathFinder
    host_url: str
    base_path: str
    operations: Mapping[tuple[str, str], str]
    found: dict[tuple[str, str], PathOperationServer] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def operation_ids(self) -> frozenset[str]:
        """Every operation the document declares."""
        return frozenset(self.operations.values())


def _media_types(node: Any) -> set[str]:
    """Every media type a ``content`` map of the document names."""
    found: set[str] = set()
    if isinstance(node, dict):
        content = node.get("content")
        if isinstance(content, dict):
            found |= {str(media).lower() for media in content}
        for value in node.values():
            found |= _media_types(value)
    elif isinstance(node, list):
        for value in node:
            found |= _media_types(value)
    return found


def find_spec_file(filename: str) -> Path:
    """The path of one spec file.

    Args:
        filename: The file's name, e.g. ``kloudless-itsm.yaml``.

    Returns:
        The first existing candidate path.

    Raises:
        FileNotFoundError: No candidate exists.
    """
    here = Path(__file__).resolve().parent
    candidates = [here / "specs" / filename, here.parents[2] / "specs" / filename]
    override = os.environ.get(SPECS_ENV)
    if override:
        candidates.insert(0, Path(override) / filename)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"spec {filename} not found (tried {tried}); set {SPECS_ENV} to its directory")


def load_spec(name: ApiName, path: str | os.PathLike[str] | None = None) -> ApiSpec:
    """Load and prepare one API's document (cached per file: loading takes a while).

    Args:
        name: ``spiceworks`` or ``kloudless``.
        path: The document's file; found with :func:`find_spec_file` when None.

    Returns:
        The prepared spec.
    """
    found = find_spec_file(SPEC_FILES[name]) if path is None else Path(path)
    return _load(name, found.resolve())


@functools.cache
def _load(name: ApiName, path: Path) -> ApiSpec:
    document: dict[str, Any] = safe_load(path.read_text(encoding="utf-8"))
    prepared = copy.deepcopy(document)
    # The sandbox checks credentials itself, before validation, so that a
    # missing token gets each API's own 401 body rather than a schema error.
    prepared.pop("security", None)
    server = urlsplit(prepared["servers"][0]["url"])
    # openapi-core reads application/json and vnd.api+json; every other JSON
    # media type (application/merge-patch+json, RFC 7396) is JSON too (RFC 6839).
    suffixed = {media for media in _media_types(prepared) if media.endswith("+json")}
    # Each validator and unmarshaller is built once per schema, not once per request (``_checkers``).
    version = get_spec_version(prepared)
    config = Config(
        extra_media_type_deserializers=dict.fromkeys(suffixed, json_loads),
        request_unmarshaller_cls=cached(REQUEST_UNMARSHALLERS[version]),
        response_validator_cls=cached(RESPONSE_VALIDATORS[version]),
    )
    # jsonschema-path's resolved-path cache (off by default) keeps each place of the document once its
    # ``$ref`` chain is followed: openapi-core reads the same few places on every request.
    openapi = OpenAPI(SchemaPath.from_dict(prepared, resolved_cache_maxsize=_RESOLVED_PLACES), config=config)
    operations = {
        (template, method): operation.get("operationId") or f"{method.upper()} {template}"
        for template, item in (prepared.get("paths") or {}).items()
        for method, operation in item.items()
        if method in _METHODS
    }
    return ApiSpec(
        name=name,
        openapi=openapi,
        finder=APICallPathFinder(openapi.spec),
        host_url=f"{server.scheme}://{server.netloc}",
        base_path=server.path.rstrip("/"),
        operations=operations,
    )
