"""The `service` fixture: an in-memory query service fed by the in-process bus, read through its API."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The harness sits beside the test folders, like declaration's and review's (which the root pytest settings put
# on the path; these tests do it themselves until that list names services/query/tests too).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from query_harness import Service, running_service


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running
