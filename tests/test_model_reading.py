"""How a generated model's ``from_dict`` reads a document, field by field.

``from_dict`` reads enums, dates and date-times inline when they fit, and
tells unknown keys from the count of the fields it found; these tests hold it
to the readers in ``types`` (``read_enum``, ``read_date``, ``read_datetime``)
and to keeping every key, for every model of both specs.
"""

from __future__ import annotations

import collections
import datetime
import importlib
import inspect
import pkgutil
import types as pytypes
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

import spiceworks_client.types as sw_types
from spiceworks_client.models import Ticket, TicketPriority, TicketStatus
from tests import bodies

PACKAGES = ("spiceworks_client", "kloudless_itsm_client")


def _models() -> list[type[Any]]:
    found: list[type[Any]] = []
    for package in PACKAGES:
        root = importlib.import_module(f"{package}.models")
        for info in pkgutil.iter_modules(root.__path__):
            module = importlib.import_module(f"{root.__name__}.{info.name}")
            found += [
                value
                for value in vars(module).values()
                if inspect.isclass(value)
                and attrs.has(value)
                and value.__module__ == module.__name__
                and hasattr(value, "from_dict")
            ]
    return found


MODELS = _models()


def _json_names(model: type[Any]) -> list[str]:
    fields: dict[str, str] = vars(importlib.import_module(model.__module__))["_FIELDS"]
    return list(fields)


def _model_id(model: type[Any]) -> str:
    return f"{model.__module__.split('.')[0]}.{model.__name__}"


def test_the_models_were_found() -> None:
    assert Ticket in MODELS
    assert any(model.__module__.startswith("kloudless_itsm_client") for model in MODELS)


@pytest.mark.parametrize("model", MODELS, ids=_model_id)
def test_an_unknown_key_is_kept_whichever_field_is_left_out(model: type[Any]) -> None:
    # Every field sent (as null: presence is what counts here) but one, and one key the schema does not have:
    # the key count alone would match the schema's, yet the unknown key is kept and written back.
    names = _json_names(model)
    for left_out in [None, *names]:
        document: dict[str, Any] = {name: None for name in names if name != left_out}
        document["zz_not_in_the_spec"] = [1, {"a": 2}]
        read = model.from_dict(document)
        assert read.to_dict()["zz_not_in_the_spec"] == [1, {"a": 2}], left_out


@pytest.mark.parametrize("model", MODELS, ids=_model_id)
def test_a_mapping_reads_as_the_same_dict_and_is_left_unchanged(model: type[Any]) -> None:
    document: dict[str, Any] = {name: "x" for name in _json_names(model)}
    document["zz_not_in_the_spec"] = 1
    expected = model.from_dict(dict(document))
    proxy = model.from_dict(pytypes.MappingProxyType(document))
    assert proxy == expected
    assert sw_types.mismatches(proxy) == sw_types.mismatches(expected)
    # A defaultdict would make up a value for every field looked up in it.
    defaulting: collections.defaultdict[str, Any] = collections.defaultdict(lambda: "made up", {"zz": 1})
    read = model.from_dict(defaulting)
    assert dict(defaulting) == {"zz": 1}
    assert read.to_dict() == {"zz": 1}


def test_a_document_that_is_not_an_object_is_refused() -> None:
    refused: list[object] = [[], "ticket", 1, None]
    for value in refused:
        with pytest.raises(TypeError, match="Ticket: expected a JSON object"):
            Ticket.from_dict(value)  # type: ignore[arg-type]


class _Text(str):
    """A string that is not exactly ``str``: read as a mismatch, as the readers in ``types`` read it."""


FIELD_VALUES: list[tuple[str, object]] = [
    ("status", "closed"),
    ("status", "pending"),
    ("status", ""),
    ("status", 1),
    ("status", True),
    ("status", None),
    ("status", ["closed"]),
    ("status", _Text("closed")),
    ("priority", "urgent"),
    ("priority", {"level": "high"}),
    ("created_at", "2026-11-02T09:15:00Z"),
    ("created_at", "2026-11-02T09:15:00.123456+02:00"),
    ("created_at", "2026-11-02"),
    ("created_at", "yesterday"),
    ("created_at", ""),
    ("created_at", 1_764_000_000),
    ("created_at", None),
    ("created_at", _Text("2026-11-02T09:15:00Z")),
    ("updated_at", "2026-13-02T09:15:00Z"),
    ("due_date", "2026-12-01"),
    ("due_date", "2026-12-01T00:00:00Z"),
    ("due_date", "12/01/2026"),
    ("due_date", 20261201),
    ("due_date", _Text("2026-12-01")),
]


def _expected(name: str, value: object, problems: list[sw_types.Mismatch]) -> object:
    if name == "status":
        return sw_types.read_enum(value, TicketStatus, problems, name)
    if name == "priority":
        return sw_types.read_enum(value, TicketPriority, problems, name)
    if name == "due_date":
        return sw_types.read_date(value, problems, name)
    return sw_types.read_datetime(value, problems, name)


FIELD_IDS = [f"{name}={type(value).__name__}:{value!r}" for name, value in FIELD_VALUES]


@pytest.mark.parametrize(("name", "value"), FIELD_VALUES, ids=FIELD_IDS)
def test_an_enum_or_date_field_reads_as_its_reader_in_types_reads_it(name: str, value: object) -> None:
    ticket = Ticket.from_dict(bodies.ticket(**{name: value}))
    problems: list[sw_types.Mismatch] = []
    expected = _expected(name, value, problems)
    read = getattr(ticket, name)
    assert read == expected
    assert type(read) is type(expected)
    assert sw_types.mismatches(ticket, "") == problems
    if not problems:
        assert isinstance(read, TicketStatus | TicketPriority | datetime.date)


def test_every_field_left_out_of_a_ticket_reads_as_unset_or_missing() -> None:
    document = bodies.ticket()
    for name in _json_names(Ticket):
        partial = {key: value for key, value in document.items() if key != name}
        ticket = Ticket.from_dict(partial)
        missing = [problem.path for problem in sw_types.mismatches(ticket, "")]
        field = attrs.fields_dict(Ticket)[name]
        if field.default is attrs.NOTHING:
            assert missing == [name]
            with pytest.raises(sw_types.MissingFieldError):
                getattr(ticket, name)
        else:
            assert missing == []
            assert getattr(ticket, name) is sw_types.UNSET
        assert ticket.to_dict() == partial
        assert isinstance(ticket.additional_properties, Mapping)
        assert ticket.additional_properties == {}
