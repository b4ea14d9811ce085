"""The served HTTP protocol: a response's head and body leave in one write, nothing reordered.

Unit tests drive `HeadHoldingTransport` on a real event loop with a transport that
records each write; the end-to-end tests serve a small app under uvicorn with the
protocol `fedgate serve` uses and read raw HTTP/1.1 from a socket (HEAD, 204, a
streamed body, several requests on one keep-alive connection).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.http_protocol import PROTOCOL, HeadHoldingTransport
from tests.fixtures.processes import free_port, stop_server

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recording:
    """The parts of an asyncio transport the wrapper uses, recording every write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default


def _drive(steps: Any) -> Recording:
    """Run `steps(wrapper, recording)` on a fresh loop, then let pending callbacks run."""
    recording = Recording()

    async def main() -> None:
        wrapper = HeadHoldingTransport(recording, asyncio.get_running_loop())  # type: ignore[arg-type]
        await steps(wrapper, recording)
        await asyncio.sleep(0)  # one more loop iteration: any held head is flushed
        await asyncio.sleep(0)

    asyncio.run(main())
    return recording


def test_head_and_body_in_one_write() -> None:
    async def steps(wrapper: HeadHoldingTransport, _: Recording) -> None:
        wrapper.write(HEAD)
        wrapper.write(b"ok")

    assert _drive(steps).writes == [HEAD + b"ok"]


def test_a_head_without_body_still_goes_out_on_the_next_iteration() -> None:
    seen: list[list[bytes]] = []

    async def steps(wrapper: HeadHoldingTransport, recording: Recording) -> None:
        wrapper.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        seen.append(list(recording.writes))  # held for now

    recording = _drive(steps)
    assert seen == [[]]
    assert recording.writes == [b"HTTP/1.1 204 No Content\r\n\r\n"]


def test_order_is_kept_for_bodies_that_look_like_heads() -> None:
    lookalike = b"HTTP/1.1 as text\r\n\r\n"

    async def steps(wrapper: HeadHoldingTransport, _: Recording) -> None:
        wrapper.write(HEAD)
        wrapper.write(b"o")
        wrapper.write(lookalike)  # a body chunk spelled like a head: held, still in order
        wrapper.write(b"k")

    assert b"".join(_drive(steps).writes) == HEAD + b"o" + lookalike + b"k"


def test_close_sends_the_held_head_first_and_abort_drops_it() -> None:
    async def closing(wrapper: HeadHoldingTransport, _: Recording) -> None:
        wrapper.write(HEAD)
        wrapper.close()

    closed = _drive(closing)
    assert closed.writes == [HEAD]
    assert closed.closed

    async def aborting(wrapper: HeadHoldingTransport, _: Recording) -> None:
        wrapper.write(HEAD)
        wrapper.abort()

    aborted = _drive(aborting)
    assert aborted.writes == []
    assert aborted.aborted


def test_everything_else_reaches_the_real_transport() -> None:
    async def steps(wrapper: HeadHoldingTransport, _: Recording) -> None:
        assert wrapper.get_extra_info("sockname") == ("127.0.0.1", 8000)
        assert wrapper.is_closing() is False

    _drive(steps)


# --- end to end: uvicorn with the protocol `fedgate serve` uses, in its own process (in a
# thread of this process the GIL would keep the client from reading between two writes)

SERVER = """
import asyncio, sys
from contextvars import ContextVar
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from gateway.http_protocol import OWN_CONTEXT

SEEN = ContextVar("seen", default="unset")


async def json_(_):
    return JSONResponse({"ok": True})


async def empty(_):
    return Response(status_code=204)


async def stream(_):
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0.01)
            yield f"line {i}\\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def context(request):
    before = SEEN.get()
    SEEN.set(request.query_params["mark"])  # in this request's task: never seen by another
    return JSONResponse({"before": before, "own": request.scope.get(OWN_CONTEXT, False)})


app = Starlette(routes=[
    Route("/json", json_, methods=["GET", "HEAD"]),
    Route("/empty", empty),
    Route("/stream", stream),
    Route("/context", context),
])
uvicorn.run(
    app,
    host="127.0.0.1",
    port=int(sys.argv[1]),
    http=sys.argv[2],
    log_level="warning",
    reset_contextvars=True,  # as `fedgate serve` runs it
)
"""


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    home = tmp_path_factory.mktemp("http")
    script, log = home / "server.py", home / "server.log"
    script.write_text(SERVER)
    found = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(script), str(found), PROTOCOL],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],  # the checkout: `gateway` importable
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", found), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield found
    finally:
        stop_server(process, log)


def _exchange(conn: socket.socket, request: bytes, ends_with: bytes) -> bytes:
    conn.sendall(request)
    received = b""
    deadline = time.monotonic() + 10
    while not received.endswith(ends_with):
        assert time.monotonic() < deadline, f"incomplete response: {received!r}"
        chunk = conn.recv(65536)
        assert chunk, f"connection closed early: {received!r}"
        received += chunk
    return received


def test_responses_of_every_kind_on_one_keep_alive_connection(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        get = _exchange(conn, b"GET /json HTTP/1.1\r\nHost: t\r\n\r\n", b'{"ok":true}')
        assert get.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"content-length: 11\r\n" in get
        head = _exchange(conn, b"HEAD /json HTTP/1.1\r\nHost: t\r\n\r\n", b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        empty = _exchange(conn, b"GET /empty HTTP/1.1\r\nHost: t\r\n\r\n", b"\r\n\r\n")
        assert empty.startswith(b"HTTP/1.1 204 No Content\r\n")
        stream = _exchange(conn, b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n", b"0\r\n\r\n")
        assert b"transfer-encoding: chunked" in stream
        assert stream.split(b"\r\n\r\n", 1)[1] == (
            b"7\r\nline 0\n\r\n7\r\nline 1\n\r\n7\r\nline 2\n\r\n0\r\n\r\n"
        )
        again = _exchange(conn, b"GET /json HTTP/1.1\r\nHost: t\r\n\r\n", b'{"ok":true}')
        assert again.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_small_response_arrives_whole_in_the_first_read(port: int) -> None:
    """Head and body in one write: the client's first read holds the whole response (with
    uvicorn's own httptools protocol, 194 of 200 first reads held only the head)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        split = 0
        for _ in range(100):
            conn.sendall(b"GET /json HTTP/1.1\r\nHost: t\r\n\r\n")
            first = conn.recv(65536)
            assert first.startswith(b"HTTP/1.1 200 OK\r\n")
            if not first.endswith(b'{"ok":true}'):
                split += 1
                _exchange(conn, b"", b'{"ok":true}')
        assert split == 0


def test_each_request_runs_in_a_context_of_its_own_pipelined_too(port: int) -> None:
    """As `fedgate serve` runs uvicorn (`reset_contextvars`): a context variable one request
    sets is seen by no later request on the connection, pipelined ones included (uvicorn
    starts those from the previous request's task), and the scope says so (`OWN_CONTEXT`):
    the auth middleware then leaves a request's state in that context, undone by nobody."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        first = _exchange(conn, b"GET /context?mark=a HTTP/1.1\r\nHost: t\r\n\r\n", b"}")
        pipelined = b"".join(
            f"GET /context?mark={mark} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for mark in "bcd"
        )
        conn.sendall(pipelined)
        rest = b""
        deadline = time.monotonic() + 10
        while rest.count(b"}") < 3:
            assert time.monotonic() < deadline, f"incomplete responses: {rest!r}"
            chunk = conn.recv(65536)
            assert chunk, f"connection closed early: {rest!r}"
            rest += chunk
    bodies = [part.rsplit(b"\r\n\r\n", 1)[-1] for part in (first + rest).split(b"}")[:-1]]
    seen = [orjson.loads(body + b"}") for body in bodies]
    assert [s["before"] for s in seen] == ["unset"] * 4
    assert [s["own"] for s in seen] == [True] * 4
