"""uvicorn's HTTP protocol with each response written in one ``send()``.

uvicorn writes a response's status line and headers, its body and its end
in separate ``transport.write`` calls, each a ``send()`` system call. With
Nagle's algorithm off (see ``listening_socket``) each leaves at once, as its
own segment; on a kept-alive connection a small JSON answer then costs two
system calls and two segments where one would do, and over loopback the
calls, not the work, bound the requests per second.

:class:`CoalescingTransport` gathers what is written in one turn of the
event loop and sends it at the end of that turn: an ASGI app's
``http.response.start`` and ``http.response.body`` come in one turn (uvicorn
awaits nothing between them while the socket accepts data), so they leave
together. Closing flushes first, so a body cut short by a ``drop`` fault is
still sent up to the cut.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class CoalescingTransport:
    """A transport that sends the writes of one event-loop turn together (delegating all else).

    Args:
        transport: The connection's transport.
        loop: Its event loop.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data`` to go out at the end of this turn of the loop."""
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        """Queue each of ``lines``."""
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what is queued, in one write."""
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        """Bytes queued here and in the transport."""
        return sum(map(len, self._pending)) + self._transport.get_write_buffer_size()

    def close(self) -> None:
        """Send what is queued, then close."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (h11, or httptools when installed) writing through :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        # Flow control keeps the real transport; requests are answered through the wrapper.
        self.transport = CoalescingTransport(transport, asyncio.get_running_loop())
