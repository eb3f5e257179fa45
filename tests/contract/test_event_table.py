"""docs/architecture.md's table of published and consumed events is the one the services' code declares."""

from __future__ import annotations

import pytest

from guanwu.cli.event_table import ARCHITECTURE, current_block, flows, render
from guanwu.contracts.events import REGISTRY

pytestmark = pytest.mark.unit


def test_the_documented_event_table_matches_the_code() -> None:
    assert current_block(ARCHITECTURE.read_text(encoding="utf-8")) == render(), (
        "docs/architecture.md is out of date: run `uv run python -m guanwu.cli.event_table write`"
    )


def test_every_contract_has_a_publisher_and_everything_consumed_is_published() -> None:
    found = flows().values()
    published = {(topic, t) for out, _ in found for topic, types in out.items() for t in types}
    consumed = {(topic, t) for _, into in found for topic, types in into.items() for t in types}
    assert {(cls.topic, cls.event_type) for cls in REGISTRY.all()} == published
    assert consumed <= published
