"""Every developer and CI task: `nox` runs the default list, `nox -s NAME` one."""

from __future__ import annotations

import nox

# codegen_check runs before codegen, so that a stale generated/ fails before it is rewritten.
nox.options.sessions = ["lint", "typecheck", "codegen_check", "codegen", "tests", "contract", "docs", "bench"]
nox.options.error_on_external_run = True
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (everything but the Prism contract tests)."""
    session.install("-e", ".[test,sandbox,cli,otel,redis,bench,docs]")
    session.run("pytest", "--ignore=tests/contract", *session.posargs)


@nox.session
def contract(session: nox.Session) -> None:
    """Contract tests: every operation against Prism; the sandbox against schemathesis."""
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.install("-e", ".[test,sandbox,contract]")
    session.run("pytest", "tests/contract", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The demo against the sandbox on loopback (or the real APIs, given credentials)."""
    session.install("-e", ".[sandbox]")
    session.run("python", "-m", "itsm_async.demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: paging time and memory, and the peer table, as ratios to a baseline from the same run."""
    session.install("-e", ".[sandbox,bench]")
    session.run("python", "tests/bench/bench_paging.py")
    session.run("python", "tests/bench/bench_tracing.py")
    session.run("python", "tests/bench/bench_layers.py")
    session.run("python", "tests/bench/bench_peers.py", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff, lint and format, over the hand-written code."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "wrapper", "tests", "docs/hooks", "noxfile.py")
    session.run("ruff", "format", "--check", "wrapper", "tests", "docs/hooks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over wrapper/ and tests/, typing test file included."""
    session.install("-e", ".[typecheck,test,sandbox,cli,otel,redis,bench,docs]")
    session.run("mypy", "--strict", "wrapper", "tests", "docs/hooks")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate generated/ from specs/."""
    session.run("bash", "./codegen.sh", external=True)


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail, naming the files, when generated/ is stale."""
    session.run("bash", "./codegen.sh", "--check", external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site under docs/, built with --strict (a broken link or reference fails)."""
    session.install("-e", ".[docs,sandbox,cli]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "build/site", *session.posargs)
