"""The `service` fixture: an in-memory anomaly service behind its HTTP API and the in-process bus."""

from collections.abc import AsyncIterator

import pytest
from anomaly_harness import Service, running_service


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running
