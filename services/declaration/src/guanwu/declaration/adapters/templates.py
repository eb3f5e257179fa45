"""单证模版 in the document store, per tenant, listed by name."""

from __future__ import annotations

from guanwu.declaration.domain.errors import TEMPLATE
from guanwu.declaration.domain.templates import Template
from guanwu.platform.unit_of_work import Repository


class TemplateRepository(Repository[Template]):
    collection_name = "declaration_templates"
    noun = TEMPLATE
    model = Template
    indexes = ([("tenant", 1), ("name", 1)],)

    def id_of(self, aggregate: Template) -> str:
        return aggregate.template_id

    async def list_for(self, tenant: str) -> list[Template]:
        docs = await self.collection.find({"tenant": tenant}, sort=[("name", 1)])
        return [self.from_document(doc) for doc in docs]
