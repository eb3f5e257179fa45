"""Command handlers of the declaration service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from guanwu.contracts.envelope import new_event_id
from guanwu.declaration.domain import Declaration, DraftDeclaration, draft
from guanwu.declaration.repository import DeclarationRepository
from guanwu.platform.events import envelope_for
from guanwu.platform.outbox import OutboxNotifier

SOURCE = "/guanwu/declaration"


async def draft_declaration(
    command: DraftDeclaration,
    *,
    tenant: str,
    user_id: str,
    repository: DeclarationRepository,
    outbox_written: OutboxNotifier,
    correlation_id: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Declaration:
    declaration = draft(command, declaration_id=new_event_id(), tenant=tenant, user_id=user_id, now=clock())
    event = envelope_for(
        declaration.drafted_event(), source=SOURCE, tenant=tenant, correlation_id=correlation_id
    )
    await repository.add(declaration, [event])
    outbox_written(repository.collection.name, declaration.declaration_id)
    return declaration
