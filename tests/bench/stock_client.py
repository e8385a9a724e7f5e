"""Stock generated clients of our Spiceworks spec, for the peer benchmark.

What a user gets who runs a generator on ``specs/spiceworks-cloud-apps.yaml``
themselves, written into a folder the caller gives (a temporary one: never
the repository):

- openapi-python-client: the pinned generator of
  ``specs/codegen-requirements.txt`` (the one ``./codegen.sh`` uses), with no
  custom templates and the generator's default configuration. ``StockPeer``
  calls it as its README shows: an ``AuthenticatedClient`` and the
  ``asyncio`` function of each operation.
- openapi-generator's ``python`` generator with its ``asyncio`` library
  (aiohttp and pydantic), when ``openapi-generator-cli`` (PyPI's, which
  carries the jar) and Java are installed. ``GeneratorPeer`` calls it as its
  README shows: a ``Configuration``, an ``ApiClient`` and ``TicketsApi``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "spiceworks-cloud-apps.yaml"
REQUIREMENTS = ROOT / "specs" / "codegen-requirements.txt"


def codegen_venv() -> Path:
    """The venv of the pinned generator, built as ``./codegen.sh`` builds it when missing or stale."""
    venv = Path(os.environ.get("ITSM_CODEGEN_VENV", ROOT / ".codegen-venv"))
    stamp = venv / ".requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    have = stamp.read_text().strip() if stamp.exists() else ""
    if not (venv / "bin" / "openapi-python-client").exists() or have != want:
        print(f"stock client: installing the pinned generator into {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603 - this interpreter
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)  # noqa: S603 - the venv's own pip
        stamp.write_text(want + "\n")
    return venv


def generate(folder: Path) -> tuple[Path, str]:
    """Generate the stock client under ``folder``.

    Returns:
        The folder to put on ``sys.path`` and the package's name.

    Raises:
        RuntimeError: The generator failed (its output is in the message).
    """
    venv = codegen_venv()
    project = folder / "stock-spiceworks-client"
    # The default post-hooks run ruff from PATH; the generator's venv has the pinned one.
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(venv / "bin" / "openapi-python-client"), "generate", "--path", str(SPEC)]
    done = subprocess.run(  # noqa: S603 - the pinned generator
        [*command, "--output-path", str(project)], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    packages = sorted(path.parent.name for path in project.glob("*/client.py"))
    if done.returncode != 0 or len(packages) != 1:
        raise RuntimeError(f"openapi-python-client failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return project, packages[0]


class StockApi:
    """The modules of the generated package a caller needs."""

    def __init__(self, path: Path, package: str) -> None:
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
        self.client: Any = importlib.import_module(f"{package}.client")
        self.get_ticket: Any = importlib.import_module(f"{package}.api.tickets.get_ticket")
        self.list_tickets: Any = importlib.import_module(f"{package}.api.tickets.list_tickets")
        models = importlib.import_module(f"{package}.models")
        self.ticket_response: type = models.GetTicketResponse200
        self.page_response: type = models.ListTicketsResponse200


class StockPeer:
    """The bench's calls through the stock client: parsed models, or an error."""

    def __init__(self, api: StockApi, base_url: str, token: str) -> None:
        self._api = api
        self._client: Any = api.client.AuthenticatedClient(base_url=base_url, token=token)

    async def open(self) -> None:
        await self._client.__aenter__()

    async def aclose(self) -> None:
        await self._client.__aexit__(None, None, None)

    async def get_ticket(self, ticket_id: int) -> object:
        ticket = await self._api.get_ticket.asyncio(id=ticket_id, client=self._client)
        return self._checked(ticket, self._api.ticket_response)

    async def _page(self, page: int, per_page: int) -> Any:
        result = await self._api.list_tickets.asyncio(client=self._client, page=page, per_page=per_page)
        return self._checked(result, self._api.page_response)

    async def list_page(self, page: int, per_page: int) -> int:
        return len((await self._page(page, per_page)).tickets)

    async def walk(self, per_page: int) -> int:
        """Every item, page by page, as a user of the stock client writes it (it has no paginator)."""
        seen, page = 0, 1
        while True:
            result = await self._page(page, per_page)
            seen += len(result.tickets)
            if not result.tickets or page >= result.meta.total_pages:
                return seen
            page += 1

    @staticmethod
    def _checked(result: object, expected: type) -> object:
        # The stock functions return the error model or None instead of raising.
        if not isinstance(result, expected):
            raise RuntimeError(f"the stock client returned {result!r}")
        return result


GENERATOR_PACKAGE = "openapi_generator_spiceworks"
#: What the generated client imports (its requirements.txt), as import names.
GENERATOR_NEEDS = ("aiohttp", "aiohttp_retry", "dateutil", "pydantic", "typing_extensions")


class GeneratorUnavailable(Exception):
    """openapi-generator, Java or the generated client's dependencies are not installed."""


def generate_openapi_generator(folder: Path) -> tuple[Path, str]:
    """Generate openapi-generator's asyncio python client under ``folder``.

    Returns:
        The folder to put on ``sys.path`` and the package's name.

    Raises:
        GeneratorUnavailable: What is missing to generate or import it.
        RuntimeError: The generator failed (its output is in the message).
    """
    beside = Path(sys.executable).with_name("openapi-generator-cli")
    cli = str(beside) if beside.exists() else shutil.which("openapi-generator-cli")
    if cli is None:
        raise GeneratorUnavailable("openapi-generator-cli is not installed (pip install openapi-generator-cli)")
    if shutil.which("java") is None:
        raise GeneratorUnavailable("openapi-generator-cli is installed, but there is no java on PATH")
    missing = [name for name in GENERATOR_NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise GeneratorUnavailable(f"the generated client needs {', '.join(missing)}, not installed")
    project = folder / "openapi-generator-spiceworks"
    command = [cli, "generate", "-g", "python", "--library", "asyncio", "-i", str(SPEC), "-o", str(project)]
    done = subprocess.run(  # noqa: S603 - the installed generator
        [*command, "--package-name", GENERATOR_PACKAGE], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not (project / GENERATOR_PACKAGE / "api_client.py").exists():
        raise RuntimeError(f"openapi-generator failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return project, GENERATOR_PACKAGE


class GeneratorApi:
    """The generated package of openapi-generator."""

    def __init__(self, path: Path, package: str) -> None:
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
        self.package: Any = importlib.import_module(package)


class GeneratorPeer:
    """The bench's calls through openapi-generator's client: pydantic models, or its exception."""

    def __init__(self, api: GeneratorApi, base_url: str, token: str) -> None:
        configuration = api.package.Configuration(host=base_url, access_token=token)
        self._client: Any = api.package.ApiClient(configuration)
        self._tickets: Any = api.package.TicketsApi(self._client)

    async def open(self) -> None:
        pass

    async def aclose(self) -> None:
        await self._client.close()

    async def get_ticket(self, ticket_id: int) -> object:
        return await self._tickets.get_ticket(id=ticket_id)

    async def list_page(self, page: int, per_page: int) -> int:
        return len((await self._tickets.list_tickets(page=page, per_page=per_page)).tickets)

    async def walk(self, per_page: int) -> int:
        """Every item, page by page (the generated client has no paginator)."""
        seen, page = 0, 1
        while True:
            result = await self._tickets.list_tickets(page=page, per_page=per_page)
            seen += len(result.tickets)
            if not result.tickets or page >= result.meta.total_pages:
                return seen
            page += 1
