"""`guanwu serve <service>`: one service per process, settings from the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from guanwu.platform.bootstrap import build_bus, build_store, build_token_verifier
from guanwu.platform.logging import configure_logging
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import Runtime, ServiceParts, create_app
from guanwu.platform.settings import ServiceSettings
from guanwu.platform.store.port import DocumentStore


@dataclass(frozen=True)
class ServiceEntry:
    settings_class: Callable[[], ServiceSettings]
    build: Callable[[Any, DocumentStore, OutboxNotifier], ServiceParts]
    """The service's `bootstrap.build(settings, store, outbox_written)`."""


def _declaration() -> ServiceEntry:
    from guanwu.declaration import bootstrap
    from guanwu.declaration.config import DeclarationSettings

    return ServiceEntry(DeclarationSettings, bootstrap.build)


def _query() -> ServiceEntry:
    from guanwu.query import bootstrap
    from guanwu.query.config import QuerySettings

    return ServiceEntry(QuerySettings, bootstrap.build)


def _anomaly() -> ServiceEntry:
    from guanwu.anomaly import bootstrap
    from guanwu.anomaly.config import AnomalySettings

    return ServiceEntry(AnomalySettings, bootstrap.build)


def _review() -> ServiceEntry:
    from guanwu.review import bootstrap
    from guanwu.review.config import ReviewSettings

    return ServiceEntry(ReviewSettings, bootstrap.build)


def _sync() -> ServiceEntry:
    from guanwu.sync import bootstrap
    from guanwu.sync.config import SyncSettings

    return ServiceEntry(SyncSettings, bootstrap.build)


def _card_signer() -> ServiceEntry:
    from guanwu.card_signer import bootstrap
    from guanwu.card_signer.config import CardSignerSettings

    return ServiceEntry(CardSignerSettings, bootstrap.build)


def _console() -> ServiceEntry:
    from guanwu.console import bootstrap
    from guanwu.console.config import ConsoleSettings

    return ServiceEntry(ConsoleSettings, bootstrap.build)


def _anomaly_statistics() -> ServiceEntry:
    from guanwu.anomaly import statistics_bootstrap
    from guanwu.anomaly.config import AnomalyStatisticsSettings

    return ServiceEntry(AnomalyStatisticsSettings, statistics_bootstrap.build)


SERVICES: dict[str, Callable[[], ServiceEntry]] = {
    "declaration": _declaration,
    "query": _query,
    "anomaly": _anomaly,
    "review": _review,
    "sync": _sync,
    "card-signer": _card_signer,
}
CONSOLE: dict[str, Callable[[], ServiceEntry]] = {"console": _console}
"""Served by `guanwu serve console` like a service, but not one: no API of its own (no OpenAPI snapshot),
only pages over the services' APIs (GUANWU_CONSOLE_<SERVICE>_URL)."""
STREAMS: dict[str, Callable[[], ServiceEntry]] = {"anomaly-statistics": _anomaly_statistics}
"""Processes of a service that are not its API: the anomaly service's statistics stream (faust tables), which
writes into the anomaly service's store (GUANWU_ANOMALY_STATISTICS_STORE__* names the anomaly database) and
serves only health, readiness and metrics."""
SERVABLE: dict[str, Callable[[], ServiceEntry]] = {**SERVICES, **CONSOLE, **STREAMS}


def build_service_app(name: str) -> tuple[FastAPI, ServiceSettings]:
    entry = SERVABLE[name]()
    settings = entry.settings_class()
    configure_logging(name, settings.log_level, settings.log_json)
    store = build_store(settings.store)
    bus = build_bus(settings, store, client_id=f"guanwu-{name}")
    runtime = Runtime(store, bus)
    runtime.register(entry.build(settings, store, runtime.outbox_written))
    app = create_app(runtime, build_token_verifier(settings.auth), title=f"guanwu {name}", service_label=name)
    return app, settings
