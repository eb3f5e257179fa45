"""Composition root of the card signer: the signer from settings, the card queue, the consumer, the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from guanwu.card_signer.config import CardSignerSettings
from guanwu.card_signer.domain import FailureReason, Pin, PinPolicy, Secret, Signer, SignFailure
from guanwu.card_signer.entrypoints import api, consumers
from guanwu.card_signer.metrics import PrometheusCardMetrics
from guanwu.card_signer.service_layer.card_queue import CardQueue, watch_card
from guanwu.card_signer.service_layer.context import CardSignerContext
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.card_signer.service_layer.unit_of_work import CardSignerUnitOfWork
from guanwu.contracts import topics
from guanwu.platform.clock import utc_now
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.port import DocumentStore

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
    outbox_written: OutboxNotifier,
    *,
    signer: Signer | None = None,
) -> ServiceParts:
    """`signer` replaces the one the settings name (tests pass a fake)."""
    metrics = PrometheusCardMetrics()
    queue = CardQueue(
        signer or build_signer(settings, metrics),
        max_pending=settings.queue_max_pending,
        timeout_s=settings.timeout_seconds,
        recorder=metrics,
    )
    context = CardSignerContext(
        new_uow=partial(CardSignerUnitOfWork, store, outbox_written),
        clock=utc_now,
        queue=queue,
        owners=CardOwners(settings.tenants, recorder=metrics),
    )
    watch = partial(
        watch_card, queue, metrics, timeout_s=settings.timeout_seconds, poll_s=settings.status_poll_seconds
    )
    return ServiceParts(
        name="card-signer",
        routers=[api.router],
        subscriptions=consumers.subscriptions(context),
        outbox_collections=[context.new_uow().results.collection],
        publishes_to=[topics.SIGNER_EVENTS],
        on_start=[queue.start],
        background=[watch],
        tags=[{"name": "card-signer", "description": "IC 卡签名 — signatures with the operator's card"}],
        context=context,
    )
