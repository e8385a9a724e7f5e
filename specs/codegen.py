"""Runs openapi-python-client for ./codegen.sh, failing on anything it would only warn about.

    python specs/codegen.py SPEC CONFIG TEMPLATES OUTPUT

The stock command line prints a dropped endpoint or an unsupported feature as
a warning and exits 0, so an operation can go missing from a client with
nothing failing. Here every generator warning fails the run, shown with its
detail, unless the spec's config accepts it:

    accepted_warnings:
      - match: "text the warning contains"
        reason: "why the client is right without it"

(openapi-python-client ignores keys it does not know, so the config file
stays one file.) An accepted warning is still printed, with its reason; an
accepted entry no warning matches fails the run too, so stale entries do not
pile up. Runs in the codegen venv, with only the generator's dependencies.

Two template globals the stock generator lacks:

- ``parameter_bounds(endpoint, location, parameter)``: the generator drops a
  parameter's ``minimum`` and ``maximum``; the templates need them to check
  arguments before a request is sent, so they are read from the document.
- ``as_optional(property)``: the property as if not required, so that a
  model reads a required field the server left out without failing (see
  ``templates/model.py.jinja``).
"""

from __future__ import annotations

import copy
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from openapi_python_client import Project
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser import GeneratorData
from openapi_python_client.parser.errors import ErrorLevel, GeneratorError
from ruamel.yaml import YAML

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _describe(error: GeneratorError) -> str:
    header = error.header.strip()
    lines = [header if header.upper().startswith(error.level.value) else f"{error.level.value}: {header}"]
    if error.detail:
        lines.append(f"  {error.detail}")
    data = getattr(error, "data", None)
    if data is not None:
        lines.append(f"  at: {data.model_dump_json(exclude_unset=True, by_alias=True)[:400]}")
    return "\n".join(lines)


def _accepted(raw: dict[str, Any], config_path: Path) -> list[tuple[str, str]]:
    entries = raw.pop("accepted_warnings", None) or []
    accepted = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("match"), str) and entry.get("reason")):
            sys.exit(f"codegen: {config_path}: each accepted_warnings entry needs a 'match' and a 'reason': {entry!r}")
        accepted.append((entry["match"], str(entry["reason"])))
    return accepted


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` pointers (RFC 6901) until a node that is not one."""
    for _ in range(32):
        if not (isinstance(node, dict) and "$ref" in node):
            return node
        reference = node["$ref"]
        if not reference.startswith("#/"):
            sys.exit(f"codegen: only local references are supported, got {reference!r}")
        node = document
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    sys.exit("codegen: a $ref chain longer than 32 links")


def _number(value: Any, where: str) -> int | float:
    # The value is written into generated code: only a plain number may pass.
    if isinstance(value, bool) or not isinstance(value, int | float):
        sys.exit(f"codegen: {where} must be a number, got {value!r}")
    return value


def parameter_bounds(document: dict[str, Any]) -> Callable[[Any, str, Any], dict[str, int | float]]:
    """The template global: a parameter's ``minimum`` and ``maximum`` from the document.

    Keyed by method, path, location and name, path-level parameters
    overridden by the operation's (OpenAPI 3.1, Path Item Object).
    """
    table: dict[tuple[str, str, str, str], dict[str, int | float]] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _resolve(document, item)
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = _resolve(document, parameter)
                schema = _resolve(document, parameter.get("schema") or {})
                where = f"{method.upper()} {path} parameter {parameter['name']!r}"
                unsupported = sorted({"exclusiveMinimum", "exclusiveMaximum"} & schema.keys())
                if unsupported:
                    sys.exit(f"codegen: {where}: {', '.join(unsupported)} is not supported by the templates")
                bounds = {
                    key: _number(schema[key], f"{where} {key}") for key in ("minimum", "maximum") if key in schema
                }
                table[(method, path, parameter["in"], parameter["name"])] = bounds

    def lookup(endpoint: Any, location: str, parameter: Any) -> dict[str, int | float]:
        key = (endpoint.method, endpoint.path.get_untrusted_value(), location, parameter.name.get_untrusted_value())
        return table.get(key, {})

    return lookup


def operation_ids(document: dict[str, Any]) -> Callable[[Any], str]:
    """The template global: an endpoint's ``operationId`` as the spec spells it (its name if none)."""
    table: dict[tuple[str, str], str] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _resolve(document, item)
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                table[(method, path)] = operation["operationId"]

    def lookup(endpoint: Any) -> str:
        path = endpoint.path.get_untrusted_value()
        return table.get((endpoint.method, path), str(endpoint.name))

    return lookup


def group_names(tags: Sequence[str], renamed: dict[str, str], config_path: Path) -> dict[str, str]:
    """Each tag's attribute name on a client: the tag, unless it would shadow the client's own.

    A tag whose name is a client attribute (``retries``, ``paginate``, ...)
    becomes ``<tag>_api``; ``renamed_tags`` in the config picks another name.
    Fails naming the collision when a chosen name is still taken.
    """
    names: dict[str, str] = {}
    for tag in tags:
        if tag in renamed:
            name = renamed[tag]
        elif tag in RESERVED_NAMES:
            name = f"{tag}_api"
            print(
                f"codegen: the tag {tag!r} would shadow the client's own {tag!r}; its operations are "
                f"client.{name} (set renamed_tags: {{{tag}: <name>}} in {config_path} to choose)",
                file=sys.stderr,
            )
        else:
            name = tag
        if not name.isidentifier() or name.startswith("_") or name in RESERVED_NAMES or name in names.values():
            sys.exit(
                f"codegen: the tag {tag!r} cannot be the client attribute {name!r} (taken, or not a public "
                f"identifier); rename it with renamed_tags: {{{tag}: <name>}} in {config_path}"
            )
        names[tag] = name
    stale = sorted(set(renamed) - set(tags))
    if stale:
        sys.exit(f"codegen: {config_path}: renamed_tags names tags the spec does not have: {', '.join(stale)}")
    return names


def _list_inner(prop: Any) -> Any | None:
    """The list variant of a union of a list and null, else None."""
    inner = getattr(prop, "inner_properties", None) or []
    lists = [each for each in inner if each.template == "list_property.py.jinja"]
    nulls = [each for each in inner if each.get_base_type_string().as_unembedded_code() == "None"]
    return lists[0] if len(inner) == 2 and len(lists) == 1 and len(nulls) == 1 else None


def nullable_list(prop: Any) -> bool:
    """The template global: whether a property is a nullable list (``type: [array, "null"]``)."""
    return _list_inner(prop) is not None


def page_items_type(prop: Any) -> str:
    """The template global: what ``page_items()`` returns for the items property."""
    inner = _list_inner(prop)
    chosen = inner if inner is not None else prop
    return str(chosen.get_type_string(no_optional=True).as_unembedded_code())


@attrs.define
class Discriminator:
    """A union's discriminator: the property, and each value mapped to a generated class name."""

    property: str
    mapping: dict[str, str]


def discriminators(document: dict[str, Any], class_name: Callable[[str], Any]) -> Callable[[Any], Discriminator | None]:
    """The template global: the discriminator of a union property, from the document.

    The generator drops ``discriminator``; a union is matched to its schema
    by the set of its variants' class names. Without a ``mapping``, each
    variant's schema name is its value (OpenAPI 3.1, Discriminator Object).
    """
    table: dict[frozenset[str], Discriminator] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            variants = node.get("oneOf") or node.get("anyOf")
            found = node.get("discriminator")
            if isinstance(variants, list) and isinstance(found, dict) and isinstance(found.get("propertyName"), str):
                refs = [each["$ref"] for each in variants if isinstance(each, dict) and "$ref" in each]
                names = {ref: str(class_name(ref.rpartition("/")[2])) for ref in refs}
                mapping = {
                    str(value): str(class_name(str(ref).rpartition("/")[2]))
                    for value, ref in (found.get("mapping") or {}).items()
                }
                for ref, name in names.items():
                    if name not in mapping.values():
                        mapping[ref.rpartition("/")[2]] = name
                table[frozenset(names.values())] = Discriminator(found["propertyName"], mapping)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(document)

    def lookup(prop: Any) -> Discriminator | None:
        inner = getattr(prop, "inner_properties", None) or []
        names = frozenset(str(each.class_info.name) for each in inner if hasattr(each, "class_info"))
        return table.get(names)

    return lookup


#: The attributes of the clients that operation groups sit beside: a tag with
#: one of these names would shadow it. tests/test_codegen.py checks that this
#: covers every public attribute of both clients.
RESERVED_NAMES = frozenset(
    {
        "account_id",
        "aclose",
        "bound_parameters",
        "invoke",
        "paginate",
        "retries",
        "with_options",
    }
)


def _generate(spec: Path, config: Config, templates: Path, options: dict[str, Any]) -> Sequence[GeneratorError]:
    """``openapi_python_client.generate``, with the template globals above."""
    document = YAML(typ="safe").load(spec)
    openapi = GeneratorData.from_dict(copy.deepcopy(document), config=config)
    if isinstance(openapi, GeneratorError):
        return [openapi]
    project = Project(openapi=openapi, config=config, custom_template_path=templates)
    groups = group_names(list(openapi.endpoint_collections_by_tag), options["renamed_tags"], options["config_path"])
    project.env.globals["parameter_bounds"] = parameter_bounds(document)
    project.env.globals["operation_id"] = operation_ids(document)
    project.env.globals["bound_parameters"] = options["bound_parameters"]
    project.env.globals["group_name"] = lambda tag: groups[str(tag)]
    project.env.globals["group_class"] = lambda tag: f"{project.env.globals['class_name'](str(tag))}Api"
    project.env.globals["as_optional"] = lambda prop: attrs.evolve(prop, required=False)
    project.env.globals["discriminator"] = discriminators(document, project.env.globals["class_name"])
    project.env.globals["nullable_list"] = nullable_list
    project.env.globals["page_items_type"] = page_items_type
    errors = project.build()
    # One call path: the stock client and its errors module are not generated
    # (the package's operations go through an Invoker, see types.py).
    for stock in ("client.py", "errors.py"):
        (project.package_dir / stock).unlink(missing_ok=True)
    return errors


def _options(raw: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """The config keys the templates read, which the generator does not know."""
    bound = raw.pop("bound_parameters", None) or []
    renamed = raw.pop("renamed_tags", None) or {}
    if not (isinstance(bound, list) and all(isinstance(name, str) for name in bound)):
        sys.exit(f"codegen: {config_path}: bound_parameters must be a list of parameter names, got {bound!r}")
    if not (isinstance(renamed, dict) and all(isinstance(v, str) for v in renamed.values())):
        sys.exit(f"codegen: {config_path}: renamed_tags must map tags to names, got {renamed!r}")
    return {"bound_parameters": bound, "renamed_tags": {str(k): v for k, v in renamed.items()}, "config_path": config_path}


def main(spec: str, config_path: str, templates: str, output: str) -> int:
    path = Path(config_path)
    raw = YAML(typ="safe").load(path) or {}
    accepted = _accepted(raw, path)
    options = _options(raw, path)
    config = Config.from_sources(
        ConfigFile(**raw),
        MetaType.NONE,
        Path(spec),
        "utf-8",
        overwrite=False,
        output_path=Path(output),
    )
    try:
        errors = _generate(Path(spec), config, Path(templates), options)
    except Exception:  # a template that does not render, a generator bug
        print(f"codegen: {spec}: the generator failed:", file=sys.stderr)
        traceback.print_exc()
        return 1
    failed = False
    used: set[str] = set()
    for error in errors:
        text = _describe(error)
        match = next(
            (
                (pattern, reason)
                for pattern, reason in accepted
                if error.level is ErrorLevel.WARNING and pattern in f"{error.header} {error.detail or ''}"
            ),
            None,
        )
        if match is None:
            failed = True
            print(f"codegen: {spec}: {text}", file=sys.stderr)
        else:
            used.add(match[0])
            print(f"codegen: {spec}: accepted ({match[1]}): {text}", file=sys.stderr)
    for pattern, _ in accepted:
        if pattern not in used:
            failed = True
            print(
                f"codegen: {config_path}: accepted warning {pattern!r} matches no warning; remove it", file=sys.stderr
            )
    if failed:
        print(
            f"codegen: {spec}: failing on the generator's warnings above; fix the spec, or list a warning under "
            f"accepted_warnings in {config_path} with the reason it is harmless",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
