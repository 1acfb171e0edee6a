"""The latency proxy adds its delay each way and nothing else (a stand-in for a network hop)."""

import socket
import socketserver
import statistics
import threading
import time

from tooling.delay_proxy import delay_proxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


def _round_trips(port: int, count: int = 20) -> list[float]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for i in range(count):
            message = f"ping {i}".encode()
            started = time.perf_counter()
            sock.sendall(message)
            received = b""
            while len(received) < len(message):
                received += sock.recv(65536)
            times.append(time.perf_counter() - started)
            assert received == message
    return times


def test_each_way_delay_is_added_and_bytes_pass_unchanged():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        direct = statistics.median(_round_trips(server.server_address[1]))
        with delay_proxy(server.server_address, delay_ms=10) as port:
            proxied = statistics.median(_round_trips(port))
            # a large payload arrives whole and in order
            payload = bytes(range(256)) * 4096
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                echoed = b""
                while chunk := sock.recv(65536):
                    echoed += chunk
            assert echoed == payload
    finally:
        server.shutdown()
    assert 0.018 <= proxied - direct <= 0.060, (direct, proxied)  # 2 x 10 ms, plus scheduling
