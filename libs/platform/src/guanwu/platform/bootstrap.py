"""Build the adapters a process needs from its settings (the composition root's shared half)."""

from __future__ import annotations

from guanwu.platform.auth import JwksTokenVerifier, LocalTokenIssuer, TokenLifetime, TokenVerifier
from guanwu.platform.bus.dispatch import ConsumerHealth
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.bus.kafka import KafkaEventBus
from guanwu.platform.bus.port import EventBus
from guanwu.platform.settings import AuthSettings, ServiceSettings, StoreSettings
from guanwu.platform.store.port import DocumentStore

DEAD_LETTER_COLLECTION = "platform_dead_letters"


def build_store(settings: StoreSettings) -> DocumentStore:
    if settings.kind == "mongo":
        from guanwu.platform.store.mongo import MongoDocumentStore

        return MongoDocumentStore(settings.mongo_url, settings.database)
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteDocumentStore(settings.data_dir)


def build_bus(service: ServiceSettings, store: DocumentStore, client_id: str) -> EventBus:
    settings = service.bus
    health = ConsumerHealth(stall_seconds=settings.stall_seconds)
    if settings.kind == "kafka":
        return KafkaEventBus(
            settings.bootstrap_servers,
            client_id=client_id,
            topic_partitions=settings.topic_partitions,
            startup_timeout_seconds=settings.startup_timeout_seconds,
            group_prefix=settings.group_prefix or service.deployment,
            max_message_bytes=settings.max_message_bytes,
            health=health,
        )
    return InProcessEventBus(dead_letter_collection=store.collection(DEAD_LETTER_COLLECTION), health=health)


def build_token_verifier(settings: AuthSettings) -> TokenVerifier:
    lifetime = TokenLifetime(settings.max_token_lifetime_seconds, settings.clock_skew_seconds)
    if settings.mode == "jwks":
        assert settings.jwks_url is not None  # enforced by AuthSettings
        return JwksTokenVerifier(settings.jwks_url, settings.issuer, settings.audience, lifetime)
    assert settings.secret is not None  # enforced by AuthSettings
    return LocalTokenIssuer(
        settings.secret.get_secret_value(),
        settings.issuer,
        settings.audience,
        settings.token_ttl_seconds,
        lifetime,
    )
