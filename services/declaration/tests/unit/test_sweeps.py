"""The background sweeps, with an injected clock: a signing request nobody answers times out (and its late
answer is ignored); a parked receipt nobody claims expires, with a warning and a counter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from declaration_harness import Service, as_json, auth, running_service
from prometheus_client import REGISTRY
from service_http import TEST_AUTH

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationSigned,
    DeclarationSubmitted,
    ReceiptReceived,
    ReviewApproved,
    SignFailed,
)
from guanwu.contracts.events.base import Event
from guanwu.customs import fixtures
from guanwu.declaration.config import DeclarationSettings
from guanwu.declaration.domain.lifecycle import request_declare
from guanwu.declaration.domain.model import Declaration, Status, draft, transition
from guanwu.declaration.metrics import PrometheusDeclarationMetrics
from guanwu.declaration.service_layer.handlers import reactions
from guanwu.declaration.service_layer.handlers.sweeps import (
    expire_parked_receipts,
    time_out_unanswered_signing,
)
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD, Document

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=900)
TTL = timedelta(days=7)
SM3 = "ab" * 32


class MovableClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Seen:
    """A SweepObserver that counts."""

    def __init__(self) -> None:
        self.timeouts = 0
        self.expired = 0

    def signing_timed_out(self) -> None:
        self.timeouts += 1

    def parked_receipt_expired(self) -> None:
        self.expired += 1


def ignore(collection: str | None = None, doc_id: str | None = None, written: Document | None = None) -> None:
    """No relay: what was written stays in the outbox, where the tests read it."""


def declaring(request_id: str = "q1", at: datetime = T0) -> Declaration:
    created = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=T0)
    approved = transition(created, Status.APPROVED, action="x", user_id="u1", now=T0)
    return request_declare(approved, [], request_id=request_id, content_sm3=SM3, user_id="u1", now=at)


async def stored(store: MemoryDocumentStore, declaration: Declaration) -> None:
    uow = DeclarationUnitOfWork(store, ignore)
    uow.declarations.add(declaration)
    await uow.commit()


async def load(store: MemoryDocumentStore) -> Declaration:
    return await DeclarationUnitOfWork(store, ignore).declarations.load("acme", "d1")


def signed(request_id: str = "q1") -> tuple[Envelope, DeclarationSigned]:
    event = DeclarationSigned(
        request_id=request_id,
        declaration_id="d1",
        signature_b64="MEUCIQ==",
        content_sm3=SM3,
        user_id="1234567812345678",
        certificate_serial="01ab",
        signer_subject="CN=张三",
        device="soft",
        signed_at=T0,
    )
    return envelope_for(event, source="/guanwu/card-signer", tenant="acme")[1], event


def sign_failed(request_id: str = "q1") -> tuple[Envelope, SignFailed]:
    event = SignFailed(request_id=request_id, declaration_id="d1", reason="no_card", failed_at=T0)
    return envelope_for(event, source="/guanwu/card-signer", tenant="acme")[1], event


async def sweep_signing(store: MemoryDocumentStore, clock: MovableClock, seen: Seen) -> int:
    uow = DeclarationUnitOfWork(store, ignore)
    return await time_out_unanswered_signing(uow=uow, clock=clock, timeout=TIMEOUT, observer=seen)


async def test_an_unanswered_signing_request_goes_back_to_approved_after_the_timeout() -> None:
    store, clock, seen = MemoryDocumentStore(), MovableClock(), Seen()
    await stored(store, declaring())

    clock.now = T0 + TIMEOUT - timedelta(seconds=1)
    assert await sweep_signing(store, clock, seen) == 0
    assert (await load(store)).status is Status.DECLARING

    clock.now = T0 + TIMEOUT
    with structlog.testing.capture_logs() as logs:
        assert await sweep_signing(store, clock, seen) == 1
    declaration = await load(store)
    assert declaration.status is Status.APPROVED and declaration.signing is not None
    assert declaration.signing.failure is not None and declaration.signing.failure.reason == "unanswered"
    assert declaration.audit[-1].by == "guanwu" and "q1" in declaration.audit[-1].action
    doc = await store.collection("declaration_declarations").get("d1")
    assert doc is not None
    [announced] = [entry["envelope"] for entry in doc[OUTBOX_FIELD]]
    assert announced["type"].endswith("DeclarationStatusChanged.v1")
    assert (announced["data"]["previous_status"], announced["data"]["status"]) == ("申报中", "审核通过")
    assert "签名超时" in announced["data"]["cause"] and "q1" in announced["data"]["cause"]
    assert announced["data"]["abandoned_request_id"] == "q1"
    assert seen.timeouts == 1
    [line] = [entry for entry in logs if entry["event"] == "declaration.signing_timed_out"]
    assert (line["declaration_id"], line["tenant"], line["request_id"]) == ("d1", "acme", "q1")
    assert line["log_level"] == "warning"

    assert await sweep_signing(store, clock, seen) == 0 and seen.timeouts == 1  # once


async def test_a_late_answer_to_the_timed_out_request_is_ignored_and_the_next_declare_is_answered() -> None:
    store, clock, seen = MemoryDocumentStore(), MovableClock(T0 + TIMEOUT), Seen()
    await stored(store, declaring())
    await sweep_signing(store, clock, seen)
    timed_out = await load(store)

    for envelope, event in (signed(), sign_failed()):
        uow = DeclarationUnitOfWork(store, ignore)
        handler = (
            reactions.keep_signature if isinstance(event, DeclarationSigned) else reactions.keep_sign_failure
        )
        outcome = await handler(envelope, event, uow=uow, clock=clock, attempts=1)  # type: ignore[arg-type]
        assert outcome is reactions.Outcome.UNCHANGED
    assert await load(store) == timed_out

    # Declared again: that request's answer counts, and a late acceptance of the old one does not.
    uow = DeclarationUnitOfWork(store, ignore)
    again = request_declare(timed_out, [], request_id="q2", content_sm3=SM3, user_id="u1", now=clock())
    uow.declarations.save(again)
    await uow.commit()
    late = DeclarationSubmitted(
        declaration_id="d1", seq_no="E20260000000000009", request_id="q1", submitted_at=clock()
    )
    uow = DeclarationUnitOfWork(store, ignore)
    late_envelope = envelope_for(late, source="/guanwu/sync", tenant="acme")[1]
    outcome = await reactions.mark_declared(late_envelope, late, uow=uow, clock=clock, attempts=1)
    assert outcome is reactions.Outcome.UNCHANGED and (await load(store)).status is Status.DECLARING
    envelope, answer = signed("q2")
    outcome = await reactions.keep_signature(envelope, answer, uow=uow, clock=clock, attempts=1)
    assert outcome is reactions.Outcome.CHANGED


async def test_a_signed_request_waits_for_the_single_window_not_for_the_card() -> None:
    store, clock, seen = MemoryDocumentStore(), MovableClock(), Seen()
    await stored(store, declaring())
    envelope, answer = signed()
    uow = DeclarationUnitOfWork(store, ignore)
    assert await reactions.keep_signature(envelope, answer, uow=uow, clock=clock, attempts=1)

    clock.now = T0 + 10 * TIMEOUT
    assert await sweep_signing(store, clock, seen) == 0
    assert (await load(store)).status is Status.DECLARING and seen.timeouts == 0


def receipt(receipt_id: str, tenant: str = "acme") -> tuple[Envelope, ReceiptReceived]:
    event = ReceiptReceived(receipt_id=receipt_id, channel="L", seq_no="E20260000000000042", notice_date=T0)
    return envelope_for(event, source="/guanwu/sync", tenant=tenant)[1], event


async def park(
    store: MemoryDocumentStore, clock: MovableClock, receipt_id: str, tenant: str = "acme"
) -> None:
    envelope, event = receipt(receipt_id, tenant)
    uow = DeclarationUnitOfWork(store, ignore)
    outcome = await reactions.apply_customs_receipt(envelope, event, uow=uow, clock=clock, attempts=1)
    assert outcome is reactions.Outcome.MISSING


async def expire(store: MemoryDocumentStore, clock: MovableClock, seen: Seen) -> int:
    uow = DeclarationUnitOfWork(store, ignore)
    return await expire_parked_receipts(uow=uow, clock=clock, ttl=TTL, observer=seen)


async def test_a_parked_receipt_nobody_claims_expires_with_a_warning_and_a_count() -> None:
    store, clock, seen = MemoryDocumentStore(), MovableClock(), Seen()
    await park(store, clock, "R-old")
    await park(store, clock, "R-other", tenant="other")
    clock.now = T0 + timedelta(days=3)
    await park(store, clock, "R-new")
    parked = store.collection("declaration_parked_receipts")

    clock.now = T0 + TTL - timedelta(seconds=1)
    assert await expire(store, clock, seen) == 0 and await parked.count({}) == 3

    clock.now = T0 + TTL
    with structlog.testing.capture_logs() as logs:
        assert await expire(store, clock, seen) == 2
    assert [doc["envelope"]["data"]["receipt_id"] for doc in await parked.find({})] == ["R-new"]
    assert seen.expired == 2
    lines = [entry for entry in logs if entry["event"] == "declaration.parked_receipt_expired"]
    assert sorted((line["receipt_id"], line["tenant"]) for line in lines) == [
        ("R-old", "acme"),
        ("R-other", "other"),
    ]
    assert {line["log_level"] for line in lines} == {"warning"}

    assert await expire(store, clock, seen) == 0 and seen.expired == 2  # each once


async def test_a_receipt_parked_before_receipts_expired_is_left_alone() -> None:
    store, clock, seen = MemoryDocumentStore(), MovableClock(), Seen()
    await park(store, clock, "R-legacy")
    parked = store.collection("declaration_parked_receipts")
    [doc] = await parked.find({})
    del doc["parked_at"]
    await parked.replace(doc, expected_version=doc["_version"])

    clock.now = T0 + 10 * TTL
    assert await expire(store, clock, seen) == 0 and await parked.count({}) == 1


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_the_counters_count_what_the_sweeps_report() -> None:
    metrics = PrometheusDeclarationMetrics()
    timeouts = sample("guanwu_declaration_signing_timeouts_total")
    expired = sample("guanwu_declaration_parked_receipts_expired_total")
    metrics.signing_timed_out()
    metrics.parked_receipt_expired()
    metrics.parked_receipt_expired()
    assert sample("guanwu_declaration_signing_timeouts_total") == timeouts + 1
    assert sample("guanwu_declaration_parked_receipts_expired_total") == expired + 2


def test_the_defaults_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = DeclarationSettings(auth=TEST_AUTH)
    assert (settings.signing_timeout_seconds, settings.parked_receipt_ttl_seconds) == (900, 7 * 24 * 3600)
    monkeypatch.setenv("GUANWU_DECLARATION_SIGNING_TIMEOUT_SECONDS", "60")
    monkeypatch.setenv("GUANWU_DECLARATION_PARKED_RECEIPT_TTL_SECONDS", "3600")
    changed = DeclarationSettings(auth=TEST_AUTH)
    assert (changed.signing_timeout_seconds, changed.parked_receipt_ttl_seconds) == (60, 3600)


# ── the running service: the sweep is one of its background tasks ─────────────────────────────────────


async def publish(service: Service, event: Event) -> None:
    topic, envelope = envelope_for(event, source="/test", tenant="acme")
    await service.bus.publish(topic, envelope)


async def read(service: Service, declaration_id: str) -> dict[str, Any]:
    response = await service.client.get(f"/api/declaration/declarations/{declaration_id}", headers=auth())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def declared_through_the_api(service: Service) -> dict[str, Any]:
    url = "/api/declaration/declarations"
    document = as_json(fixtures.export_sea_general_trade())
    created = (await service.client.post(url, json=document, headers=auth())).json()
    url = f"{url}/{created['declaration_id']}"
    pending = (await service.client.post(f"{url}/submit", headers={**auth(), "If-Match": '"1"'})).json()
    approval = ReviewApproved(
        review_id="rv-1",
        declaration_id=pending["declaration_id"],
        declaration_version=pending["version"],
        reviewer="reviewer-1",
        decided_at=T0,
    )
    await publish(service, approval)
    approved = await read(service, pending["declaration_id"])
    answer = await service.client.post(
        f"{url}/declare", headers={**auth(), "If-Match": f'"{approved["version"]}"'}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_running_service_times_out_signing_in_the_background_and_ignores_the_late_signature() -> (
    None
):
    clock = MovableClock()
    settings = DeclarationSettings(auth=TEST_AUTH, signing_timeout_sweep_seconds=0.01)
    async with running_service(clock=clock, settings=settings) as service:
        declaring_one = await declared_through_the_api(service)
        assert declaring_one["status"] == "申报中"
        clock.now = T0 + TIMEOUT

        current = await read(service, declaring_one["declaration_id"])
        while current["status"] == "申报中":  # the sweep runs every 10 ms; pytest's timeout is the backstop
            await asyncio.sleep(0.01)
            current = await read(service, declaring_one["declaration_id"])
        assert current["status"] == "审核通过"

        request_id = declaring_one["signing"]["request_id"]
        late = DeclarationSigned(
            request_id=request_id,
            declaration_id=declaring_one["declaration_id"],
            signature_b64="MEUCIQ==",
            content_sm3=declaring_one["signing"]["content_sm3"],
            user_id="1234567812345678",
            certificate_serial="01ab",
            signer_subject="CN=张三",
            device="soft",
            signed_at=clock.now,
        )
        await publish(service, late)
        after = await read(service, declaring_one["declaration_id"])
        assert after == current and after["signing"]["signature"] is None
