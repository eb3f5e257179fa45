"""F-03: the transit block and the 载货清单号 show only where they apply (southern mode = Guangdong)."""

from __future__ import annotations

import pytest
from declaration_harness import Service, auth

from guanwu.contracts.declaration import DocumentKind
from guanwu.customs.codes import load_default_tables
from guanwu.declaration.domain.errors import UnknownDistrict
from guanwu.declaration.domain.form import form_metadata

TABLES = load_default_tables()


def test_southern_transit_requires_the_manifest_number() -> None:
    meta = form_metadata("5100", DocumentKind.TRANSIT_DECLARATION, TABLES)  # 广州
    assert meta.mode == "southern"
    assert meta.fields["transit"].presence == "required"
    assert meta.fields["transit.head.trans_no"].presence == "required"
    assert meta.fields["head.edi_id"].allowed == ["5"]


def test_northern_transit_hides_the_manifest_number() -> None:
    meta = form_metadata("9000", DocumentKind.TRANSIT_DECLARATION, TABLES)
    assert meta.mode == "northern"
    assert meta.fields["transit"].presence == "required"
    assert meta.fields["transit.head.trans_no"].presence == "hidden"
    assert meta.fields["head.edi_id"].allowed == ["3"]


def test_an_ordinary_declaration_hides_the_transit_block() -> None:
    meta = form_metadata("5100", DocumentKind.DECLARATION, TABLES)
    assert meta.fields["transit"].presence == "hidden"
    assert meta.fields["head.decl_trn_rel"].allowed == ["0"]
    assert meta.fields["head.bill_type"].presence == "hidden"
    assert (
        form_metadata("5100", DocumentKind.RECORD_LIST, TABLES).fields["head.bill_type"].presence
        == "optional"
    )


def test_unknown_district_is_an_error() -> None:
    with pytest.raises(UnknownDistrict):
        form_metadata("0001", DocumentKind.DECLARATION, TABLES)


async def test_form_metadata_endpoint(service: Service) -> None:
    ok = await service.client.get(
        "/api/declaration/form-metadata",
        params={"custom_master": "5200", "kind": "transit_declaration"},
        headers=auth(),
    )
    assert ok.status_code == 200 and ok.json()["mode"] == "southern"
    unknown = await service.client.get(
        "/api/declaration/form-metadata", params={"custom_master": "0001"}, headers=auth()
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "custom_master"
