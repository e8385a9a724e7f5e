"""The API reference pages, written at build time from the packages themselves.

A mkdocs hook (``hooks:`` in ``mkdocs.yml``). Nothing in the reference lists
a class or operation by hand: griffe, which mkdocstrings renders with, reads
the packages statically (no import), and this hook writes one
``::: identifier`` page per part of them:

- ``itsm_async``: the names of its ``__all__``, one page per private module
  that defines them (``_client``, ``_paging``, ...), then ``itsm_async.testing``,
  ``itsm_async.sandbox`` (its ``__all__``) and ``itsm_async.vendor``;
- each package under ``generated/``: one page per operation group of its
  ``api.Api`` (the tags of the spec), one page of its ``models.__all__`` and
  one of its ``types``.

So a tag, operation or model added to a spec appears in the reference after
``./codegen.sh``, with no edit here. The pages are added to the site as
generated files (nothing is written under ``docs/``) and appended to the
``Reference`` section of the navigation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

WRAPPER = "itsm_async"
#: The private modules whose names come first in the reference, in this order;
#: any other follows in the order ``__init__.py`` imports it.
FIRST_MODULES = ("_client", "_paging", "_retry", "_transport")
#: Submodules of ``itsm_async`` with a page of their own, after the top-level names.
SUBMODULES = ("testing", "sandbox", "vendor", "redis", "cli")
#: The names of a generated package's ``types`` that users meet (defined by the
#: templates, not the spec, so the same in every package).
TYPES = ("UNSET", "Unset", "Response", "ArgumentError", "MissingFieldError")
#: Options of every generated object's block. The operations' docstrings end
#: their ``Raises:`` section with an unindented sentence, and a long parameter
#: type is wrapped inside its parentheses (``specs/templates/binding_macros.jinja``),
#: which griffe's Google parser warns about though it renders the rest; the
#: warnings stay on for the hand-written package.
GENERATED_OPTIONS: dict[str, Any] = {"docstring_options": {"warnings": False}}
#: The section of ``nav`` in mkdocs.yml that receives the pages.
NAV_SECTION = "Reference"

_pages: dict[str, str] = {}


def _title(module: str) -> str:
    """A page title from a private module's name: ``_client`` -> ``Client``."""
    return module.strip("_").replace("_", " ").capitalize()


def _directive(identifier: str, **options: Any) -> str:
    """A ``::: identifier`` block, its options in its indented body (JSON is YAML)."""
    if not options:
        return f"::: {identifier}\n"
    return f"::: {identifier}\n    options: {json.dumps(options)}\n"


def _exports(module: griffe.Module) -> list[str]:
    """The names of a module's ``__all__``, in order."""
    return [str(name) for name in module.exports or []]


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object:
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


def _wrapper_pages(package: griffe.Module) -> tuple[dict[str, str], list[Any]]:
    pages: dict[str, str] = {}
    nav: list[Any] = []
    by_module: dict[str, list[str]] = {}
    for name in _exports(package):
        if name.startswith("__"):
            continue  # __version__: shown on the index page
        target = package.members[name]
        module = target.target_path.rpartition(".")[0] if isinstance(target, griffe.Alias) else package.path
        by_module.setdefault(module, []).append(name)
    index = [
        f"# `{WRAPPER}`",
        "",
        f"The hand-written package. Its public names (`{WRAPPER}.__all__`), by the module that defines them:",
        "",
    ]

    def first(module: str) -> int:
        short = module.rpartition(".")[2]
        return FIRST_MODULES.index(short) if short in FIRST_MODULES else len(FIRST_MODULES)

    for module in sorted(by_module, key=first):
        names = by_module[module]
        short = module.rpartition(".")[2]
        path = f"reference/{WRAPPER}/{short.strip('_')}.md"
        title = _title(short)
        body = [f"# {title}", "", _directive(module, members=False, show_root_heading=False, show_root_toc_entry=False)]
        body += [_directive(f"{WRAPPER}.{name}") for name in names]
        pages[path] = "\n".join(body)
        nav.append({title: path})
        listed = ", ".join(f"[`{name}`][{WRAPPER}.{name}]" for name in names)
        index.append(f"- [{title}]({short.strip('_')}.md): {listed}")
    index += ["", "And its submodules:", ""]
    for submodule in SUBMODULES:
        found = _target(package.members[submodule])
        assert isinstance(found, griffe.Module), f"{WRAPPER}.{submodule} is not a module"
        path = f"reference/{WRAPPER}/{submodule}.md"
        members = _exports(found)
        options: dict[str, Any] = {"members": members} if members else {}
        pages[path] = "\n".join([f"# `{WRAPPER}.{submodule}`", "", _directive(f"{WRAPPER}.{submodule}", **options)])
        nav.append({f"{WRAPPER}.{submodule}": path})
        summary = (found.docstring.value.partition("\n")[0] if found.docstring else "").strip()
        index.append(f"- [`{WRAPPER}.{submodule}`]({submodule}.md): {_inline(summary)}")
    version = package.members.get("__version__")
    if version is not None:
        index += ["", f"`{WRAPPER}.__version__` is the installed version."]
    pages[f"reference/{WRAPPER}/index.md"] = "\n".join(index) + "\n"
    return pages, [f"reference/{WRAPPER}/index.md", *nav]


def _inline(text: str) -> str:
    """A docstring's reStructuredText literals (double backquotes) as Markdown code."""
    return re.sub(r"``(.+?)``", r"`\1`", text)


def _spec_of(package: griffe.Module) -> str:
    """The spec a generated package was made from, read from its "Generated by" first line."""
    api = _target(package.members["api"])
    assert isinstance(api.filepath, Path), f"{api.path} is not one file"
    first = api.filepath.read_text(encoding="utf-8").partition("\n")[0]
    found = re.search(r"from (\S+?):", first)
    return found.group(1) if found else "its spec"


def _operations(group: griffe.Class) -> Iterable[tuple[str, str]]:
    """A group's operations (the ``_raw`` twins left out) and their summaries."""
    for name, member in group.members.items():
        if name.startswith("_") or name.endswith("_raw") or not isinstance(member, griffe.Function):
            continue
        summary = member.docstring.value.partition("\n")[0].strip() if member.docstring else ""
        yield name, summary


def _generated_pages(package: griffe.Module) -> tuple[dict[str, str], list[Any]]:
    name = package.path
    root = f"reference/{name}"
    pages: dict[str, str] = {}
    groups_nav: list[dict[str, str]] = []
    api = _target(package.members["api"]["Api"])
    spec = _spec_of(package)
    index = [
        f"# `{name}`",
        "",
        f"Generated by `./codegen.sh` from `{spec}`; these pages are written from the package when the site is built.",
        "",
        "## Operation groups",
        "",
        "Each group is an attribute of the client (one per tag of the spec); each operation `op` has a twin",
        "`op_raw` that returns a [`Response`][" + name + ".types.Response] with the status code and headers too.",
        "",
    ]
    for attribute, member in api.members.items():
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        group_path = member.annotation.canonical_path if isinstance(member.annotation, griffe.Expr) else ""
        group = package.modules_collection.get_member(group_path) if group_path else None
        if not isinstance(group, griffe.Class):
            continue
        path = f"{root}/api/{attribute}.md"
        intro = (
            f"`client.{attribute}`: the operations tagged `{attribute}`. Each `op` below also has `op_raw`, "
            f"with the same arguments, returning a [`Response`][{name}.types.Response]."
        )
        directive = _directive(group_path, filters=["!^_", "!_raw$"], **GENERATED_OPTIONS, show_root_full_path=False)
        pages[path] = "\n".join([f"# `{attribute}`", "", intro, "", directive])
        groups_nav.append({attribute: path})
        index.append(f"- [`{attribute}`](api/{attribute}.md):")
        for operation, summary in _operations(group):
            index.append(f"    - [`{operation}`][{group_path}.{operation}]: {summary}")
    models = _target(package.members["models"])
    assert isinstance(models, griffe.Module), f"{name}.models is not a module"
    model_lines = [
        f"# `{name}.models`",
        "",
        "Every model is an attrs class with `from_dict()` and `to_dict()`; fields the spec does not list are kept",
        "in `additional_properties`. An enum keeps a value the spec does not list (read it with `str()`).",
        "A list envelope has `page_items()`, which paging reads.",
        "",
    ]
    for model in _exports(models):
        target = _target(models.members[model])
        is_enum = isinstance(target, griffe.Class) and any(
            str(base).rpartition(".")[2] in {"Enum", "StrEnum", "IntEnum"} for base in target.bases
        )
        identifier = f"{name}.models.{model}"
        # An enum shows its values; a list envelope the method paging reads; the
        # other models their docstring's table of fields, not from_dict/to_dict
        # again. The fields table says what a constructor takes, so the long
        # one-line signature is left out.
        if is_enum:
            options: dict[str, Any] = {"show_if_no_docstring": True}
        elif isinstance(target, griffe.Class) and "page_items" in target.members:
            options = {"members": ["page_items"]}
        else:
            options = {"members": False}
        model_lines.append(
            _directive(
                identifier,
                show_root_full_path=False,
                show_signature=False,
                separate_signature=False,
                **options,
                **GENERATED_OPTIONS,
            )
        )
    pages[f"{root}/models.md"] = "\n".join(model_lines)
    types = _target(package.members["types"])
    present = [member for member in TYPES if member in types.members]
    types_directive = _directive(f"{name}.types", members=present, show_if_no_docstring=True, **GENERATED_OPTIONS)
    pages[f"{root}/types.md"] = "\n".join([f"# `{name}.types`", "", types_directive])
    index += [
        "",
        "## [Models](models.md)",
        "",
        f"The request and response bodies of the spec, and its enums: {len(_exports(models))} classes.",
        "",
        "## [Types](types.md)",
        "",
        "`UNSET` (an optional field the server left out), `Response` and the argument errors.",
        "",
    ]
    pages[f"{root}/index.md"] = "\n".join(index)
    nav = [
        f"{root}/index.md",
        {"Operations": groups_nav},
        {"Models": f"{root}/models.md"},
        {"Types": f"{root}/types.md"},
    ]
    return pages, nav


def _generated_packages(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir() if (entry / "__init__.py").is_file())


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Read the packages and append their pages to the Reference section of the navigation."""
    root = Path(config.config_file_path).parent
    wrapper, generated = root / "wrapper", root / "generated"
    loader = griffe.GriffeLoader(search_paths=[str(wrapper), str(generated)])
    packages = [WRAPPER, *_generated_packages(generated)]
    loaded = {name: loader.load(name) for name in packages}
    loader.resolve_aliases(implicit=False, external=False)
    _pages.clear()
    nav: list[Any] = ["reference/index.md"]
    overview = [
        "# API reference",
        "",
        "Written from the docstrings when the site is built: the hand-written package and both generated ones.",
        "",
    ]
    for name, package in loaded.items():
        assert isinstance(package, griffe.Module)
        if name == WRAPPER:
            pages, section = _wrapper_pages(package)
            overview.append(f"- [`{name}`]({name}/index.md): the clients, paging, retries, errors and tools.")
        else:
            pages, section = _generated_pages(package)
            overview.append(f"- [`{name}`]({name}/index.md): generated from `{_spec_of(package)}`.")
        _pages.update(pages)
        nav.append({name: section})
    _pages["reference/index.md"] = "\n".join(overview) + "\n"
    for entry in config.nav or []:
        if isinstance(entry, dict) and NAV_SECTION in entry:
            entry[NAV_SECTION] = nav
            break
    else:
        raise ValueError(f"mkdocs.yml: nav has no {NAV_SECTION!r} section for the API reference")
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the reference pages as generated files."""
    for path, content in _pages.items():
        files.append(File.generated(config, path, content=content))
    return files
