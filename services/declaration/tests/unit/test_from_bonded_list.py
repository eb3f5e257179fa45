"""F-07: a draft declaration generated from a synced, pre-approved 核注清单 named by its number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from declaration_harness import Service, auth

from guanwu.contracts.declaration import BondedList, DocumentKind
from guanwu.contracts.events import BondedListSynced
from guanwu.contracts.sync import BondedListStatus
from guanwu.customs import fixtures
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level, check
from guanwu.declaration.domain.errors import NotApproved
from guanwu.declaration.domain.from_bonded_list import declaration_from_bonded_list
from guanwu.platform.events import envelope_for

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


SEQ_NO = "I20260000000000077"
BOND_INVT_NO = "QD530126I000000077"
FROM_LIST = "/api/declaration/declarations/from-bonded-list"


def synced_list(
    *,
    version: int = 1,
    list_stat: BondedListStatus | None = "0",
    bonded: BondedList | None = None,
    seq_no: str = SEQ_NO,
) -> BondedListSynced:
    listed = bonded or fixtures.bonded_list()
    head = listed.head.model_copy(update={"seq_no": seq_no, "bond_invt_no": BOND_INVT_NO})
    return BondedListSynced(
        seq_no=seq_no,
        bond_invt_no=BOND_INVT_NO,
        list_stat=list_stat,
        sw_version=version,
        sw_updated_at=datetime(2026, 11, 27, 9, version, tzinfo=UTC),
        bonded_list=listed.model_copy(update={"head": head}),
    )


async def synced_in(service: Service, *events: BondedListSynced, tenant: str = "acme") -> None:
    await service.bus.publish_many([envelope_for(e, source="/guanwu/sync", tenant=tenant) for e in events])


async def test_a_synced_approved_list_is_drafted_by_its_number(service: Service) -> None:
    await synced_in(service, synced_list())
    for body in ({"bond_invt_no": BOND_INVT_NO}, {"seq_no": SEQ_NO}):
        created = await service.client.post(FROM_LIST, json=body, headers=auth())
        assert created.status_code == 201, created.text
        assert created.json()["document"]["head"]["manual_no"] == fixtures.bonded_list().head.putrec_no
        assert created.json()["status"] == "草稿"
    assert await service.stored() == 2


async def test_an_unknown_number_is_not_found_in_both_languages(service: Service) -> None:
    await synced_in(service, synced_list(), tenant="other")  # another tenant's list is not the caller's
    answer = await service.client.post(FROM_LIST, json={"bond_invt_no": BOND_INVT_NO}, headers=auth())
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "declaration.bonded_list_not_found"
    assert BOND_INVT_NO in error["message_zh"] and BOND_INVT_NO in error["message_en"]
    assert await service.stored() == 0


@pytest.mark.parametrize("list_stat", ["1", "2", "3", None])
async def test_a_list_the_single_window_has_not_approved_is_refused(
    service: Service, list_stat: BondedListStatus | None
) -> None:
    bonded = fixtures.bonded_list()
    bonded = bonded.model_copy(update={"head": bonded.head.model_copy(update={"list_stat": list_stat})})
    await synced_in(service, synced_list(list_stat=list_stat, bonded=bonded))
    refused = await service.client.post(FROM_LIST, json={"seq_no": SEQ_NO}, headers=auth())
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "declaration.bonded_list_not_approved" and error["field"] == "head.list_stat"
    assert await service.stored() == 0


async def test_the_newest_version_is_kept_whatever_order_they_come_in(service: Service) -> None:
    await synced_in(service, synced_list(version=2, list_stat="3"), synced_list(version=1, list_stat="0"))
    await synced_in(service, synced_list(version=1, list_stat="0"))
    refused = await service.client.post(FROM_LIST, json={"bond_invt_no": BOND_INVT_NO}, headers=auth())
    assert refused.status_code == 409  # version 2 (删单) stands

    await synced_in(service, synced_list(version=3, list_stat="0"))
    kept = await service.runtime.store.collection("declaration_bonded_lists").find({})
    assert [(doc["sw_version"], doc["list_stat"]) for doc in kept] == [(3, "0")]
    created = await service.client.post(FROM_LIST, json={"bond_invt_no": BOND_INVT_NO}, headers=auth())
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"bond_invt_no": BOND_INVT_NO, "seq_no": SEQ_NO},
        {"bond_invt_no": "NOT-A-NUMBER"},
        fixtures.bonded_list().model_dump(mode="json", exclude_none=True),  # the whole list, as before
    ],
)
async def test_a_body_that_names_no_list_is_invalid(service: Service, body: dict[str, Any]) -> None:
    answer = await service.client.post(FROM_LIST, json=body, headers=auth())
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "request.invalid"


async def test_a_list_without_the_ie_flag_is_explained_not_crashed(service: Service) -> None:
    bonded = fixtures.bonded_list()
    bonded = bonded.model_copy(update={"head": bonded.head.model_copy(update={"impexp_markcd": None})})
    await synced_in(service, synced_list(bonded=bonded))
    response = await service.client.post(FROM_LIST, json={"seq_no": SEQ_NO}, headers=auth())
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["head.ie_flag"]
    assert await service.stored() == 0
