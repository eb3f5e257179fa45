"""The Dispatcher's batches: consecutive events of a batch-handled type go to their handler together, in
partition order, and a failing batch falls back to one event at a time."""

from __future__ import annotations

from typing import Any

from contract.bus_contract import TEST_REGISTRY, Pinged, Ponged, ping

from guanwu.platform.bus.dispatch import Dispatcher, RawMessage, RetryPolicy
from guanwu.platform.bus.port import Subscription
from guanwu.platform.events import envelope_for


class DeadLetters:
    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    async def dead_letter(self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        self.headers.append(headers)


def message(offset: int, value: bytes) -> RawMessage:
    return RawMessage(b"p-1", value, partition=0, offset=offset)


def pinged(offset: int) -> RawMessage:
    return message(offset, ping(offset).to_json_bytes())


def ponged(offset: int) -> RawMessage:
    envelope = envelope_for(Ponged(ping_id="p-1"), source="/test", tenant="t1")[1]
    return message(offset, envelope.to_json_bytes())


def dispatcher(subscription: Subscription, dead: DeadLetters) -> Dispatcher:
    return Dispatcher(subscription, dead, RetryPolicy(attempts=2, first_delay_seconds=0), TEST_REGISTRY)


async def test_runs_of_one_type_are_batched_and_other_messages_keep_their_place() -> None:
    calls: list[Any] = []

    async def batch(items: Any) -> None:
        calls.append(("batch", [e.sequence for _, e in items]))

    async def single(envelope: Any, event: Any) -> None:
        calls.append(("single", event.ping_id))

    sub = Subscription("g", Pinged.topic, {Ponged.event_type: single}, {Pinged.event_type: batch})
    finished: list[int | None] = []
    messages = [pinged(0), pinged(1), ponged(2), message(3, b"not json"), pinged(4), pinged(5), pinged(6)]

    await dispatcher(sub, DeadLetters()).dispatch_many(
        messages, on_finished=lambda m: finished.append(m.offset)
    )

    assert calls == [("batch", [0, 1]), ("single", "p-1"), ("batch", [4, 5, 6])]
    assert finished == [1, 2, 3, 6]  # each point up to which everything is done, in order


async def test_a_failing_batch_is_retried_one_event_at_a_time_and_only_the_poison_is_dead_lettered() -> None:
    stored: list[int] = []
    batch_sizes: list[int] = []

    async def batch(items: Any) -> None:
        batch_sizes.append(len(items))
        if any(e.sequence == 2 for _, e in items):
            raise RuntimeError("cannot store 2")
        stored.extend(e.sequence for _, e in items)

    dead = DeadLetters()
    sub = Subscription("g", Pinged.topic, batch_handlers={Pinged.event_type: batch})
    await dispatcher(sub, dead).dispatch_many([pinged(n) for n in range(5)])

    assert stored == [0, 1, 3, 4]
    assert batch_sizes == [5, 1, 1, 1, 1, 1, 1]  # the run, then each alone (2 twice: its retry)
    assert [(h["guanwu-dlq-reason"], h["guanwu-dlq-source-offset"]) for h in dead.headers] == [
        ("handler-failed", "2")
    ]


async def test_a_single_dispatch_hands_a_batch_handler_a_batch_of_one() -> None:
    seen: list[list[int]] = []

    async def batch(items: Any) -> None:
        seen.append([e.sequence for _, e in items])

    sub = Subscription("g", Pinged.topic, batch_handlers={Pinged.event_type: batch})
    outcome = await dispatcher(sub, DeadLetters()).dispatch(b"p-1", ping(7).to_json_bytes())
    assert (outcome, seen) == ("handled", [[7]])


def test_a_type_cannot_have_both_kinds_of_handler() -> None:
    async def handler(*_: Any) -> None:
        return None

    try:
        Subscription("g", "t", {Pinged.event_type: handler}, {Pinged.event_type: handler})
    except ValueError as exc:
        assert Pinged.event_type in str(exc)
    else:
        raise AssertionError("accepted a type with two handlers")


async def test_one_batch_handler_for_several_types_gets_them_in_one_run() -> None:
    seen: list[list[str]] = []

    async def batch(items: Any) -> None:
        seen.append([type(event).__name__ for _, event in items])

    sub = Subscription("g", Pinged.topic, batch_handlers={Pinged.event_type: batch, Ponged.event_type: batch})
    await dispatcher(sub, DeadLetters()).dispatch_many([pinged(0), ponged(1), pinged(2)])
    assert seen == [["Pinged", "Ponged", "Pinged"]]


async def test_a_bad_message_is_dead_lettered_only_after_the_run_before_it_was_handled() -> None:
    log: list[str] = []

    class LoggingDeadLetters(DeadLetters):
        async def dead_letter(
            self, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]
        ) -> None:
            log.append(f"dlq {headers['guanwu-dlq-source-offset']}")

    async def batch(items: Any) -> None:
        log.append(f"batch {[e.sequence for _, e in items]}")

    sub = Subscription("g", Pinged.topic, batch_handlers={Pinged.event_type: batch})
    await dispatcher(sub, LoggingDeadLetters()).dispatch_many(
        [pinged(0), pinged(1), message(2, b"{"), pinged(3)]
    )
    assert log == ["batch [0, 1]", "dlq 2", "batch [3]"]
