"""F-07: a draft declaration generated from a pre-approved 核注清单."""

from __future__ import annotations

import pytest
from declaration_harness import Service, auth

from guanwu.contracts.declaration import DocumentKind
from guanwu.customs import fixtures
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level, check
from guanwu.declaration.domain.errors import NotApproved
from guanwu.declaration.domain.from_bonded_list import declaration_from_bonded_list

TABLES = load_default_tables()


def test_fields_are_mapped_and_legacy_codes_become_iso() -> None:
    bonded = fixtures.bonded_list()
    document = declaration_from_bonded_list(bonded, TABLES)
    head, first = document.head, document.goods[0]
    assert (head.ie_flag, head.custom_master, head.trade_mode, head.manual_no) == (
        bonded.head.impexp_markcd,
        bonded.head.dcl_plc_cuscd,
        bonded.head.supv_modecd,
        bonded.head.putrec_no,
    )
    assert head.trade_country == "CHN"  # 142
    assert first.trade_curr == "USD"  # 502
    assert (first.code_ts, first.g_qty, first.decl_total) == (
        bonded.goods[0].gdecd,
        bonded.goods[0].dcl_qty,
        bonded.goods[0].dcl_total_amt,
    )
    assert [g.g_no for g in document.goods] == list(range(1, len(bonded.goods) + 1))
    assert document.kind is DocumentKind.RECORD_LIST  # DecType 3 进境备案清单
    # The generated draft is a draft: it must at least pass the 暂存-level checks for what it carries.
    assert [
        f for f in check(document, Level.STAGE) if f.field_path.startswith("goods") and f.blocks_declare
    ] == []


def test_a_list_that_is_not_approved_is_refused() -> None:
    bonded = fixtures.bonded_list()
    rejected = bonded.model_copy(update={"head": bonded.head.model_copy(update={"list_stat": "2"})})
    with pytest.raises(NotApproved):
        declaration_from_bonded_list(rejected, TABLES)


async def test_the_endpoint_drafts_it(service: Service) -> None:
    body = fixtures.bonded_list().model_dump(mode="json", exclude_none=True)
    created = await service.client.post(
        "/api/declaration/declarations/from-bonded-list", json=body, headers=auth()
    )
    assert created.status_code == 201, created.text
    assert created.json()["document"]["head"]["manual_no"] == fixtures.bonded_list().head.putrec_no
    body["head"]["list_stat"] = "3"
    refused = await service.client.post(
        "/api/declaration/declarations/from-bonded-list", json=body, headers=auth()
    )
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "head.list_stat"


async def test_a_list_without_the_ie_flag_is_explained_not_crashed(service: Service) -> None:
    body = fixtures.bonded_list().model_dump(mode="json", exclude_none=True)
    del body["head"]["impexp_markcd"]
    response = await service.client.post(
        "/api/declaration/declarations/from-bonded-list", json=body, headers=auth()
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["head.ie_flag"]
    assert await service.stored() == 0
