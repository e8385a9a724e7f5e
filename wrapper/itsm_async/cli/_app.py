"""The ``itsm`` command: one group per API, built from the clients' generated operations."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import httpx
import typer

from .._version import __version__
from ._apis import BINDINGS
from ._commands import api_app
from ._errors import EXIT_INTERRUPTED


def _version(value: bool) -> None:
    if value:
        print(f"itsm {__version__}")
        raise typer.Exit()


def make_app(*, transport: httpx.AsyncBaseTransport | None = None) -> typer.Typer:
    """The ``itsm`` typer app.

    Args:
        transport: Send every request through this transport instead of the
            network, as a client's ``transport=`` does (tests pass an
            ``httpx.MockTransport``); ``--sandbox`` still uses the sandbox.

    Returns:
        The app: ``itsm spiceworks tickets list --all``.
    """
    app = typer.Typer(
        name="itsm",
        help="The Spiceworks Cloud Apps and Kloudless ITSM APIs on the command line.",
        epilog="Try it offline: itsm spiceworks tickets list --sandbox --all --max-items 5",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )

    @app.callback()
    def root(
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
        ] = False,
    ) -> None:
        """The Spiceworks Cloud Apps and Kloudless ITSM APIs on the command line."""

    for binding in BINDINGS:
        app.add_typer(api_app(binding, transport), name=binding.name)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """The ``itsm`` console script.

    Args:
        argv: The arguments, ``sys.argv[1:]`` by default.
    """
    try:
        app = make_app()
        app(args=list(argv) if argv is not None else None, prog_name="itsm")
    except KeyboardInterrupt:
        print("itsm: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
