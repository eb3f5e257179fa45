"""Composition root of the web console: its routes and the client of the services' APIs."""

from __future__ import annotations

from guanwu.console.adapters import ServiceUrls
from guanwu.console.adapters_oidc import OidcClient
from guanwu.console.config import ConsoleSettings
from guanwu.console.entrypoints import (
    anomaly_pages,
    auth_pages,
    declaration_pages,
    pages,
    query_pages,
    review_pages,
    sync_pages,
)
from guanwu.console.service_layer import ConsoleContext
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore


def build(settings: ConsoleSettings, store: DocumentStore, outbox_written: OutboxNotifier) -> ServiceParts:
    # The console owns no data and publishes nothing: `store` and `outbox_written` are unused; the signature
    # is every service's, so the CLI composes it like the others.
    del store, outbox_written
    urls = ServiceUrls(
        auth=settings.auth_url,
        declaration=settings.declaration_url,
        review=settings.review_url,
        query=settings.query_url,
        anomaly=settings.anomaly_url,
        sync=settings.sync_url,
    )
    context = ConsoleContext(
        urls,
        settings.page_size,
        settings.api_timeout_seconds,
        settings.import_timeout_seconds,
        secure_cookies=settings.secure_cookies,
        oidc=OidcClient(settings.oidc, settings.api_timeout_seconds) if settings.oidc else None,
        local_login=settings.auth.mode == "local",
    )
    routers = [
        pages.router,
        auth_pages.router,
        declaration_pages.router,
        review_pages.router,
        anomaly_pages.router,
        sync_pages.router,
        query_pages.router,
    ]
    return ServiceParts(name="console", routers=routers, context=context)
