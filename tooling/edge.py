"""A real HTTP edge in front of a local service: Caddy's `reverse_proxy` (Debian's `caddy`),
configured the way a platform's edge behaves, on loopback addresses only.

    with caddy_edge("127.0.0.1:8000", log_path) as edge:    # edge.base_url -> the service

- `append_forwarded_for=True` (the default): the edge keeps whatever `X-Forwarded-For` the
  client sent and appends the address it received the request from, as Render's edge
  (Cloudflare) and most load balancers do, so a forged leftmost entry reaches the service.
  False: Caddy's own default, which replaces the header with the peer address.
- `client_ip_header="True-Client-IP"`: the edge also sets that header to the peer address,
  overwriting any the client sent (what Render's edge does with `True-Client-IP`).
- `site_options`: more Caddyfile lines for the site block (e.g. `tls internal`, for a TLS
  edge with its own CA; the address then is `https://`). Its root stays in Caddy's throwaway
  state directory (`Edge.ca_certificate`): `skip_install_trust`, since Caddy otherwise adds
  it to the machine's trust store (as root it can), and every client here would then trust
  the edge without being told to, hiding exactly the CA problems a TLS edge is there to show.

Caddy's own log never holds a credential: it logs the request headers of every failed
proxying (a 502 while the service is down), so the key, bearer token, cookie and signature
headers are deleted from its log entries.

The service behind it counts the edge as one proxy hop (`TRUSTED_PROXY_HOPS=1`).
"""

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.exchange import SENSITIVE_HEADERS
from tooling.servers import free_port, stop

# Request headers that carry credentials, as Caddy's log spells them (canonical form).
CREDENTIAL_HEADERS = tuple(
    "-".join(part.capitalize() for part in name.split("-")) for name in sorted(SENSITIVE_HEADERS)
)


def caddy_problem() -> str | None:
    return (
        None if shutil.which("caddy") else "caddy is not installed (Debian: apt-get install caddy)"
    )


@dataclass
class Edge:
    base_url: str
    config_path: Path
    log_path: Path
    process: subprocess.Popen
    home: Path  # Caddy's state while it runs (removed afterwards)
    port: int

    @property
    def ca_certificate(self) -> Path:
        """The root of `tls internal`'s CA (exists once Caddy has issued a certificate)."""
        return self.home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"


def caddyfile(
    port: int,
    upstream: str,
    *,
    append_forwarded_for: bool = True,
    client_ip_header: str | None = None,
    site_options: list[str] | None = None,
    scheme: str = "http",
) -> str:
    proxy = [f"\treverse_proxy {upstream} {{"]
    if append_forwarded_for:
        # Trusting the (loopback) client makes Caddy append to its X-Forwarded-For instead of
        # replacing it: the forged leftmost entries arrive, as they do through Render's edge.
        proxy.append("\t\ttrusted_proxies 127.0.0.0/8 ::1/128")
    if client_ip_header:
        proxy.append(f"\t\theader_up {client_ip_header} {{remote_host}}")
    proxy.append("\t}")
    lines = [
        "{",
        "\tadmin off",
        *(["\tskip_install_trust"] if scheme == "https" else ["\tauto_https off"]),
        "\tlog {",
        "\t\toutput stderr",
        "\t\tformat filter {",
        "\t\t\twrap json",
        "\t\t\tfields {",
        *(f"\t\t\t\trequest>headers>{name} delete" for name in CREDENTIAL_HEADERS),
        "\t\t\t}",
        "\t\t}",
        "\t}",
        "}",
        f"{scheme}://127.0.0.1:{port} {{",
        "\tbind 127.0.0.1",
        *(f"\t{line}" for line in site_options or []),
        *proxy,
        "}",
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def caddy_edge(
    upstream: str,
    log_path: Path,
    *,
    startup_timeout: float = 20,
    **site: Any,
) -> Iterator[Edge]:
    """Caddy on a free loopback port, proxying to `upstream` ("127.0.0.1:PORT"); `site`:
    the options of `caddyfile` (scheme, forwarded-for, client-IP header, site lines)."""
    host = upstream.rpartition(":")[0].strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"{upstream}: the edge proxies to loopback addresses only")
    port = free_port()
    state = tempfile.TemporaryDirectory(prefix="caddy-")  # its autosave and internal CA
    home = Path(state.name)
    config = home / "Caddyfile"
    config.write_text(caddyfile(port, upstream, **site))
    env = {  # Caddy keeps its state under these: a throwaway directory, not the user's home
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    log = open(log_path, "ab")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    scheme = site.get("scheme", "http")
    edge = Edge(f"{scheme}://127.0.0.1:{port}", config, log_path, process, home, port)
    try:
        _wait_listening(edge, startup_timeout)
        yield edge
    finally:
        stop(process)
        log.close()
        state.cleanup()


def _wait_listening(edge: Edge, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if edge.process.poll() is not None:
            raise RuntimeError(f"caddy exited with {edge.process.returncode}: see {edge.log_path}")
        try:
            socket.create_connection(("127.0.0.1", edge.port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"caddy did not listen on {edge.base_url} within {timeout:.0f} s")
