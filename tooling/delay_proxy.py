"""A TCP proxy that adds a fixed latency each way: a network hop on one machine.

    python -m tooling.delay_proxy --listen 127.0.0.1:6543 --upstream 127.0.0.1:5432 --delay-ms 2

The kernel here has no netem, so this stands in for "PostgreSQL one network hop away" or
"a deployment 30 ms away": every chunk read from one side is written to the other `delay`
seconds after it arrived, in order. It is latency, not a bandwidth limit: chunks in flight
overlap, as packets on a real link do. Loopback addresses only.

`tap` (optional) sees the bytes each client sends, per connection, as they arrive: a factory
called once per accepted connection, returning the function that is fed that connection's
chunks (`tooling.pg_wire` counts PostgreSQL protocol messages with it).
"""

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

CHUNK = 65536
Tap = Callable[[], Callable[[bytes], None]]


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError(f"{host} is not a loopback address")
    return host, int(port)


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    seen: Callable[[bytes], None] | None = None,
) -> None:
    """Forward everything from `reader` to `writer`, each chunk `delay` after it arrived
    (and shown to `seen` first, when given)."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()

    sender = asyncio.create_task(send())
    loop = asyncio.get_running_loop()
    try:
        while data := await reader.read(CHUNK):
            if seen is not None:
                seen(data)
            queue.put_nowait((loop.time() + delay, data))
    except (ConnectionError, OSError):
        pass
    except asyncio.CancelledError:
        sender.cancel()
        raise
    queue.put_nowait((loop.time() + delay, b""))
    with contextlib.suppress(ConnectionError, OSError):
        await sender


async def _handle(
    client_reader, client_writer, upstream: tuple[str, int], delay: float, tap: Tap | None = None
) -> None:
    try:
        up_reader, up_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    for w in (client_writer, up_writer):
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await asyncio.gather(
            _pump(client_reader, up_writer, delay, tap() if tap else None),
            _pump(up_reader, client_writer, delay),
            return_exceptions=True,
        )
    finally:
        for w in (client_writer, up_writer):
            w.close()


async def serve(
    listen: tuple[str, int],
    upstream: tuple[str, int],
    delay_s: float,
    started: threading.Event | None = None,
    stop: asyncio.Event | None = None,
    bound: list | None = None,
    tap: Tap | None = None,
) -> None:
    # The connections' tasks, held here: asyncio keeps only weak references to tasks, and
    # the streams module lets go of its own once the client side is gone.
    connections: set[asyncio.Task] = set()

    def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(_handle(reader, writer, upstream, delay_s, tap))
        connections.add(task)
        task.add_done_callback(connections.discard)

    server = await asyncio.start_server(accepted, *listen, reuse_address=True)
    if bound is not None:
        bound.append(server.sockets[0].getsockname()[1])
    if started is not None:
        started.set()
    try:
        async with server:
            if stop is None:
                await server.serve_forever()
            else:
                await stop.wait()
    finally:
        for task in list(connections):
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)


@contextmanager
def delay_proxy(
    upstream: tuple[str, int], delay_ms: float, tap: Tap | None = None
) -> Iterator[int]:
    """Run the proxy in a background thread for the block; yields its loopback port."""
    started, bound = threading.Event(), []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(
            serve(("127.0.0.1", 0), upstream, delay_ms / 1000, started, stop, bound, tap)
        )

    thread = threading.Thread(target=run, name="delay-proxy", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("delay proxy did not start")
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=_address, required=True, help="127.0.0.1:PORT")
    parser.add_argument("--upstream", type=_address, required=True, help="127.0.0.1:PORT")
    parser.add_argument("--delay-ms", type=float, required=True, help="added each way")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    print(
        f"delay proxy {args.listen[0]}:{args.listen[1]} -> {args.upstream[0]}:{args.upstream[1]}"
        f" (+{args.delay_ms:g} ms each way) since {time.strftime('%H:%M:%S')}",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.listen, args.upstream, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
