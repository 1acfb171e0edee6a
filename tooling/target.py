"""Where a run sends its requests: one `Target`, one way to choose it.

pytest (`conftest.py`), the evidence builder and the Locust runner all take the same
options and resolve them here:

    --target local|ngrok|render   local (the default) starts the service itself
    --base-url URL                a running deployment (or RENDER_URL / NGROK_URL)
    --webhook-secret / --api-key  or WEBHOOK_SECRET / API_KEY (prefer the environment:
                                  a command line is visible to every user in `ps`)
    --warmup-timeout SECONDS      how long to wait for a sleeping deployment

Secrets never appear in a repr (pytest prints fixture values in failure messages, and those
end up in JUnit XML, HTML reports and the evidence page).
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

KINDS = ("local", "render", "ngrok", "url")  # display order
REMOTE_CHOICES = ("local", "ngrok", "render")  # `url` is implied by --base-url alone
URL_ENV = {"render": "RENDER_URL", "ngrok": "NGROK_URL"}
SECRET_ENV = "WEBHOOK_SECRET"
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
        return env


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
    environ: Mapping[str, str] = os.environ,
    need_secret: bool = True,
) -> Target:
    """The target the options name; raises TargetError with a usage message."""
    kind = kind or ("url" if base_url else "local")
    if kind not in KINDS:
        raise TargetError(f"unknown target {kind!r}: one of {', '.join(KINDS)}")
    api_key = api_key or environ.get(API_KEY_ENV) or None
    if kind == "local":
        return Target("local", "local", api_key=api_key, warmup_timeout=warmup_timeout)
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
    )


def from_options(options: Any, **kwargs: Any) -> Target:
    """`resolve` from an argparse Namespace (or anything with the same attributes)."""
    return resolve(
        getattr(options, "target", None),
        getattr(options, "base_url", None),
        getattr(options, "webhook_secret", None),
        getattr(options, "api_key", None),
        warmup_timeout=getattr(options, "warmup_timeout", DEFAULT_WARMUP_S),
        **kwargs,
    )
