"""How this service answered each reviewer's 发送 (`declaration_sends`), one document per tenant and send id;
a refused send carries its DeclarationSendRefused in the outbox of its own insert."""

from __future__ import annotations

from guanwu.declaration.domain.sending import SEND, SendRecord, send_record_id
from guanwu.platform.unit_of_work import Repository


class SendRecordRepository(Repository[SendRecord]):
    collection_name = "declaration_sends"
    noun = SEND
    model = SendRecord
    indexes = ([("tenant", 1), ("declaration_id", 1)],)

    def id_of(self, aggregate: SendRecord) -> str:
        return send_record_id(aggregate.tenant, aggregate.send_id)

    async def of_send(self, tenant: str, send_id: str) -> SendRecord | None:
        return await self.get(tenant, send_record_id(tenant, send_id))
