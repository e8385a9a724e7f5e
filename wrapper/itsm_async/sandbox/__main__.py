"""``python -m itsm_async.sandbox``: serve the sandbox over HTTP with uvicorn.

Example::

    python -m itsm_async.sandbox --port 8400 --seed 7 --db sandbox.db --faults "429=0.1,drop=0.02"
    python -m itsm_async.sandbox --spiceworks-spec my-spiceworks.yaml   # a spec of one's own
    python -m itsm_async.sandbox --real-world    # the live servers' shapes (see _real_world)

Spiceworks is then at ``http://127.0.0.1:8400`` (paths ``/api/v1/...``),
Kloudless at ``http://127.0.0.1:8400/v1`` (account ``123``), the counters
at ``/_sandbox/stats``. ``--port 0`` picks a free port; the first line
printed names the address.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import uvicorn

from ._faults import ConnectionDropped, FaultConfig, seconds
from ._http import CoalescingHTTPProtocol
from ._real_world import RealWorld
from ._sandbox import Sandbox
from ._seed import SeedCounts
from ._specs import SPECS_ENV


class _QuietDrops(logging.Filter):
    """Logs an injected dropped connection as one line, not as an application crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ConnectionDropped):
            record.msg, record.args = "%s", (str(error),)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _faults(text: str) -> FaultConfig:
    try:
        return FaultConfig.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _spec_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no spec file {text!r}")
    return path


def _latency(text: str) -> float:
    try:
        return seconds("--latency", float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m itsm_async.sandbox",
        description="Serve a stateful sandbox of the Spiceworks Cloud Apps and Kloudless ITSM APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8400, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data (default: %(default)s)")
    parser.add_argument("--db", metavar="PATH", help="keep the data in this SQLite file across restarts")
    parser.add_argument("--account-id", default="123", help="the Kloudless account served (default: %(default)s)")
    parser.add_argument(
        "--faults",
        type=_faults,
        default=FaultConfig(),
        metavar="SPEC",
        help="faults to inject, e.g. '429=0.1,503=0.05,drop=0.02,slow=0.1,delay=0.3' or 'script=429+ok+drop'",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the faults' random stream")
    for api, title in (("spiceworks", "Spiceworks"), ("kloudless", "Kloudless")):
        parser.add_argument(
            f"--{api}-spec",
            type=_spec_file,
            metavar="PATH",
            help=f"the {title} OpenAPI document to serve (default: the packaged one, or the one in ${SPECS_ENV})",
        )
    parser.add_argument(
        "--real-world",
        action="store_true",
        help="answer as the live servers do where they differ from the specs (integer priorities, nulls, "
        "Spiceworks' documented meta and errors, 30 a page, Kloudless pages by number without next_page)",
    )
    parser.add_argument(
        "--kloudless-end",
        choices=["not_found", "empty"],
        help="with --real-world: a Kloudless page past the last is a 404 not_found (default) or an empty page",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=0.0,
        metavar="SECONDS",
        help="hold every API answer this long, as a network would (default: %(default)s)",
    )
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    defaults = SeedCounts()
    for field in attrs.fields(SeedCounts):
        parser.add_argument(
            f"--{field.name}",
            type=int,
            metavar="N",
            help=f"{field.name} to generate (default: {getattr(defaults, field.name)})",
        )
    return parser


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for uvicorn to serve on.

    Binding here, not in uvicorn, makes ``--port 0`` usable: the port is
    known before serving. Connections accepted on it have Nagle's
    algorithm off (``TCP_NODELAY``), so small responses leave at once.

    Args:
        host: The address to listen on.
        port: The port, 0 for any free one.

    Returns:
        The bound socket (not yet listening).
    """
    family, kind, proto = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][:3]
    # uvicorn writes a response's head and body in two send() calls; with Nagle's algorithm on,
    # the body waits for the client's (delayed, ~40 ms) ACK of the head, on every request of a
    # kept-alive connection. asyncio turns Nagle off on accepted sockets whose proto is
    # IPPROTO_TCP, which getaddrinfo's proto gives and a bare socket(family, SOCK_STREAM) lacks;
    # TCP_NODELAY on the listener covers platforms where accepted sockets report proto 0 (macOS,
    # CPython issue 148783), as Linux and the BSDs copy it to each accepted socket.
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def real_world(args: argparse.Namespace) -> RealWorld | bool:
    """The real-world mode the parsed options ask for (False: none)."""
    if not args.real_world:
        return False
    return RealWorld(kloudless_end=args.kloudless_end or "not_found")


def uvicorn_config(sandbox: Sandbox, *, log_level: str) -> uvicorn.Config:
    """How uvicorn serves ``sandbox``: each response written in one piece (``_http``).

    Args:
        sandbox: The sandbox to serve.
        log_level: uvicorn's log level.

    Returns:
        The configuration.
    """
    return uvicorn.Config(sandbox.app, log_level=log_level, lifespan="on", http=CoalescingHTTPProtocol)


def sandbox_from(args: argparse.Namespace) -> Sandbox:
    """The sandbox the parsed options describe.

    Args:
        args: What :func:`build_parser` parsed.

    Returns:
        The sandbox (to close after use).
    """
    chosen = {f.name: getattr(args, f.name) for f in attrs.fields(SeedCounts) if getattr(args, f.name) is not None}
    return Sandbox(
        seed=args.seed,
        counts=SeedCounts(**chosen),
        db_path=args.db,
        faults=args.faults,
        fault_seed=args.fault_seed,
        account_id=args.account_id,
        spiceworks_spec=args.spiceworks_spec,
        kloudless_spec=args.kloudless_spec,
        real_world=real_world(args),
        latency=args.latency,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox server until interrupted.

    Args:
        argv: The arguments, ``sys.argv[1:]`` by default.

    Returns:
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.kloudless_end is not None and not args.real_world:
        parser.error("--kloudless-end needs --real-world")
    sandbox = sandbox_from(args)
    try:
        with listening_socket(args.host, args.port) as sock:
            host, port = sock.getsockname()[:2]
            root = f"http://{f'[{host}]' if ':' in host else host}:{port}"
            print(
                f"itsm-async sandbox (seed {sandbox.seed}): Spiceworks {root}, Kloudless {root}/v1 "
                f"(account {args.account_id}), stats {root}/_sandbox/stats",
                flush=True,
            )
            logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
            server = uvicorn.Server(uvicorn_config(sandbox, log_level=args.log_level))
            server.run(sockets=[sock])
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
