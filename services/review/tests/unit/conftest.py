"""The `service` fixture: an in-memory review service behind its HTTP API."""

from collections.abc import AsyncIterator

import pytest
from review_harness import Service, running_service


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running
