"""The service as the platform runs it: in-process bus, memory store, outbox relay, JWT-protected API."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from watching import OwnActivity

from guanwu.card_signer import bootstrap
from guanwu.card_signer.config import CardSignerSettings
from guanwu.card_signer.domain import FailureReason, SignFailure
from guanwu.card_signer.domain.sm2 import der_to_rs, verify
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

from .conftest import FakeSigner

SECRET = "s" * 40


@pytest.fixture
async def system(
    fake_signer: FakeSigner, soft_token: Path
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    settings = CardSignerSettings(
        auth={"mode": "local", "secret": SECRET},  # type: ignore[arg-type]
        tenants=["tenant-1", "client-of-the-broker"],
        signer="soft",
        soft_token_path=soft_token,
        soft_passphrase="correct horse battery",  # type: ignore[arg-type]
        status_poll_seconds=0.05,
    )
    store = MemoryDocumentStore()
    runtime = Runtime(store, InProcessEventBus(), relay_sweep_seconds=0.02)
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written, signer=fake_signer))
    app = create_app(runtime, LocalTokenIssuer(SECRET), title="card-signer", service_label="card-signer")
    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield runtime, client
    finally:
        await runtime.stop()


def token(*roles: str, tenant: str = "tenant-1") -> dict[str, str]:
    return {"Authorization": "Bearer " + LocalTokenIssuer(SECRET).issue("u1", tenant, list(roles))}


def sign_requested(request_id: str, tenant: str = "tenant-1") -> Envelope:
    payload = SignRequested(
        request_id=request_id, declaration_id="decl-9", content_b64=base64.b64encode(b"<Decl/>").decode()
    )
    return Envelope(
        source="/guanwu/declaration", type=payload.event_type, subject="decl-9", tenant=tenant,
        correlationid="flow-9", data=payload.model_dump(mode="json"),
    )  # fmt: skip


async def published_on(runtime: Runtime, topic: str, count: int) -> list[Envelope]:
    bus = runtime.bus
    assert isinstance(bus, InProcessEventBus)
    working = OwnActivity()  # the signer runs in this process: wait while it works, not for a fixed time
    seen, moved_at = working(), time.monotonic()
    while time.monotonic() - moved_at < 30:
        found = [e for t, e in bus.published if t == topic]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
        if working() != seen:
            seen, moved_at = working(), time.monotonic()
    raise AssertionError(f"fewer than {count} events on {topic}, and nothing moved for 30 s")


async def test_sign_requested_is_answered_once(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    runtime, _ = system
    request = sign_requested("req-7")
    await runtime.bus.publish(topics.SIGNER_REQUESTS, request)
    await runtime.bus.publish(topics.SIGNER_REQUESTS, request)  # redelivery
    [answer] = await published_on(runtime, topics.SIGNER_EVENTS, 1)
    assert answer.type == DeclarationSigned.event_type and answer.causationid == request.id
    assert fake_signer.calls == 1
    event = DeclarationSigned.model_validate(answer.data)
    public_key = fake_signer.inner.status()[0].certificate.public_key  # type: ignore[union-attr]
    assert verify(
        public_key, b"<Decl/>", der_to_rs(base64.b64decode(event.signature_b64)), b"1234567812345678"
    )


async def test_failure_is_published_as_sign_failed(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    runtime, _ = system
    fake_signer.fail_with = SignFailure(FailureReason.PIN_BLOCKED, "blocked", 0)
    await runtime.bus.publish(topics.SIGNER_REQUESTS, sign_requested("req-8"))
    [answer] = await published_on(runtime, topics.SIGNER_EVENTS, 1)
    event = SignFailed.model_validate(answer.data)
    assert (event.reason, event.retries_left) == ("pin_blocked", 0)


async def test_http_cards_and_sign(system: tuple[Runtime, httpx.AsyncClient]) -> None:
    _, client = system
    assert (await client.get("/api/card-signer/cards")).status_code == 401
    cards = (await client.get("/api/card-signer/cards", headers=token("reviewer"))).json()
    assert cards[0]["card_present"] and cards[0]["certificate"]["serial"]
    body = {"content_b64": base64.b64encode(b"<Decl/>").decode()}
    assert (
        await client.post("/api/card-signer/sign", json=body, headers=token("reviewer"))
    ).status_code == 403
    response = await client.post("/api/card-signer/sign", json=body, headers=token("preparer"))
    assert response.status_code == 200, response.text
    assert len(bytes.fromhex(response.json()["signature_rs_hex"])) == 64
    metrics = (await client.get("/metrics")).text
    assert 'guanwu_card_signer_signatures_total{outcome="signed"}' in metrics


async def test_http_failure_has_a_reason(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    _, client = system
    fake_signer.fail_with = SignFailure(FailureReason.PIN_WRONG, "the card rejected the PIN", 2)
    body = {"content_b64": base64.b64encode(b"x").decode()}
    response = await client.post("/api/card-signer/sign", json=body, headers=token("manager"))
    assert response.status_code == 409
    assert "card_signer.pin_wrong" in response.text and '"retries_left":2' in response.text
    bad = await client.post("/api/card-signer/sign", json={"content_b64": "!!"}, headers=token("manager"))
    assert bad.status_code == 400


async def test_sign_requested_of_another_tenant_is_answered_sign_failed_without_signing(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    runtime, _ = system
    refusals_before = refused_count()
    request = sign_requested("req-foreign", tenant="tenant-2")
    await runtime.bus.publish(topics.SIGNER_REQUESTS, request)
    [answer] = await published_on(runtime, topics.SIGNER_EVENTS, 1)
    assert answer.type == SignFailed.event_type and answer.tenant == "tenant-2"
    event = SignFailed.model_validate(answer.data)
    assert (event.reason, event.request_id) == ("tenant_not_served", "req-foreign")
    assert fake_signer.calls == 0
    assert refused_count() == refusals_before + 1


def refused_count() -> float:
    sample = REGISTRY.get_sample_value(
        "guanwu_card_signer_signatures_total", {"outcome": "tenant_not_served"}
    )
    return sample or 0.0


async def test_a_brokers_named_client_is_signed_for(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    runtime, client = system
    await runtime.bus.publish(topics.SIGNER_REQUESTS, sign_requested("req-client", "client-of-the-broker"))
    [answer] = await published_on(runtime, topics.SIGNER_EVENTS, 1)
    assert answer.type == DeclarationSigned.event_type
    body = {"content_b64": base64.b64encode(b"<Decl/>").decode()}
    headers = token("preparer", tenant="client-of-the-broker")
    assert (await client.post("/api/card-signer/sign", json=body, headers=headers)).status_code == 200
    assert fake_signer.calls == 2


async def test_http_refuses_another_tenant_with_403_and_shows_it_nothing_of_the_card(
    system: tuple[Runtime, httpx.AsyncClient], fake_signer: FakeSigner
) -> None:
    _, client = system
    foreign = token("preparer", "manager", tenant="tenant-2")
    body = {"content_b64": base64.b64encode(b"<Decl/>").decode()}
    response = await client.post("/api/card-signer/sign", json=body, headers=foreign)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "card_signer.tenant_not_served"
    assert error["message_zh"] and error["message_en"] and "signature_b64" not in response.text
    assert fake_signer.calls == 0
    cards = await client.get("/api/card-signer/cards", headers=token("reviewer", tenant="tenant-2"))
    assert cards.status_code == 403
    serial = fake_signer.status()[0].certificate.serial_hex  # type: ignore[union-attr]
    assert serial not in cards.text


def test_settings_require_the_tenants_of_the_card(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = {"mode": "local", "secret": SECRET}
    with pytest.raises(ValidationError, match="tenants"):
        CardSignerSettings(auth=auth)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tenants"):
        CardSignerSettings(auth=auth, tenants=[])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tenants"):
        CardSignerSettings(auth=auth, tenants=[""])  # type: ignore[arg-type]
    monkeypatch.setenv("GUANWU_CARD_SIGNER_TENANTS", '["9161000012345678X1", "broker-client"]')
    settings = CardSignerSettings(auth=auth)  # type: ignore[arg-type]
    assert settings.tenants == ["9161000012345678X1", "broker-client"]


def test_pin_source_reads_the_file_each_time(tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text("123456\n")
    settings = CardSignerSettings(
        auth={"mode": "local", "secret": SECRET},  # type: ignore[arg-type]
        tenants=["tenant-1"],
        pin_file=pin_file,
    )
    read = bootstrap.pin_source(settings)
    assert read() is not None and read().reveal() == b"123456"  # type: ignore[union-attr]
    pin_file.write_text("12")
    with pytest.raises(SignFailure) as excinfo:
        read()
    assert excinfo.value.reason is FailureReason.PIN_MISSING and "12" not in str(excinfo.value)
    assert "123456" not in repr(settings)
