"""One consumer group on Kafka: aiokafka's consumer with manual commits, a poll's messages per partition at once.

What one poll returns for a partition goes to the Dispatcher together, so batch handlers apply their effects
in bulk; the offset is committed once the Dispatcher has finished with every message of it (handled, skipped
or dead-lettered). Stopping commits the finished part of the batch in hand and cancels the rest, which comes
again after the restart; handlers are idempotent.

Choices: faust agents (used before) ack the message in hand when their task is cancelled, so a consumer that
was stopped while dead-lettering lost that message, and faust's shutdown waited for it without limit (SIGTERM
ignored). A plain consumer loop owns its commits: nothing is acknowledged that was not finished.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from guanwu.platform import metrics
from guanwu.platform.bus.dispatch import Dispatcher, RawMessage
from guanwu.platform.tasks import cancel_and_wait

log = structlog.get_logger(__name__)

# A rebalance or a stopping member makes a commit fail: the messages come again to the partition's next owner.
_COMMIT_LOST = (CommitFailedError, IllegalStateError, KafkaError)


class GroupConsumer:
    """Reads the topics of one consumer group and hands each message to its topic's Dispatcher."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        dispatchers: Mapping[str, Dispatcher],
        *,
        client_id: str,
        max_poll_records: int = 200,
    ) -> None:
        self.group_id = group_id
        self._dispatchers = dict(dispatchers)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A member killed without leaving holds its partitions until its session expires: keep it short
            # so a restarted service resumes within seconds.
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
            max_poll_records=max_poll_records,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe(sorted(self._dispatchers))
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
        await self._consumer.stop()

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            try:
                await self._handle(await self._consumer.getmany(timeout_ms=1000))
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker trouble or a bug: back off; uncommitted messages come again
                backoff = min(max(backoff * 2, 0.5), 10.0)
                log.warning(
                    "consumer pass failed", group=self.group_id, error=f"{type(exc).__name__}: {exc}"[:500]
                )
                await asyncio.sleep(backoff)

    async def _handle(self, batches: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        untouched = dict(batches)
        try:
            for tp, records in batches.items():
                del untouched[tp]
                await self._handle_partition(tp, records)
        except Exception:
            # Fetched but not handled: fetch these partitions again from where they were.
            for tp, records in untouched.items():
                self._consumer.seek(tp, records[0].offset)
            raise

    async def _handle_partition(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        if tp not in self._consumer.assignment():
            return  # revoked by a rebalance: its next owner takes it from the last commit
        next_offset: int | None = None

        def finished(message: RawMessage) -> None:
            nonlocal next_offset
            next_offset = (message.offset or 0) + 1

        messages = [RawMessage(r.key, r.value, tp.partition, r.offset) for r in records]
        try:
            await self._dispatchers[tp.topic].dispatch_many(messages, on_finished=finished)
        except asyncio.CancelledError:
            # Stopping: commit what was finished before the messages in hand; those come again.
            if next_offset is not None:
                with contextlib.suppress(*_COMMIT_LOST, asyncio.CancelledError):
                    await asyncio.shield(self._commit(tp, next_offset))
            raise
        except Exception:
            # The Dispatcher dead-letters what it cannot handle and raises only on a bug: go back to the
            # message it failed on, so that it is never skipped, and let the loop back off.
            self._consumer.seek(tp, next_offset if next_offset is not None else records[0].offset)
            if next_offset is not None:
                await self._commit(tp, next_offset)
            raise
        if next_offset is not None:
            await self._commit(tp, next_offset)
            self._observe_lag(tp, next_offset)

    async def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        try:
            await self._consumer.commit({tp: next_offset})
        except _COMMIT_LOST as exc:
            log.info(
                "commit not taken (partition moved)", group=self.group_id, partition=str(tp), error=str(exc)
            )

    def _observe_lag(self, tp: TopicPartition, next_offset: int) -> None:
        highwater = self._consumer.highwater(tp)
        if highwater is not None:
            # The subscription's group, as the other consumer metrics label it (not the broker's prefixed id).
            group = self._dispatchers[tp.topic].subscription.group
            metrics.CONSUMER_LAG.labels(tp.topic, group, str(tp.partition)).set(
                max(highwater - next_offset, 0)
            )
