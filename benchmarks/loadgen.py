"""An open-loop HTTP/1.1 load generator cheap enough to share two cores with the server.

httpx's async client costs 4-7 ms of CPU per request here (measured: 3.7-6.8 s of client CPU
for 1,000 requests in 5 s), so at 200 requests/s it took a whole core from the server it was
measuring and its own queueing showed up as the server's latency. This one keeps a pool of
keep-alive connections, writes pre-encoded requests and reads only the status line and the
Content-Length; tens of microseconds per request. It is a benchmark instrument, not a client:
one request at a time per connection, no TLS, no chunked bodies (the API never sends them)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (method, path, JSON body or None) for request number i
Plan = Callable[[int], tuple[str, str, Any]]


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None
        self.buffer = bytearray()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed by the server"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head[1:]
                       if line[:15].lower() == b"content-length:"), None)
        if length is None:
            self.waiter.set_exception(ValueError("a response without Content-Length"))
            return
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[:end + 4 + length]
        self.waiter.set_result(int(head[0].split(b" ", 2)[1]))

    async def send(self, raw: bytes) -> int:
        assert self.transport is not None
        if self.closed:  # the server closed it while idle (uvicorn's keep-alive timeout)
            raise ConnectionError("closed by the server")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        try:
            return await self.waiter
        finally:
            self.waiter = None


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    dropped: int = 0
    cpu_seconds: float = 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def summary(self) -> dict[str, float]:
        ok = self.statuses.get(200, 0)
        return {"p50": self.pct(0.50), "p90": self.pct(0.90), "p99": self.pct(0.99),
                "errors": self.errors + sum(n for s, n in self.statuses.items() if s != 200),
                "dropped": self.dropped, "ok": ok,
                "client_cpu_us": 1e6 * self.cpu_seconds / max(1, len(self.latencies))}


def encode(host: str, headers: dict[str, str], method: str, path: str, body: Any) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}",
             *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def fixed_rate(host: str, port: int, headers: dict[str, str], plan: Plan, rate: float,
                     seconds: float, max_connections: int = 256, warm: int = 16) -> Result:
    """Request i is due at t0 + i/rate whatever happened to the others; its latency counts
    from that due time (no coordinated omission). A request due while `max_connections` are
    all waiting is dropped, and counted."""
    loop = asyncio.get_running_loop()
    result = Result()
    idle: list[_Connection] = []
    opened = 0

    async def connect() -> _Connection:
        nonlocal opened
        opened += 1
        _, conn = await loop.create_connection(_Connection, host, port)
        return conn

    idle.extend(await asyncio.gather(*(connect() for _ in range(warm))))
    count = int(rate * seconds)
    requests = [encode(f"{host}:{port}", headers, *plan(i)) for i in range(count)]

    async def one(raw: bytes, due: float, conn: _Connection | None) -> None:
        nonlocal opened
        try:
            if conn is None:
                conn = await connect()
            try:
                status = await asyncio.wait_for(conn.send(raw), 60)
            except ConnectionError:  # closed while idle: once more on a new connection
                opened -= 1
                conn = await connect()
                status = await asyncio.wait_for(conn.send(raw), 60)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if not conn.closed:
                idle.append(conn)
        except (OSError, ValueError, TimeoutError):
            opened -= 1
            result.errors += 1
        result.latencies.append(time.perf_counter() - due)

    cpu0 = time.process_time()
    tasks = []
    t0 = time.perf_counter() + 0.05
    for i, raw in enumerate(requests):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = idle.pop() if idle else None
        if conn is None and opened >= max_connections:
            result.dropped += 1
            continue
        tasks.append(asyncio.create_task(one(raw, due, conn)))
    await asyncio.gather(*tasks)
    result.cpu_seconds = time.process_time() - cpu0
    for conn in idle:
        if conn.transport is not None:
            conn.transport.close()
    return result
