"""Helpers of the anomaly service's tests: an in-memory service driven through its HTTP API and the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
from service_http import TEST_AUTH, built_with, serving

from guanwu.anomaly import bootstrap
from guanwu.anomaly.config import AnomalySettings
from guanwu.contracts import topics
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import AnomalyRegistered, DeleteReceiptReceived
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.events import envelope_for
from guanwu.platform.runtime import Runtime

URL = "/api/anomaly/anomalies"
NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
"""What the service's clock says in these tests."""


def delete_receipt(receipt_id: str = "R1", **fields: Any) -> DeleteReceiptReceived:
    values: dict[str, Any] = {
        "entry_id": "610120260000000001",
        "notice_date": datetime(2026, 11, 29, 10, tzinfo=UTC),
        "note": "企业申请删单",
        "trade_name": "西安某贸易",
        "ie_flag": "E",
    }
    return DeleteReceiptReceived(receipt_id=receipt_id, **{**values, **fields})


class Service:
    def __init__(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        assert isinstance(runtime.bus, InProcessEventBus)
        self.client, self.runtime, self.bus = client, runtime, runtime.bus

    @staticmethod
    def envelope(receipt: DeleteReceiptReceived, tenant: str = "acme") -> Envelope:
        """The receipt as the sync service's relay would publish it."""
        return envelope_for(receipt, source="/guanwu/sync", tenant=tenant)[1]

    async def deliver(self, *envelopes: Envelope) -> None:
        """Hand the envelopes to the anomaly consumer as one batch (one poll's worth)."""
        await self.bus.publish_many([(topics.SYNC_EVENTS, envelope) for envelope in envelopes])

    async def stored(self) -> list[dict[str, Any]]:
        return await self.runtime.store.collection("anomaly_records").find({})

    async def registered(self) -> list[tuple[Envelope, AnomalyRegistered]]:
        """Every AnomalyRegistered published so far, once the relay has published what is pending."""
        assert self.runtime.relay is not None
        await self.runtime.relay.drain()
        return [
            (envelope, AnomalyRegistered.model_validate(envelope.data))
            for topic, envelope in self.bus.published
            if topic == topics.ANOMALY_EVENTS
        ]


@asynccontextmanager
async def running_service() -> AsyncIterator[Service]:
    build = built_with(partial(bootstrap.build, clock=lambda: NOW), AnomalySettings(auth=TEST_AUTH))
    async with serving(build, "anomaly") as (client, runtime):
        yield Service(client, runtime)
