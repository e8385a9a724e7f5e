"""The public API is what `itsm_async.__all__` lists, sorted, and nothing private."""

from types import ModuleType

import itsm_async


def test_all_is_sorted_and_complete() -> None:
    assert itsm_async.__all__ == sorted(itsm_async.__all__)
    # Public submodules (demo, sandbox, testing) appear once imported; they are not re-exports.
    public = {
        name
        for name in dir(itsm_async)
        if not name.startswith("_") and not isinstance(getattr(itsm_async, name), ModuleType)
    } | {"__version__"}
    assert set(itsm_async.__all__) == public


def test_exported_members_live_in_private_modules() -> None:
    for name in itsm_async.__all__:
        member = getattr(itsm_async, name)
        if not isinstance(member, type):  # __version__, the TokenProvider alias
            continue
        assert member.__module__.startswith("itsm_async._"), (name, member.__module__)
