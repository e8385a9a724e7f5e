"""The documentation site: every code block of ``docs/`` runs, and the site builds with ``--strict``.

The blocks follow the rules of ``tests/test_readme.py``, so that a page's
examples are held to what the README's are; what is done with a block
follows from its fence's language tag and its ``title``:

- ``python``: run, then type-checked. Each block runs on its own with
  top-level ``await`` allowed (as in ``python -m asyncio``), with
  ``itsm_async.SpiceworksClient`` and ``itsm_async.KloudlessClient``
  replaced by subclasses that reach an in-process sandbox unless given a
  ``base_url``, so placeholder credentials (``token="..."``) work. Every
  ``for`` and ``async for`` must run its body at least once, and nothing
  printed may be ``UNSET``. All Python blocks are checked by one
  ``mypy --strict`` run without this repository's configuration, as a
  user's code would be.
- a block titled with a file name (``title="conftest.py"``): a file of the
  page. It is not run by itself; it is written into the directory where the
  page's shell blocks run, so that a command such as ``python -m pytest``
  uses it. A Python file is type-checked as well.
- ``sh``: the command lines run in order in a scratch directory that sees
  the checkout's top-level files and the page's files, except lines whose
  program ``NOT_RUN`` names, left out with the reason given there. A
  sandbox server command runs on a free port until it answers, then stops.
- a block titled ``Not run: <reason>``: shown but not run, and the title,
  which the site shows above the block, says why. A Python one is still
  type-checked.
- ``text`` and ``console``: output and diagrams. The error tree (the block
  starting with ``ItsmError``) is compared with the exception classes.

Any other tag fails ``test_every_block_has_a_known_language_tag``. A
failure names the page and line the block or command starts on.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import logging
import os
import re
import selectors
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import traceback
import typing
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import anyio
import httpx
import pytest

import itsm_async
from itsm_async.sandbox import IN_PROCESS_URL, Sandbox

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"

PYTHON = {"python"}
SHELL = {"sh", "bash", "shell"}
NOT_CODE = {"text", "console"}
FILE_ONLY = {"toml", "ini", "yaml", "json"}
KNOWN_TAGS = PYTHON | SHELL | NOT_CODE | FILE_ONLY
NOT_RUN_TITLE = "Not run: "

#: Programs whose commands are not run, and why.
NOT_RUN = {
    "pip": "installs packages: it changes this environment and needs the network",
    "nox": "runs whole nox sessions in new virtualenvs; CI runs each of them, this test included",
    "./codegen.sh": "rewrites generated/ in place; the codegen and codegen_check sessions run it",
    "git": "changes the repository",
    "mkdocs": "builds the site; test_site_builds_strictly does, into a temporary directory",
}
#: Programs that serve until stopped: run on a free port until they answer.
SERVERS = {"itsm_async.sandbox", "itsm-async-sandbox"}
_SERVER_ADDRESS = re.compile(r"Spiceworks (http://\S+?),")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<tag>[\w+-]*)\s*(?P<attributes>.*)$")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')


class Block(NamedTuple):
    """A fenced block of a page: ``line`` is its first line of content."""

    page: str
    line: int
    tag: str
    title: str
    text: str

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"

    @property
    def is_file(self) -> bool:
        return bool(self.title) and not self.title.startswith(NOT_RUN_TITLE) and "/" not in self.title

    @property
    def not_run(self) -> bool:
        return self.title.startswith(NOT_RUN_TITLE)


def page_blocks(path: Path) -> list[Block]:
    """The fenced blocks of one page, in order, their text dedented to the fence."""
    page = path.relative_to(DOCS).as_posix()
    blocks: list[Block] = []
    opening: re.Match[str] | None = None
    start, lines = 0, list[str]()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if opening is None:
            opening = _FENCE.match(line)
            start, lines = number + 1, []
        elif line.strip() == opening.group("fence"):
            title = _TITLE.search(opening.group("attributes"))
            text = textwrap.dedent("\n".join(lines)) + "\n"
            blocks.append(Block(page, start, opening.group("tag"), title.group("title") if title else "", text))
            opening = None
        else:
            lines.append(line)
    assert opening is None, f"docs/{page}:{start - 1}: a fence is never closed"
    return blocks


PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [block for page in PAGES for block in page_blocks(page)]
PYTHON_BLOCKS = [block for block in BLOCKS if block.tag in PYTHON]
RUN_BLOCKS = [block for block in PYTHON_BLOCKS if not block.is_file and not block.not_run]


def _block_id(block: Block) -> str:
    return block.where


def test_the_docs_have_code_to_check() -> None:
    assert RUN_BLOCKS, "no runnable python block found under docs/"
    assert [block for block in BLOCKS if block.tag in SHELL], "no shell block found under docs/"


def test_every_block_has_a_known_language_tag() -> None:
    untagged = [f"{block.where}: {block.tag or 'no tag'}" for block in BLOCKS if block.tag not in KNOWN_TAGS]
    assert not untagged, f"tag each block with one of {sorted(KNOWN_TAGS)}: {untagged}"


def test_every_not_run_block_says_why() -> None:
    silent = [block.where for block in BLOCKS if block.not_run and not block.title[len(NOT_RUN_TITLE) :].strip()]
    assert not silent, f'give each block titled "Not run:" its reason: {silent}'


def test_config_blocks_are_files() -> None:
    loose = [block.where for block in BLOCKS if block.tag in FILE_ONLY and not (block.is_file or block.not_run)]
    assert not loose, f'a {sorted(FILE_ONLY)} block is a file of its page: give it title="<file name>" ({loose})'


# Python blocks: run.


def _padded(block: Block) -> str:
    """The block's text at its page's line numbers."""
    return "\n" * (block.line - 1) + block.text


def _filename(block: Block) -> str:
    return str(DOCS / block.page)


def _has_top_level_await(block: Block) -> bool:
    code = compile(_padded(block), _filename(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    return bool(code.co_flags & inspect.CO_COROUTINE)


def _with_loops_recorded(block: Block) -> tuple[ast.Module, set[int]]:
    """The block's syntax tree, each loop's body first adding the loop's line to ``__docs_loops__``."""
    tree = ast.parse(_padded(block), filename=_filename(block))
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For | ast.AsyncFor)]
    for loop in loops:
        record = ast.parse(f"__docs_loops__.add({loop.lineno})").body[0]
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


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """The loggers a block configures (as a program would) are put back as they were after it."""
    loggers = [logging.getLogger(name) for name in ("", "itsm_async", "stamina", "httpx")]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for logger, (level, handlers) in zip(loggers, saved, strict=True):
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=_block_id)
@pytest.mark.usefixtures("logging_restored")
def test_python_block_runs(
    block: Block, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spiceworks, kloudless = _sandbox_clients(sandbox)
    monkeypatch.setattr(itsm_async, "SpiceworksClient", spiceworks)
    monkeypatch.setattr(itsm_async, "KloudlessClient", kloudless)
    monkeypatch.chdir(tmp_path)
    tree, loops = _with_loops_recorded(block)
    ran: set[int] = set()
    namespace: dict[str, Any] = {"__name__": "__main__", "__docs_loops__": ran}
    code = compile(tree, _filename(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)

    try:
        # The page's own code, compiled above from its text.
        result = eval(code, namespace)  # noqa: S307
        if inspect.iscoroutine(result):

            async def await_block() -> None:
                await result

            anyio.run(await_block)
    except Exception as exc:  # any failure of the block is reported with its page's lines
        shown = "".join(traceback.format_exception(exc))
        pytest.fail(f"{block.where}: this python block raised {exc!r}\n{shown}", pytrace=False)

    idle = sorted(loops - ran)
    assert not idle, f"{block.where}: the loops at lines {idle} of docs/{block.page} ran their bodies zero times"
    assert "UNSET" not in capsys.readouterr().out, f"{block.where}: this block printed an UNSET field"


# Python blocks: type-checked.


def _module_name(block: Block) -> str:
    return re.sub(r"\W", "_", f"docs_{block.page.removesuffix('.md')}_line_{block.line}") + ".py"


def _type_checked_source(block: Block) -> str:
    if not _has_top_level_await(block):
        return _padded(block)
    # The fence's line holds the def, so that mypy's line numbers are the page's.
    return "\n" * (block.line - 2) + "async def _docs_block() -> None:\n" + textwrap.indent(block.text, "    ")


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """``mypy --strict`` over every Python block at once: block -> its errors (docs/page:line: ...)."""
    folder = tmp_path_factory.mktemp("docs_mypy")
    modules: dict[str, Block] = {}
    for block in PYTHON_BLOCKS:
        name = _module_name(block)
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
    errors: dict[str, list[str]] = {block.where: [] for block in PYTHON_BLOCKS}
    for line in run.stdout.splitlines():
        name, _, rest = line.partition(":")
        if name in modules:
            errors[modules[name].where].append(f"docs/{modules[name].page}:{rest}")
        elif line.strip():
            pytest.fail(f"unexpected mypy output: {line}", pytrace=False)
    return errors


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_block_id)
def test_python_block_type_checks(block: Block, mypy_errors: dict[str, list[str]]) -> None:
    found = mypy_errors[block.where]
    assert not found, f"{block.where}: mypy --strict finds in this python block:\n" + "\n".join(found)


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


def _scratch(tmp_path: Path, page: str) -> Path:
    """A directory that sees the checkout's top-level files, then the page's files (which win)."""
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    for block in BLOCKS:
        if block.page == page and block.is_file:
            target = tmp_path / block.title
            if target.is_symlink():
                target.unlink()
            target.write_text(block.text, encoding="utf-8")
    return tmp_path


def _run_server(words: list[str], cwd: Path) -> None:
    if "--port" in words:
        words[words.index("--port") + 1] = "0"  # the page's port may be taken; 0 is any free one
    else:
        words += ["--port", "0"]
    process = subprocess.Popen(  # noqa: S603 - the page's own command
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


def _run(block: Block, command: Command, cwd: Path) -> None:
    where = f"docs/{block.page}:{command.line}"
    words = _words(command.text)
    if set(_programs(words)) & SERVERS and "--help" not in words:
        try:
            _run_server(words, cwd)
        except AssertionError as exc:
            pytest.fail(f"{where}: {command.text}\n{exc}", pytrace=False)
        return
    run = subprocess.run(  # noqa: S603 - the page's own command
        ["bash", "-c", command.text],  # noqa: S607 - bash from PATH, as a reader's shell
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if run.returncode:
        pytest.fail(f"{where}: {command.text}\nexit code {run.returncode}\n{run.stdout}{run.stderr}", pytrace=False)


SHELL_BLOCKS = [block for block in BLOCKS if block.tag in SHELL]


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=_block_id)
def test_shell_block_runs(block: Block, tmp_path: Path) -> None:
    """The block's commands run in order, in one directory; those ``NOT_RUN`` names are left out."""
    if block.not_run:
        pytest.skip(f"{block.where}: {block.title}")
    commands = _commands(block)
    if all(_not_run(command) for command in commands):
        reasons = sorted({f"{program} ({NOT_RUN[program]})" for c in commands for program in _not_run(c)})
        pytest.skip(f"{block.where}: " + "; ".join(reasons))
    cwd = _scratch(tmp_path, block.page)
    for command in commands:
        if not _not_run(command):
            _run(block, command, cwd)


# The error tree.

_TREE_LINE = re.compile(r"^(?P<indent>[│ ]*(?:[├└]── )?)(?P<name>\w+)(?P<rest>.*)$")


def _tree_edges(text: str) -> set[tuple[str, str]]:
    """(parent, child) pairs of a drawn tree."""
    edges: set[tuple[str, str]] = set()
    parents: list[str] = []
    for line in text.strip("\n").splitlines():
        match = _TREE_LINE.match(line)
        assert match, f"not a line of the error tree: {line!r}"
        depth = len(match.group("indent")) // 4
        del parents[depth:]
        if parents:
            edges.add((parents[-1], match.group("name")))
        parents.append(match.group("name"))
    return edges


def test_error_tree_is_the_class_hierarchy() -> None:
    trees = [block for block in BLOCKS if block.tag in NOT_CODE and block.text.startswith("ItsmError\n")]
    assert trees, "the errors guide should draw the error tree, in a text block starting with ItsmError"
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
    for tree in trees:
        drawn = _tree_edges(tree.text)
        assert drawn == real, f"{tree.where}: missing: {sorted(real - drawn)}; not real: {sorted(drawn - real)}"


# The site.


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``mkdocs build --strict`` (any warning, a broken link included, fails)."""
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip("mkdocs is not installed: pip install 'itsm-async[docs]'")
    folder = tmp_path_factory.mktemp("site")
    run = subprocess.run(  # noqa: S603 - this interpreter's mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        env={**_environment(), "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"mkdocs build --strict failed (exit code {run.returncode}):\n{run.stderr}"
    return folder


def test_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in PAGES:
        if "hooks" in page.relative_to(DOCS).parts:
            continue
        stem = page.relative_to(DOCS).with_suffix("")
        built = site / (stem.parent if stem.name == "index" else stem) / "index.html"
        assert built.is_file(), f"docs/{page.relative_to(DOCS)} was not built into {built}"


def test_site_needs_no_network(site: Path) -> None:
    """No page loads a font, script or stylesheet from another host: the site works offline."""
    remote = re.compile(r"""<(?:link|script|img)\b[^>]*\b(?:href|src)=["']?(?:https?:)?//""")
    pages = [page for page in site.rglob("*.html") if remote.search(page.read_text(encoding="utf-8"))]
    assert not pages, f"pages loading assets from the network: {[str(p.relative_to(site)) for p in pages]}"
    stylesheets = "".join(css.read_text(encoding="utf-8") for css in site.rglob("*.css"))
    assert "fonts.googleapis.com" not in stylesheets


def _reference_text(site: Path) -> str:
    return "".join(page.read_text(encoding="utf-8") for page in (site / "reference").rglob("*.html"))


def test_reference_has_every_public_name_of_itsm_async(site: Path) -> None:
    reference = _reference_text(site)
    modules = {"itsm_async": itsm_async.__all__}
    for name in ("testing", "sandbox"):
        module = __import__(f"itsm_async.{name}", fromlist=["__all__"])
        modules[f"itsm_async.{name}"] = module.__all__
    missing = [
        f"{module}.{name}"
        for module, names in modules.items()
        for name in names
        if not name.startswith("__") and f'id="{module}.{name}"' not in reference
    ]
    assert not missing, f"not in the API reference: {missing}"


@pytest.mark.parametrize("package", ["spiceworks_client", "kloudless_itsm_client"])
def test_reference_has_every_operation_and_model_of_the_generated_packages(site: Path, package: str) -> None:
    """The reference is written from the packages when the site is built, so it lists what they hold."""
    api = __import__(f"{package}.api", fromlist=["Api"]).Api
    models = __import__(f"{package}.models", fromlist=["__all__"])
    reference = _reference_text(site)
    expected = [f"{package}.models.{name}" for name in models.__all__]
    for group in typing.get_type_hints(api).values():
        operations = [name for name, value in vars(group).items() if inspect.iscoroutinefunction(value)]
        expected += [f"{group.__module__}.{group.__name__}.{name}" for name in operations if not name.endswith("_raw")]
    missing = [identifier for identifier in expected if f'id="{identifier}"' not in reference]
    assert not missing, f"not in the API reference: {missing}"


def test_reference_follows_a_regenerated_package(tmp_path: Path) -> None:
    """A group and a model added to a generated package get reference pages, with no edit to the hook."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed: pip install 'itsm-async[docs]'")
    hook = _hook_module("reference_pages")
    for folder in ("wrapper", "generated"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    package = tmp_path / "generated" / "spiceworks_client"
    (package / "api" / "escalations").mkdir()
    (package / "api" / "escalations" / "__init__.py").write_text(
        'class EscalationsApi:\n    """The escalations operations."""\n\n'
        "    async def list_escalations(self) -> None:\n"
        '        """List escalations."""\n',
        encoding="utf-8",
    )
    api = package / "api" / "__init__.py"
    text = api.read_text(encoding="utf-8")
    assert "\n    def __init__(self" in text, "the generated Api class has no __init__ to add a group before"
    text = text.replace("\n    def __init__(self", "\n    escalations: EscalationsApi\n\n    def __init__(self", 1)
    api.write_text("from .escalations import EscalationsApi\n" + text, encoding="utf-8")
    (package / "models" / "escalation.py").write_text(
        'class Escalation:\n    """An escalated ticket."""\n', encoding="utf-8"
    )
    models = package / "models" / "__init__.py"
    text = models.read_text(encoding="utf-8")
    assert "__all__ = (" in text, "the generated models package has no __all__ tuple"
    text = text.replace("__all__ = (", '__all__ = (\n    "Escalation",', 1)
    models.write_text(text + "from .escalation import Escalation\n", encoding="utf-8")

    nav: list[Any] = [{"Home": "index.md"}, {"Reference": []}]
    config = SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml"), nav=nav)
    hook.on_config(config)
    pages: dict[str, str] = hook._pages

    group = pages["reference/spiceworks_client/api/escalations.md"]
    assert "::: spiceworks_client.api.escalations.EscalationsApi" in group
    assert (
        "spiceworks_client.api.escalations.EscalationsApi.list_escalations"
        in pages["reference/spiceworks_client/index.md"]
    )
    assert "::: spiceworks_client.models.Escalation\n" in pages["reference/spiceworks_client/models.md"]
    assert "reference/spiceworks_client/api/escalations.md" in repr(nav[1]["Reference"])


def _hook_module(name: str) -> Any:
    if importlib.util.find_spec("griffe") is None:
        pytest.skip("griffe is not installed: pip install 'itsm-async[docs]'")
    spec = importlib.util.spec_from_file_location(name, DOCS / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstring_roles_and_literal_blocks_read_as_markdown() -> None:
    markdown = _hook_module("griffe_rst").markdown
    text = (
        "Each test gets a :class:`~itsm_async.sandbox.Sandbox`; see :func:`itsm_async.sandbox.serve`.\n"
        "\n"
        "Load them in a ``conftest.py``::\n"
        "\n"
        '    pytest_plugins = ["itsm_async.testing"]\n'
        "\n"
        "The tree::\n"
        "\n"
        "    ItsmError\n"
        "    └── ApiError\n"
        "\n"
        "After."
    )
    assert markdown(text).splitlines() == [
        "Each test gets a `Sandbox`; see `itsm_async.sandbox.serve`.",
        "",
        "Load them in a ``conftest.py``:",
        "",
        "```python",
        'pytest_plugins = ["itsm_async.testing"]',
        "```",
        "",
        "The tree:",
        "",
        "```text",
        "ItsmError",
        "└── ApiError",
        "```",
        "",
        "After.",
    ]
