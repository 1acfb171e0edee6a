"""Where a run sends its requests: one `Target`, one way to choose it.

pytest (`conftest.py`), the evidence builder and the Locust runner all take the same
options and resolve them here:

    --target local|ngrok|render   local (the default) starts the service itself
    --base-url URL                a running deployment (or RENDER_URL / NGROK_URL)
    --webhook-secret / --api-key  or WEBHOOK_SECRET / API_KEY (prefer the environment:
                                  a command line is visible to every user in `ps`)
    --warmup-timeout SECONDS      how long to wait for a sleeping deployment
    --ca-bundle PEM               the CA that signed the deployment's certificate, when it is
                                  not a public one (a corporate CA, a local TLS edge); default
                                  $REQUESTS_CA_BUNDLE, else $SSL_CERT_FILE

One CA setting reaches every client: `trust_ca()` exports it as REQUESTS_CA_BUNDLE (and
SSL_CERT_FILE where unset) for this process and `env()` for its subprocesses (requests,
Schemathesis, Locust's setup), the curl recorder turns it into `--cacert`, and the browser
steps import it into a private NSS database (tooling/browser.py): Chromium reads neither.

Secrets never appear in a repr (pytest prints fixture values in failure messages, and those
end up in JUnit XML, HTML reports and the evidence page).
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

KINDS = ("local", "render", "ngrok", "url")  # display order
REMOTE_CHOICES = ("local", "ngrok", "render")  # `url` is implied by --base-url alone
URL_ENV = {"render": "RENDER_URL", "ngrok": "NGROK_URL"}
SECRET_ENV = "WEBHOOK_SECRET"
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")  # read in this order
API_KEY_ENV = "API_KEY"
DEFAULT_WARMUP_S = 180.0
LABELS = {"local": "Local", "render": "Render", "ngrok": "ngrok", "url": "Deployment (URL)"}


class TargetError(ValueError):
    """The options do not name a usable target (a usage error, never a green skip)."""


@dataclass(frozen=True)
class Target:
    """One place the suites talk to.

    `name` tells runs apart in reports (`local-sqlite`, `local-postgres`, `render`, ...);
    `kind` is what was asked for (`local`, `render`, `ngrok`, `url`). A local target has no
    base URL until its service is started (`started`).
    """

    name: str
    kind: str
    base_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    backend: str = "remote"  # sqlite, postgres, remote
    server: Any = field(default=None, repr=False, compare=False)  # tooling.servers.LocalServer
    warmup_timeout: float = DEFAULT_WARMUP_S
    ca_bundle: str | None = None  # CA certificates to trust: a PEM file or a directory of them

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    @property
    def origin(self) -> str:
        """scheme://host[:port]: /docs, /redoc and /openapi.json stay at the server root,
        whatever API_PREFIX the base URL carries."""
        parts = urlsplit(self.base_url or "")
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)

    def started(self, server: Any, backend: str) -> "Target":
        """This local target, running: the server's URL and the secret it was started with."""
        return replace(
            self,
            name=f"local-{backend}",
            base_url=server.base_url,
            webhook_secret=server.webhook_secret,
            api_key=getattr(server, "api_key", None) or self.api_key,
            backend=backend,
            server=server,
        )

    def secrets(self) -> list[str]:
        return [s for s in (self.webhook_secret, self.api_key) if s]

    def mask(self, text: str) -> str:
        """`text` with every secret of this target replaced (for logs and reports)."""
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def env(self) -> dict[str, str]:
        """The target for a subprocess: through the environment, never argv."""
        env = {}
        if self.base_url:
            env["BASE_URL"] = self.base_url
        if self.webhook_secret:
            env[SECRET_ENV] = self.webhook_secret
        if self.api_key:
            env[API_KEY_ENV] = self.api_key
        env.update(ca_env(self.ca_bundle))
        return env


def ca_bundle_from(environ: Mapping[str, str] = os.environ) -> str | None:
    """The CA bundle a user set the usual way (REQUESTS_CA_BUNDLE, else SSL_CERT_FILE)."""
    return next((environ[name] for name in CA_BUNDLE_ENV if environ.get(name)), None)


def ca_env(ca_bundle: str | None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The variables that carry `ca_bundle`: REQUESTS_CA_BUNDLE (requests, Schemathesis), and
    SSL_CERT_FILE (Python's ssl, OpenSSL-based tools) unless the user has set one already."""
    if not ca_bundle:
        return {}
    env = {CA_BUNDLE_ENV[0]: ca_bundle}
    if not environ.get(CA_BUNDLE_ENV[1]):
        env[CA_BUNDLE_ENV[1]] = ca_bundle
    return env


def trust_ca(target: Target) -> None:
    """Make this process's clients (and so its subprocesses) trust the target's CA bundle;
    a no-op without one."""
    os.environ.update(ca_env(target.ca_bundle))


# (flags, keyword arguments) of each option; the same for argparse and pytest's parser.
OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--target",),
        {
            "choices": REMOTE_CHOICES,
            "default": None,
            "help": "local (default: start the service), ngrok or render",
        },
    ),
    (("--base-url",), {"default": None, "help": "base URL of a running deployment"}),
    (
        ("--webhook-secret",),
        {"default": None, "help": f"the deployment's webhook secret (better: ${SECRET_ENV})"},
    ),
    (
        ("--api-key",),
        {"default": None, "help": f"X-API-Key for writes (better: ${API_KEY_ENV})"},
    ),
    (
        ("--warmup-timeout",),
        {
            "type": float,
            "default": DEFAULT_WARMUP_S,
            "help": "seconds to wait for a sleeping deployment to answer /health",
        },
    ),
    (
        ("--ca-bundle",),
        {
            "default": None,
            "help": "PEM file of the CA behind the deployment's certificate "
            f"(default ${CA_BUNDLE_ENV[0]}, else ${CA_BUNDLE_ENV[1]})",
        },
    ),
]


def add_options(add: Callable[..., Any]) -> None:
    """Register the target options with `parser.add_argument` or pytest's `addoption`."""
    for flags, kwargs in OPTIONS:
        add(*flags, **kwargs)


def resolve(
    kind: str | None = None,
    base_url: str | None = None,
    webhook_secret: str | None = None,
    api_key: str | None = None,
    *,
    warmup_timeout: float = DEFAULT_WARMUP_S,
    ca_bundle: str | None = None,
    environ: Mapping[str, str] = os.environ,
    need_secret: bool = True,
) -> Target:
    """The target the options name; raises TargetError with a usage message."""
    kind = kind or ("url" if base_url else "local")
    if kind not in KINDS:
        raise TargetError(f"unknown target {kind!r}: one of {', '.join(KINDS)}")
    api_key = api_key or environ.get(API_KEY_ENV) or None
    ca_bundle = ca_bundle or ca_bundle_from(environ)
    if ca_bundle:
        path = Path(ca_bundle).expanduser().resolve()
        if not path.exists():  # a PEM file, or a directory of them (c_rehash), as for requests
            raise TargetError(
                f"CA bundle {ca_bundle} does not exist (--ca-bundle or $REQUESTS_CA_BUNDLE)"
            )
        ca_bundle = str(path)
    if kind == "local":
        return Target(
            "local", "local", api_key=api_key, warmup_timeout=warmup_timeout, ca_bundle=ca_bundle
        )
    env_name = URL_ENV.get(kind)
    base_url = base_url or (environ.get(env_name) if env_name else None)
    if not base_url:
        raise TargetError(
            f"--target={kind} needs --base-url URL" + (f" or {env_name}" if env_name else "")
        )
    secret = webhook_secret or environ.get(SECRET_ENV) or None
    if need_secret and not secret:
        raise TargetError(
            f"--target={kind} needs the deployment's webhook secret: {SECRET_ENV} "
            "(or --webhook-secret)"
        )
    return Target(
        kind,
        kind,
        base_url.rstrip("/"),
        webhook_secret=secret,
        api_key=api_key,
        warmup_timeout=warmup_timeout,
        ca_bundle=ca_bundle,
    )


def from_options(options: Any, **kwargs: Any) -> Target:
    """`resolve` from an argparse Namespace (or anything with the same attributes)."""
    return resolve(
        getattr(options, "target", None),
        getattr(options, "base_url", None),
        getattr(options, "webhook_secret", None),
        getattr(options, "api_key", None),
        warmup_timeout=getattr(options, "warmup_timeout", DEFAULT_WARMUP_S),
        ca_bundle=getattr(options, "ca_bundle", None),
        **kwargs,
    )
