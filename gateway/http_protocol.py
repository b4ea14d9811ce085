"""uvicorn's httptools protocol, sending each response's head and body in one write, and
telling the app when a request runs in a context of its own (`OWN_CONTEXT`).

uvicorn writes the status line and headers as soon as the app sends
`http.response.start`, then the body in a second write when it arrives: two
system calls and two wake-ups of the client per response. On small responses
those dominate (measured under wrk on the 2-core VM: the socket writes were the
largest share of the process's CPU). This protocol holds the head back until the
body's first write in the same loop step and sends both at once. Order is never
changed (anything held goes out before the next write, or at the next loop
iteration, or before the connection closes), so a response whose body never
comes (HEAD, 204, 304, a streaming body that starts later) still gets its head
one loop iteration later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_PREFIX = b"HTTP/1.1 "
PROTOCOL = "gateway.http_protocol:HeadHoldingProtocol"  # uvicorn's `http=`, by import path
# Set in a request's scope when uvicorn runs it in a task with an empty context of its own
# (`reset_contextvars`, as `fedgate serve` runs): what the request sets there ends with it.
OWN_CONTEXT = "fedgate.own_context"


class HeadHoldingTransport:
    """A transport that keeps one response head back until the next write."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data[:9] == HEAD_PREFIX and data[-4:] == b"\r\n\r\n":
            self._held = bytes(data)
            self._loop.call_soon(self.flush)  # a head whose body never comes still goes out
        else:
            self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        self.write(b"".join(lines))

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeadHoldingProtocol(HttpToolsProtocol):
    """`--http` for uvicorn: httptools, one write per small response."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadHoldingTransport(transport, self.loop))  # type: ignore[arg-type]

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.config.reset_contextvars:
            self.scope[OWN_CONTEXT] = True  # type: ignore[literal-required]
