"""Attachments' documents in the store (their bytes are blobs, `BLOB_BUCKET`). Every read is scoped to a tenant
here: another tenant's attachment is not found."""

from __future__ import annotations

from guanwu.anomaly.domain.attachments import Attachment
from guanwu.platform.refusal import Noun
from guanwu.platform.unit_of_work import Repository

BLOB_BUCKET = "anomaly_attachments"
"""Where the files are: GridFS `anomaly_attachments.files/.chunks` on Mongo, `<data>/blobs/anomaly_attachments/`
embedded."""


class AttachmentRepository(Repository[Attachment]):
    collection_name = "anomaly_attachments"
    noun = Noun("anomaly_attachment", "附件", "attachment")
    model = Attachment
    indexes = ([("tenant", 1), ("anomaly_id", 1), ("uploaded_at", 1)],)

    def id_of(self, aggregate: Attachment) -> str:
        return aggregate.attachment_id

    async def of_record(self, tenant: str, anomaly_id: str) -> list[Attachment]:
        """The record's attachments, oldest first."""
        docs = await self.collection.find(
            {"tenant": tenant, "anomaly_id": anomaly_id}, sort=[("uploaded_at", 1), ("attachment_id", 1)]
        )
        return [self.from_document(doc) for doc in docs]

    async def count_of_record(self, tenant: str, anomaly_id: str) -> int:
        return await self.collection.count({"tenant": tenant, "anomaly_id": anomaly_id})

    async def of(self, tenant: str, anomaly_id: str, attachment_id: str) -> Attachment | None:
        """One attachment of the tenant's record (None also when it belongs to another record)."""
        return await self.find_one({"_id": attachment_id, "tenant": tenant, "anomaly_id": anomaly_id})
