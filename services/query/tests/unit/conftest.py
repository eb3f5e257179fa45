"""The `service` fixture: an in-memory query service fed by the in-process bus, read through its API."""

from collections.abc import AsyncIterator

import pytest
from query_harness import Service, running_service


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running
