"""A griffe extension that reads the reStructuredText habits of docstrings as Markdown.

The docstrings are Google style, read by ``help()`` as plain text, and use a
few reStructuredText forms that Markdown shows literally:

- a role, ``:class:`~itsm_async.sandbox.Sandbox``` or ``:func:`decide```,
  becomes inline code of the name (the last part, with ``~``), since the
  object named may be private and have no page to link to;
- a paragraph ending in ``::`` followed by an indented block becomes the
  paragraph ending in ``:`` and a fenced block, highlighted as Python when
  it parses as Python, as plain text otherwise (a drawn tree, a table).

The docstrings themselves stay as they are. Loaded by mkdocstrings
(``extensions:`` of the python handler in mkdocs.yml).
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj|const):`(?P<tilde>~?)(?P<target>[^`]+)`")


def _role(match: re.Match[str]) -> str:
    target = match.group("target")
    return f"`{target.rpartition('.')[2] if match.group('tilde') else target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _fence(lines: list[str]) -> list[str]:
    code = textwrap.dedent("\n".join(lines)).strip("\n")
    try:
        ast.parse(code)
        language = "python"
    except SyntaxError:
        language = "text"
    return [f"```{language}", *code.splitlines(), "```"]


def markdown(text: str) -> str:
    """The docstring ``text`` with its roles and literal blocks written as Markdown."""
    lines = _ROLE.sub(_role, text).splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.rstrip().endswith("::"):
            out.append(line)
            continue
        head = line.rstrip()[:-2].rstrip()
        if head:
            out.append(f"{head}:")
        block: list[str] = []
        while index < len(lines) and not lines[index].strip():
            index += 1
        while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) > _indent(line)):
            block.append(lines[index])
            index += 1
        while block and not block[-1].strip():
            block.pop()
        if block:
            out += ["", *(" " * _indent(line) + fenced for fenced in _fence(block)), ""]
    return "\n".join(out)


def _walk(obj: griffe.Object) -> None:
    if obj.docstring is not None:
        obj.docstring.value = markdown(obj.docstring.value)
    for member in obj.members.values():
        if not isinstance(member, griffe.Alias):
            _walk(member)


class RestructuredTextAsMarkdown(griffe.Extension):
    """Rewrites the docstrings of each loaded package for Markdown."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the package once it is loaded."""
        _walk(pkg)
