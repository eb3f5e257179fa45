"""The unit of work and the repository base every service's aggregates are kept with.

A command or an event handler loads aggregates through repositories, stages what it changed together with the
events that announce it, and commits: each staged change is ONE document write that carries its events in the
outbox (see `outbox.py`), and the relay is told about every written document, so no handler calls the relay
and no event waits for the periodic sweep.

    async with uow:
        declaration = await uow.declarations.load(tenant, declaration_id, expected_version=3)
        uow.declarations.save(step(declaration), [event])
        await uow.commit()

Choices: MongoDB-wire servers (FerretDB 1.x above all) give no multi-document transactions, so a unit of work
is not atomic across documents: each staged write is, and they are written in the order staged. Every handler
therefore changes one aggregate per command, or writes idempotently (derived ids) so a retry completes a batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from guanwu.contracts.envelope import Envelope
from guanwu.platform.outbox import OutboxNotifier, add_events
from guanwu.platform.refusal import NotFound, Noun, VersionConflict
from guanwu.platform.store.port import (
    OUTBOX_PENDING_FIELD,
    VERSION_FIELD,
    Collection,
    ConcurrencyConflict,
    Document,
    DocumentStore,
    DuplicateKeyError,
    Filter,
    SortSpec,
    as_inserted,
)

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R")
Events = Sequence[tuple[str, Envelope]]
IndexSpec = Sequence[tuple[str, int]]


@dataclass
class Write:
    """One staged document write. After the commit, `written` is the document as stored; an idempotent
    insert (`once=True`) that found its `_id` taken leaves it None."""

    collection: Collection
    noun: Noun
    doc: Document
    expected_version: int | None = None  # None: a new document
    once: bool = False
    delete: bool = False
    written: Document | None = None
    _when_stored: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def stored(self) -> bool:
        return self.written is not None

    def when_stored(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the commit has stored this write (not when it found its id taken, lost a
        version race or was refused): how a repository reports committed facts, e.g. to metrics."""
        self._when_stored.append(callback)


class UnitOfWork:
    """Changes staged by one command or one (batch of) event(s), written by `commit`.

    Leaving `async with uow:` without committing discards what was staged. Services subclass it to name
    their repositories (`self.declarations = DeclarationRepository(store, self)`)."""

    def __init__(self, store: DocumentStore, outbox_written: OutboxNotifier) -> None:
        self.store = store
        self._outbox_written = outbox_written
        self._staged: list[Write] = []

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def stage(self, write: Write) -> Write:
        self._staged.append(write)
        return write

    def rollback(self) -> None:
        self._staged.clear()

    async def commit(self) -> None:
        """Write what was staged, in order; then tell the relay about each document that carries events and
        run the writes' `when_stored` callbacks — also for the writes stored before a later one failed.

        Consecutive idempotent inserts into one collection go in one `insert_many` (a consumer's batch)."""
        staged, self._staged = self._staged, []
        try:
            for group in _groups(staged):
                if _batchable(group[0]):
                    await _insert_once(group)
                else:
                    await _write_one(group[0])
        finally:
            for write in staged:
                if write.written is not None:
                    self._stored(write, write.written)

    def _stored(self, write: Write, written: Document) -> None:
        if written.get(OUTBOX_PENDING_FIELD):
            self._outbox_written(write.collection.name, written["_id"], written)
        for callback in write._when_stored:
            callback()


def _groups(staged: list[Write]) -> list[list[Write]]:
    groups: list[list[Write]] = []
    for write in staged:
        last = groups[-1] if groups else None
        if last and _batchable(last[-1]) and _batchable(write) and last[-1].collection is write.collection:
            last.append(write)
        else:
            groups.append([write])
    return groups


def _batchable(write: Write) -> bool:
    return write.once and write.expected_version is None and not write.delete


async def _insert_once(group: list[Write]) -> None:
    inserted = await group[0].collection.insert_many([w.doc for w in group])
    for write, new in zip(group, inserted, strict=True):
        write.written = as_inserted(write.doc) if new else None


async def _write_one(write: Write) -> None:
    collection = write.collection
    if write.delete:
        # Nothing rides on a deletion, so it has no events; a document already gone is not an error.
        await collection.delete(write.doc["_id"])
        return
    if write.expected_version is None:
        write.written = await collection.insert(write.doc)  # DuplicateKeyError: a refusal for the caller
        return
    try:
        # Keeping what the outbox still holds, atomically with respect to the relay's cleanup: re-reading the
        # outbox before a plain replace would write back events the relay cleaned meanwhile (published twice).
        write.written = await collection.replace_keeping_outbox(
            write.doc, expected_version=write.expected_version
        )
    except ConcurrencyConflict:
        current = await collection.get(write.doc["_id"])
        version = None if current is None else int(current[VERSION_FIELD])
        raise VersionConflict(
            write.noun, collection.name, write.doc["_id"], write.expected_version, version
        ) from None


class Repository(Generic[A]):
    """Aggregates of one collection. Reads are always scoped to a tenant; writes are staged in the unit of
    work. The aggregate's `version` (when it has one) is the store's `_version`: a domain step returns the
    next version, and `save` expects the store to hold the one before it.

    A subclass sets `collection_name`, `noun`, `model`, `indexes` and `id_of`; `to_document` and
    `from_document` have defaults for pydantic models whose fields are the document's."""

    collection_name: ClassVar[str]
    noun: ClassVar[Noun]
    model: type[A]
    indexes: ClassVar[Sequence[IndexSpec]] = ()

    def __init__(self, store: DocumentStore, uow: UnitOfWork) -> None:
        self.collection: Collection = store.collection(self.collection_name)
        self._uow = uow

    def id_of(self, aggregate: A) -> str:
        raise NotImplementedError

    def to_document(self, aggregate: A) -> Document:
        return {"_id": self.id_of(aggregate), **aggregate.model_dump(mode="json", exclude={"version"})}

    def from_document(self, doc: Document) -> A:
        if "version" in self.model.model_fields:
            return self.model.model_validate({**doc, "version": doc[VERSION_FIELD]})
        return self.model.model_validate(doc)

    async def ensure_indexes(self) -> None:
        for fields in self.indexes:
            await self.collection.ensure_index(fields)

    # ------------------------------------------------------------------------------------------- reads

    async def get(self, tenant: str, aggregate_id: str) -> A | None:
        return await self.find_one({"_id": aggregate_id, "tenant": tenant})

    async def load(self, tenant: str, aggregate_id: str, *, expected_version: int | None = None) -> A:
        """The aggregate, or NotFound; with `expected_version`, VersionConflict when it moved on (checked here
        for a clear answer, and again by the store's conditional write at commit)."""
        aggregate = await self.get(tenant, aggregate_id)
        if aggregate is None:
            raise NotFound(self.noun)
        current = getattr(aggregate, "version", None)
        if expected_version is not None and current != expected_version:
            raise VersionConflict(self.noun, self.collection.name, aggregate_id, expected_version, current)
        return aggregate

    async def find_one(self, filter: Filter) -> A | None:
        doc = await self.collection.find_one(filter)
        return None if doc is None else self.from_document(doc)

    async def page(self, filter: Filter, *, sort: SortSpec, skip: int, limit: int) -> tuple[int, list[A]]:
        """One page of matches and how many there are in all (callers put the tenant in `filter`)."""
        total, docs = await self.collection.page(filter, sort=sort, skip=skip, limit=limit)
        return total, [self.from_document(d) for d in docs]

    # ------------------------------------------------------------------------------------------ writes

    def add(self, aggregate: A, events: Events = (), *, once: bool = False) -> Write:
        """Stage a new aggregate with its events. `once`: its id derives from what caused it, so finding the
        id taken means a redelivery (the write reports `stored` False) rather than a DuplicateKeyError."""
        doc = add_events(self.to_document(aggregate), events)
        return self._uow.stage(Write(self.collection, self.noun, doc, once=once))

    def remove(self, aggregate_id: str) -> Write:
        """Stage the deletion of a stored aggregate (no event can ride on it: announce a deletion by saving
        the aggregate in a deleted state instead)."""
        return self._uow.stage(Write(self.collection, self.noun, {"_id": aggregate_id}, delete=True))

    def save(self, aggregate: A, events: Events = ()) -> Write:
        """Stage the changed aggregate with its events, replacing the version it was derived from."""
        version: Any = getattr(aggregate, "version", None)
        if not isinstance(version, int):
            raise TypeError(f"{type(aggregate).__name__} has no version to save against")
        doc = add_events(self.to_document(aggregate), events)
        return self._uow.stage(Write(self.collection, self.noun, doc, expected_version=version - 1))


U = TypeVar("U", bound=UnitOfWork)


def with_new_unit_of_work(
    handler: Callable[..., Awaitable[R]], new_uow: Callable[[], U], **dependencies: Any
) -> Callable[..., Awaitable[R]]:
    """An event handler as the bus calls it (`(envelope, event)`, or `(items)` for a batch handler), given a
    fresh unit of work for every call and the other dependencies bootstrap binds (clock, ports)."""

    async def handle(*message: Any) -> R:
        return await handler(*message, uow=new_uow(), **dependencies)

    handle.__name__ = getattr(handler, "__name__", "handle")
    return handle


__all__ = ["DuplicateKeyError", "Events", "Repository", "UnitOfWork", "Write", "with_new_unit_of_work"]
