"""Composition root of the declaration service."""

from __future__ import annotations

from guanwu.contracts import topics
from guanwu.declaration.api import build_router
from guanwu.declaration.config import DeclarationSettings
from guanwu.declaration.parked import ParkedReceipts
from guanwu.declaration.reactions import Followers, subscriptions
from guanwu.declaration.repository import DeclarationRepository
from guanwu.declaration.templates import TemplateRepository
from guanwu.declaration.templates import build_router as templates_router
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore


def build(
    settings: DeclarationSettings, store: DocumentStore, outbox_written: OutboxNotifier
) -> ServiceParts:
    repository = DeclarationRepository(store)
    templates = TemplateRepository(store)
    parked = ParkedReceipts(store)
    return ServiceParts(
        name="declaration",
        routers=[
            build_router(repository, outbox_written),
            templates_router(templates, repository, outbox_written),
        ],
        subscriptions=subscriptions(Followers(repository, parked, outbox_written)),
        outbox_collections=[repository.collection],
        publishes_to=[topics.DECLARATION_EVENTS, topics.SIGNER_REQUESTS],
        on_start=[repository.ensure_indexes, templates.ensure_indexes, parked.ensure_indexes],
        tags=[{"name": "declaration", "description": "报关单制单 — declaration drafting"}],
    )
