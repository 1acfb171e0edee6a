"""Standard Webhooks (v1) signatures. Stdlib only: safe to import from config, CLI and tests.

The package's API is `service.webhooks.signature`'s `__all__`."""

from service.webhooks.signature import *  # noqa: F403
from service.webhooks.signature import __all__  # noqa: F401
