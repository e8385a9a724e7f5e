"""The two OpenAPI documents: located, loaded and prepared once per process.

The sandbox serves exactly what the specs describe, so it reads them at run
time rather than restating them. They are looked for, in order, in the
directory named by ``ITSM_SANDBOX_SPECS``, in ``specs/`` inside this package
(where a wheel can ship them) and in the source tree's top-level ``specs/``.
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
from openapi_core import OpenAPI
from openapi_core.templating.paths.finders import APICallPathFinder
from yaml import safe_load  # type: ignore[import-untyped,unused-ignore]

from ._errors import ApiName

SPECS_ENV = "ITSM_SANDBOX_SPECS"

SPEC_FILES: dict[ApiName, str] = {
    "spiceworks": "spiceworks-cloud-apps.yaml",
    "kloudless": "kloudless-itsm.yaml",
}

_METHODS = ("get", "put", "post", "delete", "patch")


@attrs.frozen
class ApiSpec:
    """One API's document, ready to match and validate requests.

    Attributes:
        name: ``spiceworks`` or ``kloudless``.
        openapi: The openapi-core application of the document.
        finder: Finds the operation of a method and URL.
        host_url: Scheme and host of the document's server. Requests are
            matched as if sent there, whatever host the sandbox listens on.
        operations: The operationId of each (path template, lowercase method).
    """

    name: ApiName
    openapi: OpenAPI
    finder: APICallPathFinder
    host_url: str
    operations: Mapping[tuple[str, str], str]

    @property
    def operation_ids(self) -> frozenset[str]:
        """Every operation the document declares."""
        return frozenset(self.operations.values())


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


@functools.cache
def load_spec(name: ApiName) -> ApiSpec:
    """Load and prepare one API's document (cached: loading takes a while).

    Args:
        name: ``spiceworks`` or ``kloudless``.

    Returns:
        The prepared spec.
    """
    document: dict[str, Any] = safe_load(find_spec_file(SPEC_FILES[name]).read_text(encoding="utf-8"))
    prepared = copy.deepcopy(document)
    # The sandbox checks credentials itself, before validation, so that a
    # missing token gets each API's own 401 body rather than a schema error.
    prepared.pop("security", None)
    server = urlsplit(prepared["servers"][0]["url"])
    openapi = OpenAPI.from_dict(prepared)
    operations = {
        (template, method): operation["operationId"]
        for template, item in prepared["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    }
    return ApiSpec(
        name=name,
        openapi=openapi,
        finder=APICallPathFinder(openapi.spec),
        host_url=f"{server.scheme}://{server.netloc}",
        operations=operations,
    )
