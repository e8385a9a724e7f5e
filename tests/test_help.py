"""``help()`` on a client lists its operation groups and their operations.

The expected names come from the specs (each operation's tag and
operationId), not from the generated code the docstring is built from.
"""

from __future__ import annotations

import pydoc
import re
from pathlib import Path

import pytest
from openapi_spec_validator.readers import read_from_filename

from itsm_async import KloudlessClient, SpiceworksClient

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def snake(name: str) -> str:
    """``listTickets`` or ``Tickets`` as the generator names it: ``list_tickets``, ``tickets``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace(" ", "_").replace("-", "_").lower()


def spec_operations(spec: str) -> dict[str, list[str]]:
    """Each tag of the spec's operations, snake-cased, mapped to its operations' ids."""
    document, _ = read_from_filename(str(ROOT / "specs" / spec))
    groups: dict[str, list[str]] = {}
    for item in document["paths"].values():
        for method in METHODS:
            if method in item:
                operation = item[method]
                for tag in operation.get("tags", []):
                    groups.setdefault(snake(tag), []).append(snake(operation["operationId"]))
    return groups


CLIENTS = [
    pytest.param(SpiceworksClient, "spiceworks-cloud-apps.yaml", id="spiceworks"),
    pytest.param(KloudlessClient, "kloudless-itsm.yaml", id="kloudless"),
]


@pytest.mark.parametrize(("client", "spec"), CLIENTS)
def test_help_lists_every_group_and_operation(client: type, spec: str) -> None:
    text = pydoc.plain(pydoc.render_doc(client))
    groups = spec_operations(spec)
    assert groups, spec
    for group, operations in groups.items():
        # A group heading is its own line; each operation an indented line under it.
        assert re.search(rf"^\s*\|?\s*{group}$", text, re.MULTILINE), group
        for operation in operations:
            assert re.search(rf"^\s*\|?\s*{operation}: \S", text, re.MULTILINE), operation


def test_help_shows_the_operation_summary() -> None:
    text = pydoc.plain(pydoc.render_doc(SpiceworksClient))
    assert "list_tickets: List Help Desk Tickets" in text
    # The _raw twins are described once, not listed one by one.
    assert "list_tickets_raw:" not in text
    assert "op_raw" in text
