"""The sync API refuses a path parameter the customs XML cannot carry (422 naming it), like every API."""

from __future__ import annotations

from .conftest import SyncService, auth


async def test_an_unwritable_declaration_id_is_refused(sync: SyncService) -> None:
    for raw in ("d1%00", "%EF%BF%BF", "d%1B1"):
        response = await sync.client.get(f"/api/sync/declarations/{raw}", headers=auth("acme", ("preparer",)))
        assert response.status_code == 422, response.text
        [field] = response.json()["error"]["fields"]
        assert (field["field"], field["type"]) == ("declaration_id", "xml_char")
