"""Composition root of the card signer: the signer from settings, the card queue, the consumer, the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from guanwu.card_signer.config import CardSignerSettings
from guanwu.card_signer.domain import FailureReason, Pin, PinPolicy, Secret, Signer, SignFailure
from guanwu.card_signer.entrypoints.api import build_router
from guanwu.card_signer.entrypoints.consumer import handle_sign_requested
from guanwu.card_signer.metrics import PrometheusCardMetrics
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.card_signer.service_layer.results import COLLECTION, SignResults
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.contracts.events.signer import SignRequested
from guanwu.platform.bus.port import Subscription
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore

GROUP = "card-signer.signing"
log = logging.getLogger("guanwu.card_signer")


def pin_source(settings: CardSignerSettings) -> Callable[[], Pin | None]:
    """The PIN is read when the card asks for it (a rotated secret file is picked up), never cached here."""

    def read() -> Pin | None:
        if settings.pin_file is not None:
            try:
                return Pin(settings.pin_file.read_text())
            except OSError:
                raise SignFailure(FailureReason.PIN_MISSING, "the PIN file cannot be read") from None
            except ValueError:
                raise SignFailure(
                    FailureReason.PIN_MISSING, "the PIN file does not hold a 4-16 character PIN"
                ) from None
        if settings.pin is not None:
            try:
                return Pin(settings.pin.get_secret_value())
            except ValueError:
                raise SignFailure(
                    FailureReason.PIN_MISSING, "the configured PIN is not 4-16 characters"
                ) from None
        return None

    return read


def _soft_passphrase(settings: CardSignerSettings) -> Secret:
    if settings.soft_passphrase_file is not None:
        return Secret(settings.soft_passphrase_file.read_text())
    if settings.soft_passphrase is not None:
        return Secret(settings.soft_passphrase.get_secret_value())
    raise SignFailure(FailureReason.TOKEN_LOCKED, "no soft-token passphrase configured")


def build_signer(settings: CardSignerSettings, metrics: PrometheusCardMetrics) -> Signer:
    if settings.signer == "soft":
        from guanwu.card_signer.adapters.soft import SoftSigner, create_soft_token

        passphrase = _soft_passphrase(settings)
        if settings.soft_create_if_missing and not settings.soft_token_path.exists():
            create_soft_token(settings.soft_token_path, passphrase)
            log.info("created a new soft token at %s", settings.soft_token_path)
        return SoftSigner(settings.soft_token_path, passphrase)
    from guanwu.card_signer.adapters.pcsc import PcscSigner

    return PcscSigner(
        pin_source(settings),
        reader_match=settings.reader,
        policy=PinPolicy(min_retries_to_try=settings.pin_min_retries_to_try),
        observer=metrics,
    )


def build(
    settings: CardSignerSettings,
    store: DocumentStore,
    outbox_written: Callable[[], None],
    signer: Signer | None = None,
) -> ServiceParts:
    metrics = PrometheusCardMetrics()
    queue = CardQueue(
        signer or build_signer(settings, metrics),
        max_pending=settings.queue_max_pending,
        timeout_s=settings.timeout_seconds,
        recorder=metrics,
    )
    results = SignResults(store.collection(COLLECTION), outbox_written)
    owners = CardOwners(settings.tenants, recorder=metrics)

    async def on_sign_requested(envelope: Envelope, _event: Event) -> None:
        if await results.answered(envelope):
            return  # redelivered: answered before, do not sign twice
        await handle_sign_requested(envelope, queue, results.recorder(envelope), owners)

    async def watch_card() -> None:
        """Keeps the card gauges fresh between signatures; stops the queue when the runtime stops."""
        try:
            while True:
                with contextlib.suppress(SignFailure):
                    for status in await queue.status(timeout_s=settings.timeout_seconds):
                        if status.card_present or status.error in ("no_card", "card_removed"):
                            metrics.card_seen(status.card_present, status.pin_retries_left)
                await asyncio.sleep(settings.status_poll_seconds)
        finally:
            await queue.stop()

    return ServiceParts(
        name="card-signer",
        routers=[build_router(queue, owners)],
        subscriptions=[
            Subscription(GROUP, topics.SIGNER_REQUESTS, {SignRequested.event_type: on_sign_requested})
        ],
        outbox_collections=[results.collection],
        publishes_to=[topics.SIGNER_EVENTS],
        on_start=[queue.start],
        background=[watch_card],
        tags=[{"name": "card-signer", "description": "IC 卡签名 — signatures with the operator's card"}],
    )
