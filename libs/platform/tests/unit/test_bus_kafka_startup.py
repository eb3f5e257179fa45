"""A service whose broker is not there yet retries with back-off, then says clearly what is missing."""

from __future__ import annotations

import socket

import pytest

from guanwu.platform.bus.kafka import BrokerUnavailable, KafkaEventBus


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


async def test_start_retries_then_names_the_broker_it_could_not_reach() -> None:
    address = f"127.0.0.1:{closed_port()}"
    bus = KafkaEventBus(address, startup_timeout_seconds=3.0)
    with pytest.raises(BrokerUnavailable, match=address):
        await bus.start()
    assert bus.startup_attempts > 1  # it kept trying with back-off instead of failing at once
    assert not await bus.ping()
