"""Checks of one feature of an overlay of this folder, in a copy of the repo regenerated with it.

    python probe.py FEATURE

``tests/test_codegen_features.py`` (``features.yaml``, ``collisions.yaml``)
and ``tests/test_regenerate_added_operation.py`` (``added_operation.*.yaml``)
run this with ``PYTHONPATH`` naming the
copy's ``generated/`` and ``wrapper/``, so that the client, the generated
packages and the sandbox (which reads the copy's extended spec) are the
copy's. It exits 0 when every check of FEATURE holds and fails with a
traceback naming the first that does not.

The models and operation groups the overlays add exist only in the copy, so
they are looked up at run time (typed ``Any``): this file type-checks against
the repo's own generated packages as well.
"""

from __future__ import annotations

import asyncio
import base64
import email.policy
import importlib
import pkgutil
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from email.parser import BytesParser
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs

import httpx

from itsm_async import KloudlessClient, NotFoundError, SpiceworksClient
from itsm_async._generated import operation_groups
from itsm_async.sandbox import Sandbox, serve


def _module(name: str) -> Any:
    return importlib.import_module(name)


def _models() -> Any:
    return _module("spiceworks_client.models")


class Recording(httpx.AsyncBaseTransport):
    """Passes requests to ``inner`` and keeps each, body read, in ``sent``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def _sandboxed() -> AsyncIterator[tuple[SpiceworksClient, list[httpx.Request]]]:
    """A client of an in-process sandbox of the copy's spec, which refuses any answer the spec forbids."""
    with Sandbox(check_responses=True) as sandbox:
        recording = Recording(sandbox.transport())
        async with sandbox.spiceworks_client(transport=recording) as client:
            yield client, recording.sent


def _group(client: SpiceworksClient | KloudlessClient, name: str) -> Any:
    return getattr(client, name)


def _operation(client: SpiceworksClient, method: str) -> Any:
    """The bound operation ``method``, in whichever group codegen put it."""
    api = _module("spiceworks_client.api").Api
    for name, group in operation_groups(api).items():
        if method in vars(group):
            return getattr(getattr(client, name), method)
    raise AssertionError(f"no operation group of SpiceworksClient has {method}: {list(operation_groups(api))}")


async def _all(client: SpiceworksClient | KloudlessClient, operation: Any, **params: Any) -> list[Any]:
    return [item async for item in client.paginate(operation, **params)]


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value.to_dict() if hasattr(value, "to_dict") else value)


async def check_imports() -> None:
    for name in ("spiceworks_client", "kloudless_itsm_client"):
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)
    for name in ("itsm_async", "itsm_async.sandbox", "itsm_async.testing"):
        importlib.import_module(name)


async def check_content_types() -> None:
    models = _models()
    async with _sandboxed() as (client, sent):
        notes = _group(client, "notes")
        as_json = await notes.create_note(body=models.NoteCreate(text="as json", pinned=True))
        as_form = await notes.create_note(
            body=models.NoteForm(text="as form", pinned=False), content_type="application/x-www-form-urlencoded"
        )
        json_sent, form_sent = sent[-2:]
        assert json_sent.headers["content-type"] == "application/json", json_sent.headers
        assert form_sent.headers["content-type"].startswith("application/x-www-form-urlencoded"), form_sent.headers
        assert parse_qs(form_sent.content.decode()) == {"text": ["as form"], "pinned": ["false"]}, form_sent.content
        assert (as_json.note.text, as_json.note.pinned) == ("as json", True)
        fetched = await notes.get_note(as_form.note.id)
        assert (fetched.note.text, fetched.note.pinned) == ("as form", False)
        listed = await _all(client, notes.list_notes, per_page=1)
        assert [note.text for note in listed] == ["as json", "as form"]


def _boundary(request: httpx.Request) -> bytes:
    media_type, _, parameters = request.headers["content-type"].partition(";")
    assert media_type.strip() == "multipart/form-data", request.headers
    name, _, value = parameters.strip().partition("=")
    assert name == "boundary", request.headers
    return value.strip('"').encode()


def _forged_part(boundary: bytes) -> bytes:
    """Bytes that, cut at ``boundary``, end the file part and add a ``description`` field."""
    dash = b"--" + boundary
    forged = b'\r\nContent-Disposition: form-data; name="description"\r\n\r\ninjected\r\n'
    return b"head\r\n" + dash + forged + dash + b"--\r\ntail\x00\xff"


def _parts(request: httpx.Request) -> dict[str, bytes]:
    """Each field of a multipart request, parsed as a server does (RFC 7578), by name."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    assert message.is_multipart(), request.headers
    parsed: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str), part
        assert name not in parsed, f"field {name!r} sent twice"
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parsed[name] = payload
    return parsed


async def _upload(client: SpiceworksClient, content: bytes) -> Any:
    models, file_type = _models(), _module("spiceworks_client.types").File
    upload = file_type(payload=BytesIO(content), file_name="a.bin", mime_type="application/octet-stream")
    return await _group(client, "attachments").create_attachment(
        body=models.AttachmentUpload(file=upload, description="real")
    )


async def check_multipart_file() -> None:
    """The file parts as sent, read back by a MIME parser: no field injected, the bytes intact."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"attachment": {"id": len(seen), "description": "real"}})

    async with SpiceworksClient(token="t", transport=httpx.MockTransport(answer)) as client:
        # The stock template's fixed boundary, then the boundary the first upload really used.
        contents = [_forged_part(b"+++")]
        await _upload(client, contents[0])
        contents.append(_forged_part(_boundary(seen[0])))
        await _upload(client, contents[1])
    for request, content in zip(seen, contents, strict=True):
        assert _parts(request) == {"file": content, "description": b"real"}, request.content
    assert _boundary(seen[0]) != _boundary(seen[1]), "two uploads were sent with the same boundary"


async def check_multipart_sandbox() -> None:
    """The same uploads, stored by the sandbox and read back (base64) from its answers."""
    async with _sandboxed() as (client, sent):
        uploads = []
        for content in (_forged_part(b"+++"), None):
            content = _forged_part(_boundary(sent[-1])) if content is None else content
            uploads.append((content, await _upload(client, content)))
        for content, made in uploads:
            assert made.attachment.description == "real", made.attachment
            assert base64.b64decode(made.attachment.file) == content, made.attachment.file
            fetched = await _group(client, "attachments").get_attachment(made.attachment.id)
            assert base64.b64decode(fetched.attachment.file) == content


async def check_binary_response() -> None:
    # The sandbox serves JSON only (a binary answer is a 501 there), so the API is faked here.
    payload = bytes(range(256)) + b"\r\n--+++\r\n"
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=payload, headers={"content-type": "application/octet-stream"})

    async with SpiceworksClient(token="t", transport=httpx.MockTransport(answer)) as client:
        got = await _group(client, "attachments").download_attachment(3)
    assert seen[0].url.path == "/api/v1/attachments/3/content", seen[0].url
    data = got if isinstance(got, bytes) else got.payload.read()
    assert data == payload, data


_LAPTOP = {"kind": "laptop", "model": "X1", "ram_gb": 16}
_PRINTER = {"kind": "printer", "model": "LaserJet", "color": True}


async def check_discriminator() -> None:
    models = _models()
    for body in (_LAPTOP, _PRINTER):
        for variant in (models.Asset.from_dict({"id": 1, "name": "x", "details": body}).details,):
            wanted = models.Laptop if body["kind"] == "laptop" else models.Printer
            assert type(variant) is wanted, f"{body} parsed as {type(variant).__name__}: {variant!r}"
            assert variant.to_dict() == body
    async with _sandboxed() as (client, sent):
        assets = _group(client, "assets")
        made = [
            await assets.create_asset(body={"name": body["model"], "details": body}) for body in (_LAPTOP, _PRINTER)
        ]
        assert [request.content for request in sent[-2:]] == [
            httpx.Request("POST", "/", json={"name": body["model"], "details": body}).content
            for body in (_LAPTOP, _PRINTER)
        ]
        fetched = await assets.get_asset(made[1].asset.id)
        listed = await _all(client, assets.list_assets, per_page=1)
        for asset in (made[0].asset, listed[0]):
            assert type(asset.details) is models.Laptop, asset.details
        for asset in (made[1].asset, fetched.asset, listed[1]):
            assert type(asset.details) is models.Printer, f"a printer parsed as {type(asset.details).__name__}"
            assert asset.details.color is True


async def check_any_of() -> None:
    models = _models()
    warranties = [({"months": 24}, models.WarrantyMonths), ({"until": "2027-01-31"}, models.WarrantyUntil)]
    for body, wanted in warranties:
        parsed = models.AssetWrite.from_dict({"name": "x", "details": _LAPTOP, "warranty": body}).warranty
        assert type(parsed) is wanted, f"{body} parsed as {type(parsed).__name__}: {parsed!r}"
        assert parsed.to_dict() == body
    async with _sandboxed() as (client, _):
        assets = _group(client, "assets")
        for body, wanted in warranties:
            made = await assets.create_asset(body={"name": "w", "details": _PRINTER, "warranty": body})
            fetched = await assets.get_asset(made.asset.id)
            assert type(fetched.asset.warranty) is wanted, fetched.asset.warranty
            assert fetched.asset.warranty.to_dict() == body


async def check_all_of() -> None:
    models = _models()
    asset = models.Asset.from_dict({"id": 4, "name": "n", "details": _LAPTOP, "created_at": "2026-01-02T03:04:05Z"})
    assert (asset.id, asset.name, asset.created_at.year) == (4, "n", 2026)
    assert asset.to_dict()["details"] == _LAPTOP
    async with _sandboxed() as (client, _):
        made = await _group(client, "assets").create_asset(body={"name": "made", "details": _LAPTOP})
        assert isinstance(made.asset.id, int)
        assert (made.asset.name, made.asset.details.model) == ("made", "X1")


async def check_nullable_items() -> None:
    models = _models()
    meta = {"current_page": 1, "total_pages": 1, "total_count": 0, "per_page": 2}
    page_type = models.ListSensorsResponse200
    assert list(page_type.from_dict({"sensors": None, "meta": meta}).page_items()) == []
    with_null = page_type.from_dict({"sensors": [None, {"id": 1, "name": "a"}], "meta": meta}).page_items()
    assert with_null[1].name == "a", with_null
    async with _sandboxed() as (client, _):
        sensors = _group(client, "sensors")
        for name in ("s1", "s2", "s3"):
            await sensors.create_sensor(body={"name": name, "reading": 1.5})
        first = await sensors.list_sensors(per_page=2)
        assert [sensor.name for sensor in first.page_items()] == ["s1", "s2"]
        listed = await _all(client, sensors.list_sensors, per_page=2)
        assert [sensor.name for sensor in listed] == ["s1", "s2", "s3"]


async def check_additional_properties() -> None:
    labels = {"room": "B12", "floor": "3"}
    extra = {"nested": {"a": [1, 2]}, "flag": True, "none": None}
    async with _sandboxed() as (client, _):
        sensors = _group(client, "sensors")
        await sensors.create_sensor(body={"name": "s", "labels": labels, "extra": extra})
        (sensor,) = (await sensors.list_sensors()).sensors
        assert sensor.labels["room"] == "B12"
        assert _as_dict(sensor.labels) == labels
        assert _as_dict(sensor.extra) == extra


async def check_account_id() -> None:
    async with _sandboxed() as (client, sent):
        subscriptions = _group(client, "subscriptions")
        made = await subscriptions.create_subscription(7, body={"product": "Office", "seats": 5})
        await subscriptions.create_subscription(8, body={"product": "CAD", "seats": 2})
        assert sent[-2].url.path == "/api/v1/accounts/7/subscriptions", sent[-2].url
        got = await subscriptions.get_subscription(7, made.subscription.id)
        assert got.subscription.product == "Office"
        assert sent[-1].url.path == f"/api/v1/accounts/7/subscriptions/{made.subscription.id}"
        try:
            await subscriptions.get_subscription(8, made.subscription.id)
        except NotFoundError:
            pass
        else:
            raise AssertionError("account 8 sees account 7's subscription")
        listed = await _all(client, subscriptions.list_subscriptions, account_id=8)
        assert [item.product for item in listed] == ["CAD"]


async def check_header_cookie_path_level() -> None:
    async with _sandboxed() as (client, sent):
        slots = _group(client, "slots")
        made = await slots.create_slot(rack_id=4, body={"label": "U1"})
        await slots.create_slot(5, body={"label": "U9"}, x_request_source="probe")
        assert sent[-1].headers["x-request-source"] == "probe", sent[-1].headers
        page = await slots.list_slots(rack_id=4, x_request_source="probe", session_hint="abc")
        request = sent[-1]
        assert request.url.path == "/api/v1/racks/4/slots", request.url
        assert request.headers["x-request-source"] == "probe", request.headers
        assert "session_hint=abc" in request.headers.get("cookie", ""), request.headers
        assert [item.label for item in page.slots] == ["U1"]
        got = await slots.get_slot(4, made.slot.id)
        assert sent[-1].url.path == f"/api/v1/racks/4/slots/{made.slot.id}", sent[-1].url
        assert got.slot.label == "U1"
        listed = await _all(client, slots.list_slots, rack_id=5, x_request_source="probe")
        assert [item.label for item in listed] == ["U9"]


async def check_untagged() -> None:
    async with _sandboxed() as (client, _):
        for text in ("one", "two", "three"):
            await _operation(client, "create_announcement")(body={"text": text})
        listed = await _all(client, _operation(client, "list_announcements"), per_page=2)
        assert [item.text for item in listed] == ["one", "two", "three"]


async def check_collisions() -> None:
    api = _module("spiceworks_client.api").Api
    groups = operation_groups(api)
    renamed = {
        method: name
        for name, group in groups.items()
        for method in ("list_retries", "list_paginations")
        if method in vars(group)
    }
    assert set(renamed) == {"list_retries", "list_paginations"}, groups
    async with _sandboxed() as (client, _):
        assert isinstance(client.retries, int), client.retries
        for method, name in renamed.items():
            assert name not in dir(SpiceworksClient), f"{method} is in group {name}, an attribute of the client"
            operation = getattr(getattr(client, name), method)
            assert await _all(client, operation) == []
        for method in ("aclose", "with_options"):
            candidates = [
                getattr(getattr(client, name), key)
                for name, group in groups.items()
                for key in vars(group)
                if key.startswith(method) and not key.endswith("_raw")
            ]
            assert len(candidates) == 1, (method, candidates)
            with suppress(NotFoundError):
                await candidates[0](1)
        assert isinstance(client.with_options(timeout=3), SpiceworksClient)
    print(" ".join(sorted(renamed.values())))


async def _locations(client: SpiceworksClient | KloudlessClient, size: str) -> None:
    locations = _group(client, "locations")
    made = [await locations.create_location(body={"name": name}) for name in ("Leeds", "York", "Hull")]
    made_ids = [getattr(location, "location", location).id for location in made]
    got = await locations.get_location(made_ids[1])
    assert getattr(got, "location", got).name == "York", got
    listed = await _all(client, locations.list_locations, **{size: 2})
    assert [(item.id, item.name) for item in listed] == list(zip(made_ids, ["Leeds", "York", "Hull"], strict=True))


async def check_added_operation() -> None:
    with Sandbox(check_responses=True) as sandbox:
        async with sandbox.spiceworks_client() as spiceworks:
            await _locations(spiceworks, "per_page")
        async with sandbox.kloudless_client() as kloudless:
            await _locations(kloudless, "page_size")
    with serve() as url:
        async with SpiceworksClient(token="t", base_url=url) as served:
            await _locations(served, "per_page")


CHECKS: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
    name.removeprefix("check_"): check for name, check in list(globals().items()) if name.startswith("check_")
}


def main(feature: str) -> None:
    """Run the checks of ``feature`` (a key of :data:`CHECKS`)."""
    asyncio.run(CHECKS[feature]())


if __name__ == "__main__":
    main(sys.argv[1])
