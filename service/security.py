"""Write protection and the metrics token: API keys (`X-API-Key`), rate limits, and a limit
on failed key checks per client address. One FastAPI dependency guards every write route
(POST/PUT/PATCH/DELETE on products and orders); another guards `/metrics`. Reads and the
webhook (which has its own signature) never need a key.

Rate limits use the `limits` library: counters in memory (per process) by default, in
Redis when `REDIS_URL` is set so a limit holds across workers and instances. Two limits:

- writes (`RATE_LIMIT`): per API key when keys are configured, else per client address;
- failed key checks (`AUTH_FAILURE_LIMIT`): a missing or wrong `X-API-Key` (401/403) or
  metrics token counts against the client address. Once an address has used up its budget,
  every keyed request from it is refused with 429 until the window ends, *before* the key is
  compared: otherwise a guesser would still learn which guess is right (201 among 429s).

The client address is the one `service.middleware` resolved (what the edge vouches for);
IPv6 clients are counted per /64, the block one client typically holds. The `X-RateLimit-*`
headers reach the response through the request state; the pure ASGI middleware adds them to
whatever response the route or an error handler produced, 401 and 403 included.
"""

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from service.config import Settings
from service.errors import ApiError

API_KEY_HEADER = "X-API-Key"
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="Required on writes when the service is configured with API_KEYS.",
)


def _parse_limit(setting: str, spec: str) -> RateLimitItem:
    try:
        return parse(spec)
    except ValueError as exc:
        raise ValueError(f"{setting} {spec!r} is not like '100/minute'") from exc


def address_identity(request: Request) -> str:
    """The rate-limit identity of the client address: IPv4 as is, IPv6 per /64."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "ip:" + host
    if isinstance(address, ipaddress.IPv6Address):
        return "ip6:" + str(ipaddress.ip_network(f"{address}/64", strict=False))
    return "ip:" + str(address)


@dataclass
class Limit:
    """One fixed-window limit in its own namespace, publishing the contract's headers."""

    item: RateLimitItem
    namespace: str
    limiter: FixedWindowRateLimiter
    what: str  # the 429's detail: "Too many {what}: ..."

    async def hit(self, request: Request, identity: str) -> bool:
        allowed = await self.limiter.hit(self.item, self.namespace, identity)
        await self._publish(request, identity)
        return allowed

    async def exhausted(self, request: Request, identity: str) -> bool:
        """Whether `identity` has no budget left (without spending any)."""
        if await self.limiter.test(self.item, self.namespace, identity):
            return False
        await self._publish(request, identity)
        return True

    def refused(self, request: Request) -> ApiError:
        reset = request.state.extra_headers["X-RateLimit-Reset"]
        return ApiError(
            "rate_limited",
            what=self.what,
            limit=self.item.amount,
            seconds=self.item.get_expiry(),
            headers={"Retry-After": str(max(1, int(reset)))},
        )

    async def _publish(self, request: Request, identity: str) -> None:
        stats = await self.limiter.get_window_stats(self.item, self.namespace, identity)
        request.state.extra_headers = {
            "X-RateLimit-Limit": str(self.item.amount),
            "X-RateLimit-Remaining": str(max(0, stats.remaining)),
            "X-RateLimit-Reset": str(max(0, math.ceil(stats.reset_time - time.time()))),
        }


@dataclass
class WriteProtection:
    keys: list[bytes]
    writes: Limit | None
    failures: Limit | None
    metrics_token: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "WriteProtection":
        keys = [key.encode() for key in settings.api_keys]
        token = (
            settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None
        )
        write_spec = settings.effective_rate_limit
        failure_spec = settings.effective_auth_failure_limit
        writes = _parse_limit("RATE_LIMIT", write_spec) if write_spec else None
        failures = _parse_limit("AUTH_FAILURE_LIMIT", failure_spec) if failure_spec else None
        if not (writes or failures):
            return cls(keys, None, None, token)
        storage: Storage = (
            RedisStorage(f"async+{settings.redis_url}", implementation="redispy")
            if settings.redis_url
            else MemoryStorage()
        )
        limiter = FixedWindowRateLimiter(storage)
        return cls(
            keys,
            Limit(writes, "writes", limiter, "write requests") if writes else None,
            Limit(failures, "auth-failures", limiter, "failed key checks from this address")
            if failures
            else None,
            token,
        )

    async def check_key(self, request: Request, presented: str | None) -> None:
        """401/403 for a missing/wrong key (counted per address); 429 once the address has
        no failed checks left, whatever it presents now."""
        if not self.keys:
            return
        await self._refuse_exhausted(request)
        if not presented:
            await self._fail(request, "missing_api_key")
        valid = False
        for key in self.keys:  # compare with every key: the time does not tell which matched
            valid |= hmac.compare_digest(presented.encode(), key)
        if not valid:
            await self._fail(request, "invalid_api_key")

    async def check_metrics_token(self, request: Request, authorization: str | None) -> None:
        if self.metrics_token is None:
            return
        await self._refuse_exhausted(request)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.metrics_token
        ):
            await self._fail(request, "invalid_metrics_token", {"WWW-Authenticate": "Bearer"})

    async def check_rate(self, request: Request, presented: str | None) -> None:
        if self.writes is None:
            return
        # Per API key when keys are configured (the key is valid by now), else per address.
        if self.keys and presented:
            identity = "key:" + hashlib.sha256(presented.encode()).hexdigest()[:16]
        else:
            identity = address_identity(request)
        if not await self.writes.hit(request, identity):
            raise self.writes.refused(request)

    async def _refuse_exhausted(self, request: Request) -> None:
        if self.failures and await self.failures.exhausted(request, address_identity(request)):
            raise self.failures.refused(request)

    async def _fail(self, request: Request, code: str, headers: dict | None = None) -> None:
        if self.failures and not await self.failures.hit(request, address_identity(request)):
            raise self.failures.refused(request)  # a concurrent failure took the last one
        raise ApiError(code, headers=headers)


async def guard_write(
    request: Request, api_key: Annotated[str | None, Security(api_key_scheme)] = None
) -> None:
    protection: WriteProtection = request.app.state.write_protection
    await protection.check_key(request, api_key)
    await protection.check_rate(request, api_key)


async def guard_metrics(request: Request) -> None:
    protection: WriteProtection = request.app.state.write_protection
    await protection.check_metrics_token(request, request.headers.get("authorization"))


WriteGuard = Depends(guard_write)
MetricsGuard = Depends(guard_metrics)
