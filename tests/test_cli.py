"""The itsm command through typer's CliRunner: commands from the generated code, formats, bodies, credentials."""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import typer.main
import yaml  # type: ignore[import-untyped,unused-ignore]
from typer.testing import CliRunner, Result

from itsm_async import KloudlessClient, SpiceworksClient
from itsm_async._generated import operation_groups
from itsm_async.cli import make_app
from itsm_async.cli._model import api_class, command_names
from itsm_async.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
CLIENTS: dict[str, type[SpiceworksClient] | type[KloudlessClient]] = {
    "spiceworks": SpiceworksClient,
    "kloudless": KloudlessClient,
}
SPECS = {
    "spiceworks": ROOT / "specs" / "spiceworks-cloud-apps.yaml",
    "kloudless": ROOT / "specs" / "kloudless-itsm.yaml",
}
#: Variables the command reads, cleared so that the developer's own never leak into a test.
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(
    (
        "SPICEWORKS_TOKEN",
        "SPICEWORKS_BASE_URL",
        "KLOUDLESS_ACCOUNT_ID",
        "KLOUDLESS_API_KEY",
        "KLOUDLESS_TOKEN",
        "KLOUDLESS_BASE_URL",
        "ITSM_SANDBOX",
        "FORCE_COLOR",
        "TTY_INTERACTIVE",
        "TTY_COMPATIBLE",
    )
)
APP = make_app()
#: The command tree typer builds from the app (typer's own click groups).
TREE: Any = typer.main.get_command(APP)
CANARY = "canary-secret-7f3a"
#: An empty page of each API, as the specs shape them.
NO_TICKETS = {"tickets": [], "meta": {"current_page": 1, "total_pages": 1, "total_count": 0, "per_page": 25}}
NO_OBJECTS = {"objects": [], "count": 0, "page": "1", "next_page": None, "type": "object_list", "api": "itsm"}


def ticket(ticket_id: int) -> dict[str, Any]:
    """A ticket as the Spiceworks spec shapes it."""
    created = "2024-01-01T00:00:00Z"
    return {
        "id": ticket_id,
        "summary": "s",
        "status": "open",
        "priority": "low",
        "created_at": created,
        "updated_at": created,
    }


def itsm(
    *args: str,
    transport: httpx.AsyncBaseTransport | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> Result:
    """Run ``itsm ARGS`` in process: a MockTransport given replaces the network."""
    app = APP if transport is None else make_app(transport=transport)
    return CliRunner().invoke(app, list(args), env={**CLEAN_ENV, **(env or {})}, input=stdin, prog_name="itsm")


def flat(text: str) -> str:
    """Help text without rich's boxes and line breaks, for substring checks."""
    for border in "│╭╮╰╯─":
        text = text.replace(border, " ")
    return " ".join(text.split())


def through_client(api: str, call: Callable[[Any], Any]) -> Any:
    """What ``call(client)`` returns with a client of a fresh sandbox (seed 7, as --sandbox's)."""

    async def main() -> Any:
        with Sandbox() as sandbox:
            async with getattr(sandbox, f"{api}_client")() as client:
                return await call(client)

    return anyio.run(main)


def every_item(api: str, group: str, operation: str, **params: Any) -> list[dict[str, Any]]:
    async def walk(client: Any) -> list[dict[str, Any]]:
        method = getattr(getattr(client, group), operation)
        return [item.to_dict() async for item in client.paginate(method, **params)]

    result: list[dict[str, Any]] = through_client(api, walk)
    return result


def recording(respond: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A MockTransport answering with ``respond`` and the list of requests it got."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return respond(request)

    return httpx.MockTransport(handler), seen


# -- commands come from the generated operations ------------------------------------------------


def _expected_commands(group: type) -> dict[str, str]:
    """The brief's rule, restated: verbs for list/get/create/update(patch, replace)/delete, else the name."""
    verbs = {"list": "list", "get": "get", "create": "create", "update": "update", "patch": "update"}
    verbs |= {"replace": "update", "delete": "delete"}
    methods = [
        name
        for name, value in vars(group).items()
        if inspect.iscoroutinefunction(value) and not name.startswith("_") and not name.endswith("_raw")
    ]
    named = {name: verbs.get(name.split("_")[0], name.replace("_", "-")) for name in methods}
    return {
        name: command if list(named.values()).count(command) == 1 else name.replace("_", "-")
        for name, command in named.items()
    }


def test_operation_names_become_verbs_unless_two_share_one() -> None:
    names = ["list_tickets", "list_ticket_history", "get_ticket", "replace_ticket", "merge_tickets", "delete_ticket"]
    assert command_names(names) == {
        "list_tickets": "list-tickets",
        "list_ticket_history": "list-ticket-history",
        "get_ticket": "get",
        "replace_ticket": "update",
        "merge_tickets": "merge-tickets",
        "delete_ticket": "delete",
    }
    assert command_names(["patch_device", "update_device_owner"]) == {
        "patch_device": "patch-device",
        "update_device_owner": "update-device-owner",
    }


@pytest.mark.parametrize("api", CLIENTS)
def test_every_generated_operation_is_a_command(api: str) -> None:
    groups = operation_groups(api_class(CLIENTS[api]))
    assert groups
    top = itsm(api, "--help")
    assert top.exit_code == 0, top.output
    for group_name, group in groups.items():
        assert group_name in top.stdout
        listed = itsm(api, group_name, "--help")
        assert listed.exit_code == 0, listed.output
        commands = TREE.commands[api].commands[group_name].commands
        for method, command in _expected_commands(group).items():
            assert f" {command} " in flat(listed.stdout), (group_name, method, command)
            assert f"(operation {group_name}.{method})" in commands[command].help


def _spec_parameters(api: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (operationId, path template, query parameter) of a spec, $refs resolved."""
    document = yaml.safe_load(SPECS[api].read_text())

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = resolve(parameter)
                if parameter["in"] == "query":
                    found.append((operation["operationId"], template, parameter))
    return found


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.mark.parametrize("api", CLIENTS)
def test_every_query_parameter_is_an_option_with_its_description_and_choices(api: str) -> None:
    commands: dict[str, tuple[str, str]] = {}
    for group_name, group in operation_groups(api_class(CLIENTS[api])).items():
        for method, command in _expected_commands(group).items():
            commands[method] = (group_name, command)
    checked = 0
    helps: dict[tuple[str, str], str] = {}
    for operation_id, _, parameter in _spec_parameters(api):
        where = commands[_snake(operation_id)]
        if where not in helps:
            helps[where] = flat(itsm(api, *where, "--help", env={"COLUMNS": "300"}).stdout)
        shown = helps[where]
        assert f"--{parameter['name'].replace('_', '-')} " in shown, (operation_id, parameter["name"])
        if "description" in parameter:  # the spec may leave a parameter undescribed
            assert " ".join(parameter["description"].split()) in shown, (operation_id, parameter["name"])
        if "enum" in parameter["schema"]:
            assert "<" + "|".join(map(str, parameter["schema"]["enum"])) + ">" in shown
        checked += 1
    assert checked >= 5


def test_an_enum_option_refuses_a_value_the_spec_does_not_list() -> None:
    result = itsm("spiceworks", "tickets", "list", "--sandbox", "--status", "pending")
    assert result.exit_code == 2
    assert "'pending' is not one of" in result.stderr


def test_path_parameters_are_arguments_and_the_account_is_bound() -> None:
    shown = flat(itsm("kloudless", "incidents", "get", "--help").stdout)
    assert "INCIDENT_ID" in shown
    assert "ACCOUNT_ID" not in shown.replace("KLOUDLESS_ACCOUNT_ID", "")
    assert "--account-id" in shown  # the bound account: a credential option, not a parameter
    (incident,) = every_item("kloudless", "incidents", "list_incidents", max_items=1, page_size=1)
    transport, seen = recording(lambda r: httpx.Response(200, json=incident))
    env = {"KLOUDLESS_ACCOUNT_ID": "acct-42", "KLOUDLESS_API_KEY": CANARY}
    result = itsm("kloudless", "incidents", "get", incident["id"], "-f", "json", transport=transport, env=env)
    assert result.exit_code == 0, result.output
    assert seen[0].url.path == f"/v1/accounts/acct-42/itsm/incidents/{incident['id']}"
    assert json.loads(result.stdout) == incident


# -- formats round-trip -------------------------------------------------------------------------

WALKS = [
    ("spiceworks", "tickets", "list", "list_tickets", {"per_page": 40}, ["--per-page", "40"]),
    ("kloudless", "incidents", "list", "list_incidents", {"page_size": 60}, ["--page-size", "60"]),
]


def _decoded(rows: Sequence[dict[str, str]], like: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """CSV rows read back: text stays text, other cells are JSON, an empty cell is no value."""
    return [
        {key: cell if isinstance(item.get(key), str) else json.loads(cell) for key, cell in row.items() if cell != ""}
        for row, item in zip(rows, like, strict=True)
    ]


def _present(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in item.items() if value not in (None, "")} for item in items]


@pytest.mark.parametrize(("api", "group", "command", "operation", "params", "flags"), WALKS)
def test_every_format_round_trips_the_items_the_client_gets(
    api: str, group: str, command: str, operation: str, params: dict[str, Any], flags: list[str], tmp_path: Path
) -> None:
    expected = every_item(api, group, operation, **params)
    assert len(expected) > 60
    base = [api, group, command, "--sandbox", "--all", *flags]

    jsonl = itsm(*base)  # not a terminal: JSON lines by default
    assert jsonl.exit_code == 0, jsonl.output
    assert jsonl.stderr == ""  # piped: no progress, nothing but errors
    assert [json.loads(line) for line in jsonl.stdout.splitlines()] == expected

    document = itsm(*base, "--format", "json")
    assert json.loads(document.stdout) == expected

    table = itsm(*base, "--format", "table", env={"COLUMNS": "100"})
    assert f"{len(expected)} items" in table.stdout
    assert str(expected[0]["id"]) in table.stdout

    # CSV to a file, chosen by its suffix.
    target = tmp_path / "items.csv"
    written = itsm(*base, "--output", str(target))
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert _decoded(rows, expected) == _present(expected)


def test_one_object_in_every_format() -> None:
    async def get(client: Any) -> dict[str, Any]:
        result: dict[str, Any] = (await client.tickets.get_ticket(3)).ticket.to_dict()
        return result

    expected = through_client("spiceworks", get)
    command = ("spiceworks", "tickets", "get", "3", "--sandbox")
    assert json.loads(itsm(*command, "-f", "json").stdout) == expected
    assert [json.loads(line) for line in itsm(*command).stdout.splitlines()] == [expected]
    rows = list(csv.DictReader(io.StringIO(itsm(*command, "-f", "csv").stdout)))
    assert _decoded(rows, [expected]) == _present([expected])
    assert expected["summary"] in itsm(*command, "-f", "table").stdout


def test_max_items_stops_the_walk_and_fetches_no_page_beyond() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        tickets = [ticket(page * 100 + i) for i in range(5)]
        meta = {"current_page": page, "total_pages": 10, "total_count": 50, "per_page": 5}
        return httpx.Response(200, json={"tickets": tickets, "meta": meta})

    transport, seen = recording(respond)
    args = ("spiceworks", "tickets", "list", "--max-items", "7", "--per-page", "5")
    result = itsm(*args, transport=transport, env={"SPICEWORKS_TOKEN": CANARY})
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [100, 101, 102, 103, 104, 200, 201]
    assert [r.url.params["page"] for r in seen] == ["1", "2"]


def test_concurrency_is_offered_exactly_when_paginate_takes_it() -> None:
    takes = "concurrency" in inspect.signature(SpiceworksClient.paginate).parameters
    result = itsm("spiceworks", "tickets", "list", "--sandbox", "--all", "--per-page", "30", "--concurrency", "4")
    if not takes:
        assert result.exit_code == 2
        return
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == every_item(
        "spiceworks", "tickets", "list_tickets", per_page=30
    )


# -- bodies, dry runs, credentials ----------------------------------------------------------------


def test_bodies_from_text_file_and_stdin_create_update_and_delete(tmp_path: Path) -> None:
    db = ["--sandbox", "--sandbox-db", str(tmp_path / "sandbox.db")]
    created = itsm("spiceworks", "tickets", "create", *db, "-f", "json", "--json", '{"summary": "Printer on fire"}')
    assert created.exit_code == 0, created.output
    ticket = json.loads(created.stdout)
    assert ticket["summary"] == "Printer on fire"

    body = tmp_path / "update.json"
    body.write_text('{"status": "closed"}', encoding="utf-8")
    updated = itsm("spiceworks", "tickets", "update", str(ticket["id"]), *db, "-f", "json", "--json", f"@{body}")
    assert updated.exit_code == 0, updated.output
    assert json.loads(updated.stdout)["status"] == "closed"

    commented = itsm(
        "spiceworks", "comments", "create", str(ticket["id"]), *db, "--json", "-", stdin='{"body": "On it"}'
    )
    assert commented.exit_code == 0, commented.output
    read = itsm("spiceworks", "tickets", "get", str(ticket["id"]), *db, "-f", "json")
    assert json.loads(read.stdout)["status"] == "closed"
    assert [c["body"] for c in json.loads(read.stdout)["comments"]] == ["On it"]

    incident = json.loads(
        itsm("kloudless", "incidents", "create", *db, "-f", "json", "--json", '{"description": "x"}').stdout
    )
    deleted = itsm("kloudless", "incidents", "delete", incident["id"], *db)
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout == ""
    gone = itsm("kloudless", "incidents", "get", incident["id"], *db)
    assert gone.exit_code == 3
    assert "NotFoundError" in gone.stderr


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"summary": 3}', "InvalidArgumentError: create_ticket: body does not fit TicketCreate"),
        ("[1, 2]", "InvalidArgumentError: create_ticket: body must be a TicketCreate or a mapping"),
        ('{"summary": ', "--json: not valid JSON"),
        ("@/nonexistent/body.json", "cannot read the file"),
    ],
)
def test_a_bad_body_is_refused_before_anything_is_sent(body: str, reason: str) -> None:
    transport, seen = recording(lambda r: httpx.Response(201, json={}))
    args = ("spiceworks", "tickets", "create", "--json", body)
    result = itsm(*args, transport=transport, env={"SPICEWORKS_TOKEN": CANARY})
    assert result.exit_code == 2
    assert seen == []
    assert reason in result.stderr
    assert result.stderr.startswith("itsm: tickets.create_ticket: ")
    assert result.stderr.count("\n") == 1


def test_dry_run_prints_the_request_with_credentials_redacted() -> None:
    transport, seen = recording(lambda r: httpx.Response(500))
    body = '{"summary": "Printer on fire", "priority": "high"}'
    args = ("spiceworks", "tickets", "create", "--json", body, "--dry-run")
    as_json = itsm(*args, "-f", "json", "--token", CANARY, transport=transport)
    assert as_json.exit_code == 0, as_json.output
    request = json.loads(as_json.stdout)
    assert request["method"] == "POST"
    assert request["url"] == "https://community.spiceworks.com/api/v1/tickets"
    assert request["body"] == {"summary": "Printer on fire", "priority": "high"}
    assert request["headers"]["authorization"] == "Bearer <redacted>"
    as_http = itsm(*args, "-f", "table", env={"SPICEWORKS_TOKEN": CANARY}, transport=transport)
    assert as_http.stdout.startswith("POST https://community.spiceworks.com/api/v1/tickets\n")
    assert "authorization: Bearer <redacted>" in as_http.stdout
    assert CANARY not in as_json.output + as_http.output
    assert seen == []
    # Validated first: a body that does not fit is refused, not printed.
    refused = itsm("spiceworks", "tickets", "create", "--json", '{"priority": "high"}', "--dry-run")
    assert refused.exit_code == 2
    assert "summary" in refused.stderr
    # No credentials needed to see the request; the bound account shows in the path.
    kl = itsm("kloudless", "incidents", "list", "--dry-run", "--page-size", "5", "-f", "jsonl")
    assert json.loads(kl.stdout)["url"] == "https://api.kloudless.com/v1/accounts/ACCOUNT_ID/itsm/incidents?page_size=5"


def test_credentials_come_from_the_environment_or_options_and_are_never_echoed() -> None:
    def unauthorized(request: httpx.Request) -> httpx.Response:
        # A server (or proxy) echoing the credential in its error.
        return httpx.Response(401, json={"message": f"bad credential {request.headers['authorization']}"})

    transport, seen = recording(unauthorized)
    env = {"SPICEWORKS_TOKEN": CANARY}
    failed = itsm("spiceworks", "tickets", "list", "--max-attempts", "1", transport=transport, env=env)
    assert failed.exit_code == 3
    assert seen[-1].headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in failed.output
    assert "401" in failed.stderr
    helped = itsm("spiceworks", "tickets", "list", "--help", env=env)
    assert CANARY not in helped.output
    assert "SPICEWORKS_TOKEN" in helped.stdout

    ok, sent = recording(lambda r: httpx.Response(200, json=NO_TICKETS))
    assert itsm("spiceworks", "tickets", "list", "--token", "from-option", transport=ok, env=env).exit_code == 0
    assert sent[-1].headers["authorization"] == "Bearer from-option"

    kl, kl_sent = recording(lambda r: httpx.Response(200, json=NO_OBJECTS))
    key_env = {"KLOUDLESS_ACCOUNT_ID": "9", "KLOUDLESS_API_KEY": CANARY, "KLOUDLESS_TOKEN": "tok"}
    assert itsm("kloudless", "problems", "list", transport=kl, env=key_env).exit_code == 0
    assert kl_sent[-1].headers["authorization"] == f"APIKey {CANARY}"
    bearer_env = {"KLOUDLESS_ACCOUNT_ID": "9", "KLOUDLESS_TOKEN": "tok"}
    assert itsm("kloudless", "problems", "list", transport=kl, env=bearer_env).exit_code == 0
    assert kl_sent[-1].headers["authorization"] == "Bearer tok"

    for api, group, needed in [("spiceworks", "tickets", "SPICEWORKS_TOKEN"), ("kloudless", "assets", "KLOUDLESS_")]:
        missing = itsm(api, group, "list", transport=kl)
        assert missing.exit_code == 2
        assert needed in missing.stderr
        assert "--sandbox" in missing.stderr


def test_base_url_from_the_option_or_the_environment() -> None:
    transport, seen = recording(lambda r: httpx.Response(200, json=NO_TICKETS))
    env = {"SPICEWORKS_TOKEN": "t", "SPICEWORKS_BASE_URL": "https://env.example"}
    assert itsm("spiceworks", "tickets", "list", transport=transport, env=env).exit_code == 0
    url = "https://option.example/root"
    assert itsm("spiceworks", "tickets", "list", "--base-url", url, transport=transport, env=env).exit_code == 0
    assert [str(r.url) for r in seen] == [
        "https://env.example/api/v1/tickets?page=1&per_page=25",
        "https://option.example/root/api/v1/tickets?page=1&per_page=25",
    ]


def test_shell_completion_as_typer_provides_it() -> None:
    root = itsm("--help")
    assert "--install-completion" in root.stdout
    assert "--show-completion" in root.stdout
    # What a shell's completion function asks for: typer answers from the same command tree.
    env = {"_ITSM_COMPLETE": "complete_bash", "COMP_WORDS": "itsm spiceworks tickets list --status ", "COMP_CWORD": "5"}
    completed = itsm(env=env)
    assert completed.stdout.split() == ["open", "closed", "in_progress"]
