"""Every fenced block of README.md runs, and every Python block passes ``mypy --strict``.

What is done with a block follows from its fence's language tag, never from
its position in the file:

- ``python``: run, then type-checked. Each block runs on its own, with the
  README's line numbers (a traceback shows the README's text), top-level
  ``await`` and ``async with`` allowed as in ``python -m asyncio``. For the
  run, ``itsm_async.SpiceworksClient`` and ``itsm_async.KloudlessClient``
  are subclasses whose ``base_url`` and ``transport`` default to an
  in-process sandbox, which accepts any credential: the README's
  placeholders (``token="..."``, ``account_id="123"``) reach it, and a
  client given a ``base_url`` (a served sandbox) keeps it. Every ``for`` and
  ``async for`` statement must run its body at least once: an example that
  loops over nothing shows nothing. For the type check, all blocks are
  written to one module each (a block with top-level ``await`` inside an
  ``async def``, as a program would have it, on the fence's line) and
  checked by one ``mypy --strict`` run, without this repository's
  configuration, as a user's code would be.
- ``sh``: the block's command lines run in order, in one scratch directory
  that sees the checkout's top-level files, except a line running a program
  of ``NOT_RUN``, left out for the reason given there (a block of such lines
  only is skipped, with the reasons). A sandbox server command runs on a
  free port until it answers, then is stopped.
- ``text`` and ``console``: output and diagrams, not run. The error tree (the
  ``text`` block that starts with ``ItsmError``) is compared with the
  exception classes.

Any other tag, or none, fails ``test_every_block_has_a_known_language_tag``.

A failure names the README line the block or command starts on.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import selectors
import shlex
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import anyio
import httpx
import pytest

import itsm_async
from itsm_async import _exceptions
from itsm_async.sandbox import IN_PROCESS_URL, Sandbox

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"

PYTHON = {"python"}
SHELL = {"sh", "bash", "shell"}
NOT_CODE = {"text", "console"}
KNOWN_TAGS = PYTHON | SHELL | NOT_CODE

#: Programs whose commands are not run, and why.
NOT_RUN = {
    "pip": "installs packages: it changes this environment and needs the network",
    "nox": "runs whole nox sessions in new virtualenvs; CI runs each of them, this test included",
    "./codegen.sh": "rewrites generated/ in place; the codegen and codegen_check sessions run it",
    "git": "changes the repository",
}
#: Programs that serve until stopped: run on a free port until they answer.
SERVERS = {"itsm_async.sandbox", "itsm-async-sandbox"}
_SERVER_ADDRESS = re.compile(r"Spiceworks (http://\S+?),")


class Block(NamedTuple):
    """A fenced block of the README: ``line`` is its first line of content."""

    line: int
    tag: str
    text: str


def readme_blocks() -> list[Block]:
    """The fenced blocks of README.md, in order."""
    blocks: list[Block] = []
    fence: str | None = None
    tag, start, lines = "", 0, list[str]()
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        if fence is None:
            opening = re.match(r"(`{3,}|~{3,})\s*(\S*)", line)
            if opening:
                fence, tag, start, lines = opening.group(1), opening.group(2), number + 1, []
        elif line.strip() == fence:
            blocks.append(Block(start, tag, "\n".join(lines) + "\n"))
            fence = None
        else:
            lines.append(line)
    assert fence is None, f"README.md:{start - 1}: a fence is never closed"
    return blocks


BLOCKS = readme_blocks()
PYTHON_BLOCKS = [block for block in BLOCKS if block.tag in PYTHON]


def _block_id(block: Block) -> str:
    return f"README.md:{block.line}"


def test_every_block_has_a_known_language_tag() -> None:
    untagged = [
        f"README.md:{block.line - 1}: {block.tag or 'no tag'}" for block in BLOCKS if block.tag not in KNOWN_TAGS
    ]
    assert not untagged, f"tag each block with one of {sorted(KNOWN_TAGS)}: {untagged}"


# Python blocks: run.


def _padded(block: Block) -> str:
    """The block's text at its README line numbers."""
    return "\n" * (block.line - 1) + block.text


def _has_top_level_await(block: Block) -> bool:
    code = compile(_padded(block), str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    return bool(code.co_flags & inspect.CO_COROUTINE)


def _with_loops_recorded(block: Block) -> tuple[ast.Module, set[int]]:
    """The block's syntax tree, each loop's body first adding the loop's line to ``__readme_loops__``."""
    tree = ast.parse(_padded(block), filename=str(README))
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For | ast.AsyncFor)]
    for loop in loops:
        record = ast.parse(f"__readme_loops__.add({loop.lineno})").body[0]
        loop.body.insert(0, ast.copy_location(record, loop.body[0]))
    return ast.fix_missing_locations(tree), {loop.lineno for loop in loops}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One in-process sandbox for all blocks: they do not depend on each other's writes."""
    with Sandbox() as sandbox:
        yield sandbox


def _sandbox_clients(sandbox: Sandbox) -> tuple[type[itsm_async.SpiceworksClient], type[itsm_async.KloudlessClient]]:
    """Client classes that reach ``sandbox`` unless given a ``base_url``."""

    class SpiceworksClient(itsm_async.SpiceworksClient):
        def __init__(self, **options: Any) -> None:
            if "base_url" not in options:
                options.update(base_url=IN_PROCESS_URL, transport=sandbox.transport())
            super().__init__(**options)

    class KloudlessClient(itsm_async.KloudlessClient):
        def __init__(self, **options: Any) -> None:
            if "base_url" not in options:
                options.update(base_url=f"{IN_PROCESS_URL}/v1", transport=sandbox.transport())
            super().__init__(**options)

    return SpiceworksClient, KloudlessClient


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_block_id)
def test_python_block_runs(
    block: Block, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spiceworks, kloudless = _sandbox_clients(sandbox)
    monkeypatch.setattr(itsm_async, "SpiceworksClient", spiceworks)
    monkeypatch.setattr(itsm_async, "KloudlessClient", kloudless)
    monkeypatch.chdir(tmp_path)
    tree, loops = _with_loops_recorded(block)
    ran: set[int] = set()
    namespace: dict[str, Any] = {"__name__": "__main__", "__readme_loops__": ran}
    code = compile(tree, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)

    try:
        # The README's own code, compiled above from its text.
        result = eval(code, namespace)  # noqa: S307
        if inspect.iscoroutine(result):

            async def await_block() -> None:
                await result

            anyio.run(await_block)
    except Exception as exc:  # any failure of the block is reported with its README lines
        shown = "".join(traceback.format_exception(exc))
        pytest.fail(f"README.md:{block.line}: this python block raised {exc!r}\n{shown}", pytrace=False)

    idle = sorted(loops - ran)
    assert not idle, f"README.md:{block.line}: the loops at README.md lines {idle} ran their bodies zero times"
    assert "UNSET" not in capsys.readouterr().out, f"README.md:{block.line}: this block printed an UNSET field"


# Python blocks: type-checked.


def _type_checked_source(block: Block) -> str:
    if not _has_top_level_await(block):
        return _padded(block)
    # The fence's line holds the def, so that mypy's line numbers are the README's.
    return "\n" * (block.line - 2) + "async def _readme_block() -> None:\n" + textwrap.indent(block.text, "    ")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[str]]:
    """``mypy --strict`` over every Python block at once: block line -> its errors (README.md:line: ...)."""
    folder = tmp_path_factory.mktemp("readme_mypy")
    modules: dict[str, Block] = {}
    for block in PYTHON_BLOCKS:
        name = f"readme_line_{block.line}.py"
        (folder / name).write_text(_type_checked_source(block), encoding="utf-8")
        modules[name] = block
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file=", "--cache-dir", str(folder / ".mypy_cache")]
    run = subprocess.run(  # noqa: S603 - this interpreter's mypy
        [*command, "--no-color-output", "--no-error-summary", "--show-error-codes", *modules],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if run.returncode not in (0, 1) or run.stderr.strip():
        pytest.fail(f"mypy did not run (exit code {run.returncode}):\n{run.stdout}{run.stderr}", pytrace=False)
    errors: dict[int, list[str]] = {block.line: [] for block in PYTHON_BLOCKS}
    for line in run.stdout.splitlines():
        name, _, rest = line.partition(":")
        if name in modules:
            errors[modules[name].line].append(f"README.md:{rest}")
        elif line.strip():
            pytest.fail(f"unexpected mypy output: {line}", pytrace=False)
    return errors


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_block_id)
def test_python_block_type_checks(block: Block, mypy_errors: dict[int, list[str]]) -> None:
    found = mypy_errors[block.line]
    assert not found, f"README.md:{block.line}: mypy --strict finds in this python block:\n" + "\n".join(found)


# Shell blocks.


class Command(NamedTuple):
    line: int
    text: str


def _commands(block: Block) -> list[Command]:
    """The block's command lines (comment lines left out), in order."""
    lines = enumerate(block.text.splitlines(), start=block.line)
    return [
        Command(number, text.strip()) for number, text in lines if text.strip() and not text.lstrip().startswith("#")
    ]


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _programs(words: list[str]) -> list[str]:
    """The program of each simple command in a line: ``python -m X`` counts as ``X``."""
    programs, expect_program = [], True
    for index, word in enumerate(words):
        if word in {"&&", "||", ";", "|"}:
            expect_program = True
        elif expect_program:
            is_python_module = word == "python" and words[index + 1 : index + 2] == ["-m"]
            programs.append(words[index + 2] if is_python_module else word)
            expect_program = False
    return programs


def _not_run(command: Command) -> list[str]:
    """The programs of the command that ``NOT_RUN`` names: it is run only if there are none."""
    return [program for program in _programs(_words(command.text)) if program in NOT_RUN]


def _environment() -> dict[str, str]:
    # This interpreter's scripts (python, itsm-async-sandbox) come first, as in an activated virtualenv.
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """An empty directory that sees the checkout's top-level files, as a command run from a checkout would."""
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def _run_server(words: list[str], cwd: Path) -> None:
    if "--port" in words:
        words[words.index("--port") + 1] = "0"  # the README's port may be taken; 0 is any free one
    else:
        words += ["--port", "0"]
    process = subprocess.Popen(  # noqa: S603 - the README's own command
        words, cwd=cwd, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=120)
        first = process.stdout.readline() if ready else ""
        address = _SERVER_ADDRESS.search(first)
        assert address, f"it did not announce its address (exit code {process.poll()}): {first!r}"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"{address.group(1)}/_sandbox/health", timeout=5).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None, f"it exited with {process.returncode}"
                assert time.monotonic() < deadline, "it did not answer within 60 seconds"
                time.sleep(0.05)  # a child process starting up, not a test's simulated wait
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _run(command: Command, cwd: Path) -> None:
    words = _words(command.text)
    if set(_programs(words)) & SERVERS and "--help" not in words:
        try:
            _run_server(words, cwd)
        except AssertionError as exc:
            pytest.fail(f"README.md:{command.line}: {command.text}\n{exc}", pytrace=False)
        return
    run = subprocess.run(  # noqa: S603 - the README's own command
        ["bash", "-c", command.text],  # noqa: S607 - bash from PATH, as a reader's shell
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if run.returncode:
        shown = f"exit code {run.returncode}\n{run.stdout}{run.stderr}"
        pytest.fail(f"README.md:{command.line}: {command.text}\n{shown}", pytrace=False)


@pytest.mark.parametrize("block", [block for block in BLOCKS if block.tag in SHELL], ids=_block_id)
def test_shell_block_runs(block: Block, scratch: Path) -> None:
    """The block's commands run in order, in one directory; those ``NOT_RUN`` names are left out."""
    commands = _commands(block)
    if all(_not_run(command) for command in commands):
        lines: dict[str, list[str]] = {}
        for command in commands:
            for program in _not_run(command):
                lines.setdefault(program, []).append(str(command.line))
        pytest.skip("; ".join(f"{p} ({NOT_RUN[p]}) at README.md lines {', '.join(n)}" for p, n in lines.items()))
    for command in commands:
        if not _not_run(command):
            _run(command, scratch)


# The error tree.

_TREE_LINE = re.compile(r"^(?P<indent>[│ ]*(?:[├└]── )?)(?P<name>\w+)(?P<rest>.*)$")


class TreeLine(NamedTuple):
    depth: int
    name: str
    text: str


def _tree(text: str) -> list[TreeLine]:
    lines = []
    for line in text.strip("\n").splitlines():
        match = _TREE_LINE.match(line)
        assert match, f"not a line of the error tree: {line!r}"
        lines.append(TreeLine(len(match.group("indent")) // 4, match.group("name"), line.rstrip()))
    return lines


def _edges(lines: list[TreeLine]) -> set[tuple[str, str]]:
    """(parent, child) pairs of a drawn tree."""
    edges: set[tuple[str, str]] = set()
    parents: list[str] = []
    for line in lines:
        del parents[line.depth :]
        if parents:
            edges.add((parents[-1], line.name))
        parents.append(line.name)
    return edges


def _readme_tree() -> list[TreeLine]:
    trees = [block for block in BLOCKS if block.tag in NOT_CODE and block.text.startswith("ItsmError\n")]
    assert len(trees) == 1, "README.md should draw the error tree once, in a text block starting with ItsmError"
    return _tree(trees[0].text)


def test_readme_error_tree_is_the_class_hierarchy() -> None:
    public = {
        obj
        for obj in vars(itsm_async).values()
        if isinstance(obj, type) and issubclass(obj, itsm_async.ItsmError) and not obj.__name__.startswith("_")
    }
    # A class's parent in the tree is its nearest public ancestor (ApiError's base is a private one).
    real = {
        (next(base for base in cls.__mro__[1:] if base in public).__name__, cls.__name__)
        for cls in public
        if cls is not itsm_async.ItsmError
    }
    drawn = _edges(_readme_tree())
    assert drawn == real, f"missing from README.md: {sorted(real - drawn)}; not real: {sorted(drawn - real)}"


def test_readme_error_tree_mirrors_the_exceptions_module() -> None:
    docstring = _exceptions.__doc__ or ""
    drawn = textwrap.dedent(docstring.split("::\n", 1)[1].split("\n\n", 1)[0])
    module_tree = [line.text for line in _tree(drawn)]
    # Classes defined elsewhere (PagingError, in _paging) are drawn in the README only.
    readme_tree = [
        line.text for line in _readme_tree() if getattr(itsm_async, line.name).__module__ == _exceptions.__name__
    ]
    assert readme_tree == module_tree
