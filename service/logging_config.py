"""Logging: one JSON object per line (python-json-logger) or plain lines for people
(`LOG_FORMAT=console`). The access log line per request is written by the middleware with
request_id, method, route template, status, latency_ms and client; no header values, bodies
or secrets are ever logged."""

import logging
import sys

from pythonjsonlogger.orjson import OrjsonFormatter

from service.config import Settings

_CONSOLE = "%(asctime)s %(levelname)s %(name)s %(message)s"


class _ConsoleWithFields(logging.Formatter):
    """Console lines, with the access log's fields appended when present."""

    FIELDS = ("request_id", "route", "latency_ms", "client")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{f}={getattr(record, f)}" for f in self.FIELDS if hasattr(record, f)]
        return f"{line} {' '.join(extras)}" if extras else line


def configure_logging(settings: Settings) -> None:
    # The logging docs' "Optimization" switches: no caller lookup (a stack walk per record)
    # and no thread/process names, none of which our lines print.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            # The orjson flavour: the access log is written once per request, and the
            # stdlib-json formatter was ~6% of the service's CPU under the heavy Locust run.
            OrjsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(_ConsoleWithFields(_CONSOLE))
    logger = logging.getLogger("service")
    logger.handlers[:] = [handler]
    logger.setLevel(settings.log_level.upper())
    logger.propagate = False
