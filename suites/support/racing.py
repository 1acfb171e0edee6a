"""Release N requests at once (a barrier), each on its own connection."""

import threading
from collections.abc import Callable

import requests

from suites.support.client import Api


def fresh_client(target) -> Api:
    return Api(target.base_url, webhook_secret=target.webhook_secret, api_key=target.api_key)


def race_clients(
    target, count: int, send: Callable[[Api, int], requests.Response]
) -> list[requests.Response]:
    """`send(client, i)` for each i in range(count), each on a client of its own (its own
    connection), all released at once."""
    clients = [fresh_client(target) for _ in range(count)]
    return race(count, lambda i: send(clients[i], i))


def race(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = send(i)
        except requests.RequestException as exc:  # recorded, then asserted on
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
