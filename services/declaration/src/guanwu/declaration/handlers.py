"""Command handlers of the declaration service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import new_event_id
from guanwu.customs.rules import Finding, Level, check
from guanwu.declaration.domain import Declaration, draft
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxNotifier

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
) -> Declaration:
    declaration = draft(
        document,
        validate(document, Level.STAGE),
        declaration_id=new_event_id(),
        tenant=tenant,
        user_id=user_id,
        now=clock(),
    )
    event = envelope_for(
        declaration.drafted_event(), source=SOURCE, tenant=tenant, correlation_id=correlation_id
    )
    await repository.add(declaration, [event])
    outbox_written(repository.collection.name, declaration.declaration_id)
    return declaration
