"""The answers to sign requests in the document store, each written once with its event in the outbox."""

from __future__ import annotations

from guanwu.card_signer.domain.results import SignResult
from guanwu.platform.refusal import Noun
from guanwu.platform.store.port import Document
from guanwu.platform.unit_of_work import Repository


class SignResultRepository(Repository[SignResult]):
    collection_name = "card_signer_results"
    noun = Noun("card_signer.result", "签名结果", "sign result")
    model = SignResult

    def id_of(self, aggregate: SignResult) -> str:
        return aggregate.result_id

    # The id is the document's `_id` only, as the documents written before this repository have it.
    def to_document(self, aggregate: SignResult) -> Document:
        return {"_id": aggregate.result_id, **aggregate.model_dump(mode="json", exclude={"result_id"})}

    def from_document(self, doc: Document) -> SignResult:
        return SignResult.model_validate({**doc, "result_id": doc["_id"]})
