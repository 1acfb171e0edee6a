"""Write protection: API keys (`X-API-Key`) and rate limits, as one FastAPI dependency on
every write route (POST/PUT/PATCH/DELETE on products and orders). Reads and the webhook
(which has its own signature) never need a key.

Rate limits use the `limits` library: counters in memory (per process) by default, in
Redis when `REDIS_URL` is set so the limit holds across workers and instances. The
`X-RateLimit-*` headers reach the response through the request state; the pure ASGI
middleware adds them to whatever response the route or an error handler produced.
"""

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
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


@dataclass
class WriteProtection:
    keys: list[bytes]
    limit: RateLimitItem | None
    limiter: FixedWindowRateLimiter | None

    @classmethod
    def from_settings(cls, settings: Settings) -> "WriteProtection":
        keys = [key.encode() for key in settings.api_keys]
        spec = settings.effective_rate_limit
        if not spec:
            return cls(keys, None, None)
        try:
            limit = parse(spec)
        except ValueError as exc:
            raise ValueError(f"RATE_LIMIT {spec!r} is not like '100/minute'") from exc
        storage = (
            RedisStorage(f"async+{settings.redis_url}", implementation="redispy")
            if settings.redis_url
            else MemoryStorage()
        )
        return cls(keys, limit, FixedWindowRateLimiter(storage))

    def check_key(self, presented: str | None) -> None:
        if not self.keys:
            return
        if not presented:
            raise ApiError("missing_api_key")
        valid = False
        for key in self.keys:  # compare with every key: the time does not tell which matched
            valid |= hmac.compare_digest(presented.encode(), key)
        if not valid:
            raise ApiError("invalid_api_key")

    async def check_rate(self, request: Request, presented: str | None) -> None:
        if self.limit is None or self.limiter is None:
            return
        # Per API key when one is configured and presented, else per client address.
        if self.keys and presented:
            identity = "key:" + hashlib.sha256(presented.encode()).hexdigest()[:16]
        else:
            identity = "ip:" + (request.client.host if request.client else "unknown")
        allowed = await self.limiter.hit(self.limit, "writes", identity)
        stats = await self.limiter.get_window_stats(self.limit, "writes", identity)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        headers = {
            "X-RateLimit-Limit": str(self.limit.amount),
            "X-RateLimit-Remaining": str(max(0, stats.remaining)),
            "X-RateLimit-Reset": str(reset),
        }
        request.state.extra_headers = headers
        if not allowed:
            raise ApiError(
                "rate_limited",
                limit=self.limit.amount,
                seconds=self.limit.get_expiry(),
                headers={"Retry-After": str(max(1, reset))},
            )


async def guard_write(
    request: Request, api_key: Annotated[str | None, Security(api_key_scheme)] = None
) -> None:
    protection: WriteProtection = request.app.state.write_protection
    protection.check_key(api_key)
    await protection.check_rate(request, api_key)


WriteGuard = Depends(guard_write)
