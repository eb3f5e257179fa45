"""Root pytest configuration: tiers are marked by folder, integration needs real infrastructure."""

from __future__ import annotations

import os

import pytest

_TIER_BY_FOLDER = {"unit": "unit", "integration": "integration", "e2e": "e2e"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test's tier is the folder it lives in (tests/unit, tests/integration, tests/e2e): no marker to forget.
    for item in items:
        parts = item.path.parts
        for folder, marker in _TIER_BY_FOLDER.items():
            if folder in parts:
                item.add_marker(getattr(pytest.mark, marker))
                break


def _required_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("GUANWU_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"{name} is not set but GUANWU_REQUIRE_INTEGRATION=1: start {what} (make infra-up)")
    pytest.skip(f"{name} not set: {what} not available (run through `make test`)")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """host:port of the real Kafka broker started by deploy/local/infra.sh."""
    return _required_env("GUANWU_TEST_KAFKA", "Kafka")


@pytest.fixture(scope="session")
def mongo_url() -> str:
    """mongodb:// URL of the real MongoDB-wire server (FerretDB) started by deploy/local/infra.sh."""
    return _required_env("GUANWU_TEST_MONGO_URL", "FerretDB")
