"""Locates the generated packages beside this one, installed or vendored.

Installed, the three packages are top-level (``spiceworks_client``); vendored
into a service they sit side by side inside one of its packages
(``service._vendor.spiceworks_client``). Looking them up relative to this
package works in both layouts without rewriting imports.
"""

import importlib
from types import ModuleType


def import_generated(name: str) -> ModuleType:
    """Import the generated module ``name`` from beside this package.

    Args:
        name: The module's name as installed, e.g. ``spiceworks_client.api``.

    Returns:
        The module.
    """
    parent = (__package__ or "").rpartition(".")[0]
    return importlib.import_module(f"{parent}.{name}" if parent else name)
