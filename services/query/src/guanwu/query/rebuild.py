"""The query read model as `guanwu replay query` rebuilds it (`guanwu.platform.replay`).

The parts come from this service's own bootstrap, so the rebuild runs exactly the subscriptions and handlers
the running service runs (whatever they become), and its start hooks make the indexes of the fresh collections.
Every collection of the service is named `query_…` and is a projection of events (query_declarations,
query_declaration_history, query_bonded_lists, and any the service adds under that prefix): all are rebuilt.
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from guanwu.platform.replay import ReadModel
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.settings import AuthSettings
from guanwu.platform.store.port import Document, DocumentStore
from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings

COLLECTION_PREFIX = "query_"
ROWS = ("query_declarations", "query_declaration_history", "query_bonded_lists")
"""The collections whose rows only grow with events: a rebuild with fewer is missing events (the others, such
as receipts waiting for their declaration's row, hold what a replay in another order may never need)."""


def read_model() -> ReadModel:
    return ReadModel(
        "query", _parts, lambda name: name.startswith(COLLECTION_PREFIX), counted=lambda name: name in ROWS
    )


def _parts(store: DocumentStore) -> ServiceParts:
    # Nobody calls the API of these parts: a throwaway secret stands in for the deployment's.
    settings = QuerySettings(auth=AuthSettings(secret=SecretStr(secrets.token_urlsafe(48))))
    return bootstrap.build(settings, store, _publishes_nothing)


def _publishes_nothing(
    collection: str | None = None, doc_id: str | None = None, written: Document | None = None
) -> None:
    return None
