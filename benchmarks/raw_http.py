"""A minimal HTTP/1.1 keep-alive client for latency figures: bytes over one socket.

A pure-Python client library (httpx over h11) spends some 0.2-0.3 ms per request
building and parsing messages; that is the client's time, not the server's. This
one sends a prebuilt request and reads the status line, the headers and a
`Content-Length` body, so a latency figure is almost all server and network.
It checks the status (2xx) and reads every body byte; it does not follow
redirects or read chunked bodies (the benchmarked routes send neither).
"""

from __future__ import annotations

import socket

import orjson


class RawClient:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._sock = socket.create_connection((host, port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def request_bytes(self, method: str, path: str, body: object = None) -> bytes:
        """The request as sent on the wire (build once, send many times)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n"
        payload = b"" if body is None else orjson.dumps(body)
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        return head.encode() + b"\r\n" + payload

    def send(self, request: bytes) -> tuple[int, bytes]:
        """Send `request`; the status and body of the answer (an error unless 2xx)."""
        self._sock.sendall(request)
        while b"\r\n\r\n" not in self._buffer:
            self._read()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked answers are not read by this client")
        while len(rest) < length:
            rest += self._recv()
        body, self._buffer = rest[:length], rest[length:]
        if not 200 <= status < 300:
            raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
        return status, body

    def _read(self) -> None:
        self._buffer += self._recv()

    def _recv(self) -> bytes:
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self._sock.close()
