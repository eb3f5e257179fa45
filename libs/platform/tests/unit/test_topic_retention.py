"""Topics guanwu creates: events topics keep their messages for ever (read models are rebuilt from them),
dead-letter and request topics the broker's default retention."""

from __future__ import annotations

import pytest

from guanwu.contracts import topics
from guanwu.platform.bus.kafka import topic_configs


@pytest.mark.parametrize("topic", [topics.DECLARATION_EVENTS, topics.SYNC_EVENTS, "bench.x.sync.events.v1"])
def test_events_topics_are_kept_for_ever(topic: str) -> None:
    assert topic_configs(topic) == {"retention.ms": "-1"}


@pytest.mark.parametrize(
    "topic",
    [topics.dead_letter_topic(topics.DECLARATION_EVENTS), topics.SIGNER_REQUESTS, topics.SYNC_REQUESTS],
)
def test_dead_letters_and_requests_keep_the_default(topic: str) -> None:
    assert topic_configs(topic) == {}
