"""The PostgreSQL wire counter reads the frontend protocol however the bytes are chunked."""

import struct

from tooling.pg_wire import WireCounter


def message(kind: str, body: bytes) -> bytes:
    return kind.encode() + struct.pack("!I", len(body) + 4) + body


def startup() -> bytes:
    ssl_request = struct.pack("!II", 8, 80877103)  # answered "N" by the server, then:
    params = b"user\0postgres\0\0"
    return ssl_request + struct.pack("!II", 8 + len(params), 196608) + params


def client_bytes() -> bytes:
    return b"".join(
        [
            startup(),
            message("Q", b"BEGIN\0"),
            message("P", b"s1\0SELECT  $1\n FROM t\0\0\0"),
            message("B", b"\0s1\0" + b"\0" * 6),
            message("D", b"P\0"),
            message("E", b"\0\0\0\0\0"),
            message("S", b""),
            message("B", b"\0s1\0" + b"\0" * 6),  # the prepared statement again
            message("E", b"\0\0\0\0\0"),
            message("S", b""),
            message("Q", b"COMMIT\0"),
        ]
    )


def test_round_trips_and_statements_in_any_chunking():
    data = client_bytes()
    for size in (1, 3, 7, len(data)):
        counter = WireCounter()
        feed = counter.connection()
        with counter.window() as seen:
            for start in range(0, len(data), size):
                feed(data[start : start + size])
        assert seen.round_trips == 4
        assert seen.statements == ["BEGIN", "SELECT $1 FROM t", "SELECT $1 FROM t", "COMMIT"]


def test_a_window_sees_only_what_was_sent_while_open():
    counter = WireCounter()
    feed = counter.connection()
    feed(startup() + message("Q", b"SELECT 1\0"))
    with counter.window() as seen:
        feed(message("Q", b"SELECT 2\0"))
    feed(message("Q", b"SELECT 3\0"))
    assert seen.statements == ["SELECT 2"] and seen.round_trips == 1
