"""The ``itsm`` command line: every operation of both APIs, built from the generated code.

Examples, offline against the embedded sandbox::

    itsm spiceworks tickets list --status open --all --sandbox
    itsm kloudless incidents list --all --format csv --output incidents.csv --sandbox
    itsm spiceworks tickets create --json '{"summary": "Printer on fire"}' --dry-run

Commands are read from the clients' generated operation groups when the
command starts, so an operation added to a spec and regenerated is a
command with no edit. Needs the ``cli`` extra (typer, rich).
"""

try:
    import rich  # noqa: F401
    import typer  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess
    raise ModuleNotFoundError(
        f"the itsm command needs the cli extra ({exc.name} is missing): pip install 'itsm-async[cli]'", name=exc.name
    ) from exc

from ._app import main, make_app
from ._errors import EXIT_STATUSES

__all__ = ["EXIT_STATUSES", "main", "make_app"]
