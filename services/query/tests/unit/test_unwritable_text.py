"""The query API refuses search parameters the customs XML cannot carry (422 naming the parameter)."""

from __future__ import annotations

import pytest
from service_http import TEST_AUTH, bearer, built_with, serving

from guanwu.query import bootstrap
from guanwu.query.config import QuerySettings


@pytest.mark.parametrize("name", ["trade_name", "bill_no", "status", "kind", "entry_id"])
async def test_an_unwritable_search_parameter_is_refused(name: str) -> None:
    async with serving(built_with(bootstrap.build, QuerySettings(auth=TEST_AUTH)), "query") as (client, _):
        response = await client.get("/api/query/declarations", params={name: "西安\x00"}, headers=bearer())
        assert response.status_code == 422, response.text
        [field] = response.json()["error"]["fields"]
        assert (field["field"], field["loc"], field["type"]) == (name, ["query", name], "xml_char")
        assert (
            await client.get("/api/query/declarations", params={name: "西安"}, headers=bearer())
        ).status_code == 200


async def test_an_unwritable_declaration_id_is_refused() -> None:
    async with serving(built_with(bootstrap.build, QuerySettings(auth=TEST_AUTH)), "query") as (client, _):
        response = await client.get("/api/query/declarations/d%0C1", headers=bearer())
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"][0]["field"] == "declaration_id"


async def test_an_unwritable_bonded_list_filter_is_refused() -> None:
    async with serving(built_with(bootstrap.build, QuerySettings(auth=TEST_AUTH)), "query") as (client, _):
        response = await client.get(
            "/api/query/bonded-lists", params={"trade_name": "宁波\x00"}, headers=bearer()
        )
        assert response.status_code == 422, response.text
        [field] = response.json()["error"]["fields"]
        assert (field["field"], field["type"]) == ("trade_name", "xml_char")
