"""Command handlers of the declaration service."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

import gmalglib

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import new_event_id
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationDeleted,
    DeclarationSubmittedForReview,
    DeclarationSummary,
    DeclarationUpdated,
    SignRequested,
)
from guanwu.customs.messages import UnrepresentableTextError, canonical_sign_bytes
from guanwu.customs.rules import Finding, Level, check
from guanwu.declaration.domain import (
    Declaration,
    LifecycleError,
    delete,
    draft,
    revise,
    submit_for_review,
)
from guanwu.declaration.lifecycle import ensure_approved, request_declare
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxNotifier
from guanwu.platform.store.port import ConcurrencyConflict

SOURCE = "/guanwu/declaration"


def validate(document: DeclarationDocument, level: Level) -> list[Finding]:
    """逻辑校验 at 暂存 or 申报 level (pure)."""
    return check(document, level)


async def draft_declaration(
    document: DeclarationDocument,
    *,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    correlation_id: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    template: tuple[str, list[str]] | None = None,
) -> Declaration:
    declaration = draft(
        document,
        validate(document, Level.STAGE),
        declaration_id=new_event_id(),
        tenant=tenant,
        user_id=user_id,
        now=clock(),
        template=template,
    )
    event = envelope_for(
        declaration.drafted_event(), source=SOURCE, tenant=tenant, correlation_id=correlation_id
    )
    await repository.add(declaration, [event])
    outbox_written(repository.collection.name, declaration.declaration_id)
    return declaration


class NotFound(Exception):
    pass


async def _load(repository: DeclarationRepository, tenant: str, declaration_id: str) -> Declaration:
    declaration = await repository.get(tenant, declaration_id)
    if declaration is None:
        raise NotFound(declaration_id)
    return declaration


async def _load_version(
    repository: DeclarationRepository, tenant: str, declaration_id: str, expected_version: int
) -> Declaration:
    current = await _load(repository, tenant, declaration_id)
    if current.version != expected_version:
        raise ConcurrencyConflict(repository.collection.name, declaration_id, expected_version)
    return current


async def _change(
    declaration_id: str,
    step: Callable[[Declaration], Declaration],
    event_class: type[DeclarationSummary],
    *,
    expected_version: int,
    tenant: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
) -> Declaration:
    """Load, check the version the caller edited, apply one domain step, store it with its event.

    The version is checked here for a clear 412 and again by the store's conditional replace, which is what
    makes two concurrent editors of the same version end with exactly one winner.
    """
    current = await _load_version(repository, tenant, declaration_id, expected_version)
    changed = step(current)
    await repository.save(changed, [envelope_for(changed.summary(event_class), source=SOURCE, tenant=tenant)])
    outbox_written(repository.collection.name, declaration_id)
    return changed


def _now() -> datetime:
    return datetime.now(UTC)


async def update_declaration(
    declaration_id: str,
    document: DeclarationDocument,
    *,
    expected_version: int,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = _now,
) -> Declaration:
    """暂存 again. The caller states the version it edited; another editor's change in between wins (412)."""
    findings = validate(document, Level.STAGE)
    return await _change(
        declaration_id,
        lambda current: revise(current, document, findings, user_id=user_id, now=clock()),
        DeclarationUpdated,
        expected_version=expected_version,
        tenant=tenant,
        repository=repository,
        outbox_written=outbox_written,
    )


async def submit_declaration_for_review(
    declaration_id: str,
    *,
    expected_version: int,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = _now,
) -> Declaration:
    """提交审核: refused while the 申报-level checks find errors."""
    return await _change(
        declaration_id,
        lambda current: submit_for_review(
            current, validate(current.document, Level.DECLARE), user_id=user_id, now=clock()
        ),
        DeclarationSubmittedForReview,
        expected_version=expected_version,
        tenant=tenant,
        repository=repository,
        outbox_written=outbox_written,
    )


async def delete_declaration(
    declaration_id: str,
    *,
    expected_version: int,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = _now,
) -> Declaration:
    return await _change(
        declaration_id,
        lambda current: delete(current, user_id=user_id, now=clock()),
        DeclarationDeleted,
        expected_version=expected_version,
        tenant=tenant,
        repository=repository,
        outbox_written=outbox_written,
    )


async def copy_declaration(
    declaration_id: str,
    *,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
) -> Declaration:
    """复制: a new draft with the same document, minus what customs assigned to the original."""
    source = await _load(repository, tenant, declaration_id)
    head = source.document.head.model_copy(update={"seq_no": None, "entry_id": None})
    document = source.document.model_copy(update={"head": head})
    return await draft_declaration(
        document, tenant=tenant, user_id=user_id, repository=repository, outbox_written=outbox_written
    )


MAX_SIGNED_BYTES = 500_000
"""What one SignRequested can carry (base64 within the event's 700,000 characters, under Kafka's 1 MB)."""


def signable_content(declaration: Declaration) -> bytes:
    """The canonical bytes the card signs (docs/signing.md); refused when they cannot be signed or sent."""
    try:
        content = canonical_sign_bytes(declaration.document)
    except UnrepresentableTextError as exc:
        raise LifecycleError(
            "declaration.unsignable",
            f"报关单含有无法签名的字符：{exc}",
            f"The declaration contains characters that cannot be signed: {exc}",
        ) from None
    if len(content) > MAX_SIGNED_BYTES:
        raise LifecycleError(
            "declaration.too_large_to_sign",
            f"报关单报文 {len(content)} 字节，超过签名上限 {MAX_SIGNED_BYTES} 字节",
            f"The declaration message is {len(content)} bytes, over the signing limit of {MAX_SIGNED_BYTES}",
        )
    return content


async def declare_declaration(
    declaration_id: str,
    *,
    expected_version: int,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    clock: Callable[[], datetime] = _now,
) -> Declaration:
    """申报: 申报中, and in the same write the announcement and the signing request for the card signer."""
    current = await _load_version(repository, tenant, declaration_id, expected_version)
    ensure_approved(current)  # before building the bytes: a draft's refusal should say why, not fail on them
    content = signable_content(current)
    request_id, content_sm3 = new_event_id(), bytes(gmalglib.sm3_digest(content)).hex()
    changed = request_declare(
        current,
        validate(current.document, Level.DECLARE),
        request_id=request_id,
        content_sm3=content_sm3,
        user_id=user_id,
        now=clock(),
    )
    content_b64 = base64.b64encode(content).decode()
    announced = envelope_for(
        changed.summary(
            DeclarationDeclareRequested,
            request_id=request_id,
            content_sm3=content_sm3,
            requested_by=user_id,
            message_b64=content_b64,
        ),
        source=SOURCE,
        tenant=tenant,
    )
    sign = SignRequested(
        request_id=request_id, declaration_id=declaration_id, content_b64=content_b64, requested_by=user_id
    )
    signing = envelope_for(sign, source=SOURCE, tenant=tenant, correlation_id=announced[1].correlationid)
    await repository.save(changed, [announced, signing])
    outbox_written(repository.collection.name, declaration_id)
    return changed
