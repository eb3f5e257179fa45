"""附件 (F-24): add, list, read and remove a record's attachments.

An upload streams into the blob store through the content check and the size limit, and only then is its
document written, with the record's history entry and AnomalyChanged, in one commit (the record's write
first: a version race with an edit is retried on the record read again, before anything else was written).
Whatever fails — too large, a type not allowed, the client gone, the record deleted meanwhile, the store —
the blob is deleted again, so nothing is left behind. A removal writes the record and the document first and
deletes the blob after (a blob that outlives a failure there is an orphan nobody can reach, never a document
without its file)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from guanwu.anomaly.adapters.attachments import AttachmentRepository
from guanwu.anomaly.domain.attachments import (
    KINDS,
    Attachment,
    AttachmentKind,
    AttachmentTooLarge,
    ContentCheck,
    TooManyAttachments,
    added,
    attachment_change,
    kind_named,
    named_for,
    new_attachment_id,
    removed,
    sanitized_name,
)
from guanwu.anomaly.domain.records import Anomaly, change_event_id
from guanwu.anomaly.service_layer.handlers import SOURCE
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.contracts.events.anomaly import FieldChange
from guanwu.platform.clock import Clock
from guanwu.platform.events import envelope_for
from guanwu.platform.refusal import NotFound, VersionConflict
from guanwu.platform.store.blobs import BlobReader, BlobStore, BlobTooLarge, cleanup_even_if_cancelled

log = logging.getLogger(__name__)

_RECORD_RACES = 3
"""How often an attachment's history entry is retried on a record that an edit changed meanwhile."""


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int
    allowed: frozenset[AttachmentKind]
    per_record: int


@dataclass(frozen=True)
class Attachments:
    """Where the files go and what is accepted (bound once by bootstrap)."""

    blobs: BlobStore
    policy: AttachmentPolicy


@dataclass(frozen=True)
class OnRecord:
    """Who acts on which record (no If-Match: an attachment does not change what the form shows)."""

    tenant: str
    user_id: str
    anomaly_id: str


@dataclass(frozen=True)
class Upload:
    name: str | None
    """The file name as the client sent it (sanitised here)."""
    chunks: AsyncIterable[bytes]


async def add_attachment(
    caller: OnRecord, upload: Upload, *, uow: AnomalyUnitOfWork, attachments: Attachments, clock: Clock
) -> Attachment:
    policy = attachments.policy
    await uow.anomalies.load(caller.tenant, caller.anomaly_id)
    if await uow.attachments.count_of_record(caller.tenant, caller.anomaly_id) >= policy.per_record:
        raise TooManyAttachments(policy.per_record)
    name = sanitized_name(upload.name)
    check = ContentCheck(policy.allowed, kind_named(name, policy.allowed))
    digest = hashlib.sha256()
    kinds: list[AttachmentKind] = []

    async def checked() -> AsyncIterator[bytes]:
        async for chunk in upload.chunks:
            check.feed(chunk)
            digest.update(chunk)
            yield chunk
        kinds.append(check.finish())  # a refusal here still fails the put: nothing is kept

    attachment_id = new_attachment_id()
    try:
        stored = await attachments.blobs.put(attachment_id, checked(), max_bytes=policy.max_bytes)
    except BlobTooLarge as exc:
        raise AttachmentTooLarge(exc.max_bytes) from None
    kind = kinds[0]
    attachment = Attachment(
        attachment_id=attachment_id,
        anomaly_id=caller.anomaly_id,
        tenant=caller.tenant,
        name=named_for(name, kind),
        size=stored.size,
        content_type=KINDS[kind].content_type,
        kind=kind,
        sha256=digest.hexdigest(),
        uploaded_by=caller.user_id,
        uploaded_at=clock(),
    )
    try:
        await _with_history(caller, added(attachment), uow, clock, lambda: uow.attachments.add(attachment))
    except BaseException:
        await cleanup_even_if_cancelled(attachments.blobs.delete(attachment_id))
        raise
    return attachment


async def list_attachments(caller: OnRecord, *, uow: AnomalyUnitOfWork) -> list[Attachment]:
    await uow.anomalies.load(caller.tenant, caller.anomaly_id)
    return await uow.attachments.of_record(caller.tenant, caller.anomaly_id)


async def open_attachment(
    caller: OnRecord, attachment_id: str, *, uow: AnomalyUnitOfWork, attachments: Attachments
) -> tuple[Attachment, BlobReader]:
    attachment = await _attachment(caller, attachment_id, uow)
    reader = await attachments.blobs.open(attachment.attachment_id)
    if reader is None:
        log.error("attachment %s has no file in the blob store", attachment.attachment_id)
        raise NotFound(AttachmentRepository.noun)
    return attachment, reader


async def remove_attachment(
    caller: OnRecord, attachment_id: str, *, uow: AnomalyUnitOfWork, attachments: Attachments, clock: Clock
) -> None:
    attachment = await _attachment(caller, attachment_id, uow)
    await _with_history(
        caller, removed(attachment), uow, clock, lambda: uow.attachments.remove(attachment.attachment_id)
    )
    if not await attachments.blobs.delete(attachment.attachment_id):
        log.warning("attachment %s had no file to delete", attachment.attachment_id)


async def _attachment(caller: OnRecord, attachment_id: str, uow: AnomalyUnitOfWork) -> Attachment:
    """The attachment of the caller's record: another tenant's or another record's is not found."""
    await uow.anomalies.load(caller.tenant, caller.anomaly_id)
    attachment = await uow.attachments.of(caller.tenant, caller.anomaly_id, attachment_id)
    if attachment is None:
        raise NotFound(AttachmentRepository.noun)
    return attachment


async def _with_history(
    caller: OnRecord, change: FieldChange, uow: AnomalyUnitOfWork, clock: Clock, stage: Callable[[], object]
) -> Anomaly:
    """Commit the record's history entry (and its event) with what `stage` stages, retrying on an edit that
    moved the record on meanwhile."""
    for attempt in range(_RECORD_RACES):
        anomaly = await uow.anomalies.load(caller.tenant, caller.anomaly_id)
        after, event = attachment_change(anomaly, change, user_id=caller.user_id, now=clock())
        announced = envelope_for(
            event,
            source=SOURCE,
            tenant=caller.tenant,
            event_id=change_event_id(after.anomaly_id, after.version),
        )
        uow.anomalies.save(after, [announced])
        stage()
        try:
            await uow.commit()
        except VersionConflict:
            if attempt == _RECORD_RACES - 1:
                raise
            continue
        return after
    raise AssertionError("unreachable")
