"""Count what a PostgreSQL client sends, as the server receives it: round trips and statements.

    counter = WireCounter()
    with delay_proxy(("127.0.0.1", 5432), delay_ms=0, tap=counter.connection) as port:
        ...  # point the client at 127.0.0.1:<port> with sslmode=disable
        with counter.window() as seen:
            ...  # one request
        seen.round_trips, seen.statements  # ["BEGIN", "SELECT ...", "ROLLBACK"]

It reads the frontend half of the wire protocol (v3): after the start-up packet, each
message is a type byte and a length. A round trip is a simple `Query` or a `Sync` (the end
of an extended-protocol batch: Parse/Bind/Execute/Sync, what psycopg sends for every
statement with parameters); a statement is a `Query` or an `Execute`. It sees what no
client-side hook sees: the driver's implicit `BEGIN`, `COMMIT`, `ROLLBACK` and a pool's
pre-ping. TLS cannot be read: connect with `sslmode=disable`.
"""

import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_STARTUP_V3 = 196608  # protocol 3.0; SSLRequest / GSSENCRequest codes come before it


@dataclass
class Window:
    """What the clients sent while a `WireCounter.window()` was open."""

    round_trips: int = 0
    statements: list[str] = field(default_factory=list)


class WireCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: list[Window] = []

    def connection(self) -> Callable[[bytes], None]:
        """A parser for one client connection (the proxy's `tap`)."""
        buffer = bytearray()
        started = False
        prepared: dict[bytes, str] = {}  # statement name -> SQL (Parse), for later Executes
        portals: dict[bytes, str] = {}

        def feed(data: bytes) -> None:
            nonlocal started
            buffer.extend(data)
            while True:
                if not started:
                    if len(buffer) < 8:
                        return
                    length, code = struct.unpack("!II", buffer[:8])
                    if len(buffer) < length:
                        return
                    del buffer[:length]
                    started = code == _STARTUP_V3
                    continue
                if len(buffer) < 5:
                    return
                kind = chr(buffer[0])
                (length,) = struct.unpack("!I", buffer[1:5])
                if len(buffer) < 1 + length:
                    return
                body = bytes(buffer[5 : 1 + length])
                del buffer[: 1 + length]
                self._message(kind, body, prepared, portals)

        return feed

    def _message(self, kind: str, body: bytes, prepared: dict, portals: dict) -> None:
        if kind == "P":  # Parse: name, query
            name, query = body.split(b"\0", 2)[:2]
            prepared[name] = query.decode(errors="replace")
        elif kind == "B":  # Bind: portal, statement
            portal, statement = body.split(b"\0", 2)[:2]
            portals[portal] = prepared.get(statement, "?")
        elif kind == "Q":
            self._record(True, body.split(b"\0", 1)[0].decode(errors="replace"))
        elif kind == "E":
            self._record(False, portals.get(body.split(b"\0", 1)[0], "?"))
        elif kind == "S":
            self._record(True, None)

    def _record(self, round_trip: bool, statement: str | None) -> None:
        with self._lock:
            for window in self._windows:
                window.round_trips += round_trip
                if statement is not None:
                    window.statements.append(" ".join(statement.split()))

    @contextmanager
    def window(self) -> Iterator[Window]:
        seen = Window()
        with self._lock:
            self._windows.append(seen)
        try:
            yield seen
        finally:
            with self._lock:
                self._windows.remove(seen)
