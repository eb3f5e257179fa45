"""JSON logs through structlog, with the correlation id of the flow being handled bound to every line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog


def configure_logging(service: str, level: str = "INFO", json_output: bool = True) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")


@contextmanager
def bind_correlation(correlation_id: str, causation_id: str | None = None) -> Iterator[None]:
    """Every log line inside the block carries the flow's correlation id (and what caused it).

    bind + reset by token rather than structlog's `bound_contextvars`, which copies the whole context to
    remember what was bound before: that cost half of a consumed message's time in the Dispatcher."""
    tokens = structlog.contextvars.bind_contextvars(correlationid=correlation_id, causationid=causation_id)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
