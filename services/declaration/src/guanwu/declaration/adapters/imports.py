"""导入记录 (F-33) in the document store: one per tenant and file, under the id the file's sha256 derives."""

from __future__ import annotations

from guanwu.declaration.domain.imports import IMPORT, DeclarationImport
from guanwu.platform.unit_of_work import Repository


class ImportRepository(Repository[DeclarationImport]):
    collection_name = "declaration_imports"
    noun = IMPORT
    model = DeclarationImport
    indexes = ([("tenant", 1), ("created_at", -1)],)

    def id_of(self, aggregate: DeclarationImport) -> str:
        return aggregate.import_id
