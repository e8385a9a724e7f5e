"""The APIs on the command line: each client, its credentials and its variables.

This is the one hand-written part of the command tree: how each API is
authenticated. Its resources and operations are read from the client
(:mod:`._model`), its default server from the client's signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from .._client import KloudlessClient, SpiceworksClient
from ._docs import package_dir, spec_file
from ._model import api_class


class MissingCredential(Exception):
    """A credential the API needs was neither given as an option nor set in the environment."""


@attrs.frozen
class Credential:
    """One credential option.

    Attributes:
        option: The option, ``--token``.
        envvar: The environment variable read when the option is not given.
        keyword: The client's argument it is passed as.
        help: The option's help.
        secret: Redacted wherever it could be shown (an account id is not).
    """

    option: str
    envvar: str
    keyword: str
    help: str
    secret: bool = True


@attrs.frozen
class ApiBinding:
    """One API: ``itsm NAME ...``.

    Attributes:
        name: The command (``spiceworks``); also the sandbox's prefix
            (``Sandbox.spiceworks_client``, ``Sandbox(spiceworks_spec=...)``).
        client_class: The client.
        credentials: Its credential options.
        choose: From the credentials given (option or variable, by keyword),
            the client's arguments; raises MissingCredential naming what is missing.
    """

    name: str
    client_class: type[SpiceworksClient] | type[KloudlessClient]
    credentials: tuple[Credential, ...]
    choose: Callable[[Mapping[str, str]], dict[str, str]]

    @property
    def base_url_envvar(self) -> str:
        """The variable overriding the default server, as the demo reads it."""
        return f"{self.name.upper()}_BASE_URL"

    @property
    def default_base_url(self) -> str:
        """The client's default server (its ``base_url`` default)."""
        return str(inspect.signature(self.client_class).parameters["base_url"].default)

    @property
    def spec(self) -> Path | None:
        """The spec the client's operations were generated from, if found."""
        return spec_file(package_dir(api_class(self.client_class)))

    def placeholders(self) -> dict[str, str]:
        """Stand-ins for every credential, for a dry run without any."""
        return {credential.keyword: credential.keyword.upper() for credential in self.credentials}


def _needs(given: Mapping[str, str], *credentials: Credential) -> None:
    if not any(given.get(credential.keyword) for credential in credentials):
        wanted = " or ".join(f"{c.option} (or {c.envvar})" for c in credentials)
        raise MissingCredential(f"no {credentials[0].keyword.replace('_', ' ')}: pass {wanted}, or use --sandbox")


_SW_TOKEN = Credential("--token", "SPICEWORKS_TOKEN", "token", "OAuth access token.")


def _spiceworks(given: Mapping[str, str]) -> dict[str, str]:
    _needs(given, _SW_TOKEN)
    return {"token": given["token"]}


_KL_ACCOUNT = Credential(
    "--account-id", "KLOUDLESS_ACCOUNT_ID", "account_id", "The connected account (bound once).", secret=False
)
_KL_KEY = Credential("--api-key", "KLOUDLESS_API_KEY", "api_key", "Application API key (used when both are set).")
_KL_TOKEN = Credential("--token", "KLOUDLESS_TOKEN", "token", "OAuth bearer token, instead of --api-key.")


def _kloudless(given: Mapping[str, str]) -> dict[str, str]:
    _needs(given, _KL_ACCOUNT)
    _needs(given, _KL_KEY, _KL_TOKEN)
    chosen = {"account_id": given["account_id"]}
    # As the demo: the API key when both are set.
    if given.get("api_key"):
        chosen["api_key"] = given["api_key"]
    else:
        chosen["token"] = given["token"]
    return chosen


BINDINGS: tuple[ApiBinding, ...] = (
    ApiBinding("spiceworks", SpiceworksClient, (_SW_TOKEN,), _spiceworks),
    ApiBinding("kloudless", KloudlessClient, (_KL_ACCOUNT, _KL_KEY, _KL_TOKEN), _kloudless),
)


def sandbox_specs() -> dict[str, Any]:
    """``Sandbox`` arguments serving the specs the clients were generated from (where found)."""
    return {f"{binding.name}_spec": binding.spec for binding in BINDINGS if binding.spec is not None}
