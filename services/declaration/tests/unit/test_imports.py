"""导入 (F-33): the template, and filled templates imported as drafts — all or nothing, once per file."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from declaration_harness import Service, auth
from import_workbooks import (
    GOODS_PART,
    IMPORTS,
    filled,
    importable,
    rezipped,
    upload,
    valid_documents,
)
from openpyxl import load_workbook

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs import fixtures
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork


async def _drafts(service: Service, ids: list[str]) -> list[dict[str, Any]]:
    found = []
    for declaration_id in ids:
        response = await service.client.get(f"/api/declaration/declarations/{declaration_id}", headers=auth())
        assert response.status_code == 200, response.text
        found.append(response.json())
    return found


async def test_the_template_has_head_goods_instructions_and_code_lists(service: Service) -> None:
    response = await service.client.get(f"{IMPORTS}/template.xlsx", headers=auth(roles=("reviewer",)))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["表头", "表体", "说明", "代码表"]
    head_headers = [cell.value for cell in workbook["表头"][1]]
    assert head_headers[:2] == ["*单据序号（No）", "*进出口标志（IEFlag）"]
    assert "*申报地海关（CustomMaster）" in head_headers and "监管方式（TradeMode）" in head_headers
    assert "（SeqNo）" not in str(head_headers) and "（EntryId）" not in str(
        head_headers
    )  # customs assign these
    assert "*商品编号（CodeTS）" in [cell.value for cell in workbook["表体"][1]]
    trade_mode = head_headers.index("监管方式（TradeMode）")
    letter = workbook["表头"].cell(row=1, column=trade_mode + 1).column_letter
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in workbook["表头"].data_validations.dataValidation}
    formula = lists[f"{letter}2"]
    assert formula.startswith("'代码表'!")
    codes_column = formula.split("!")[1].split(":")[0].replace("$", "")[0]
    codes = [row[0] for row in workbook["代码表"].iter_rows(min_row=2, values_only=True)]
    assert codes and all(code is None or isinstance(code, str) for code in codes)
    listed = [c.value for c in workbook["代码表"][codes_column][1:]]
    assert "0110" in listed  # 一般贸易, with its leading zero
    assert lists["B2"] == '"I,E"'
    assert "单据序号" in str(workbook["说明"]["A2"].value)


async def test_a_filled_template_becomes_drafts_equal_to_what_was_filled(service: Service) -> None:
    documents = valid_documents()
    response = await upload(service.client, filled(documents), auth())
    assert response.status_code == 201, response.text
    record = response.json()
    assert response.headers["location"] == f"{IMPORTS}/{record['import_id']}"
    assert record["state"] == "completed" and record["written"] == len(documents)
    assert record["goods_lines"] == sum(len(d.goods) for d in documents)
    assert record["file_name"] == "报关单导入.xlsx"
    drafts = await _drafts(service, record["declaration_ids"])
    for draft, document in zip(drafts, documents, strict=True):
        assert draft["status"] == "草稿" and draft["created_by"] == "u1"
        assert DeclarationDocument.model_validate(draft["document"]) == importable(document)
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    assert sorted(e.declaration_id for e in service.drafted()) == sorted(record["declaration_ids"])
    again = await service.client.get(f"{IMPORTS}/{record['import_id']}", headers=auth())
    assert again.status_code == 200 and again.json() == record


async def test_the_same_file_twice_creates_nothing_new_and_answers_the_same_drafts(service: Service) -> None:
    content = filled(valid_documents())
    first = await upload(service.client, content, auth())
    assert first.status_code == 201, first.text
    second = await upload(service.client, content, auth(), name="改了名字.xlsx")
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert await service.stored() == 3
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    assert len(service.drafted()) == 3


async def test_one_bad_row_creates_nothing_and_is_named_by_sheet_row_and_column(service: Service) -> None:
    documents = valid_documents()
    content = filled(documents)
    # 表体 row 5 (the second goods line of the second declaration): 征免方式 X is in no table, 申报总价 not a number
    workbook = load_workbook(io.BytesIO(content))
    goods = workbook["表体"]
    headers = [cell.value for cell in goods[1]]
    duty = headers.index("征免方式（DutyMode）") + 1
    total = headers.index("申报总价（DeclTotal）") + 1
    goods.cell(row=5, column=duty, value="X")
    goods.cell(row=6, column=total, value="十二元")
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = await upload(service.client, buffer.getvalue(), auth())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "declaration.import_has_errors"
    located = {(f["sheet"], f["row"], f["column"], f["field"]) for f in error["findings"]}
    assert ("表体", 5, goods.cell(row=5, column=duty).column_letter, "DutyMode") in located
    assert ("表体", 6, goods.cell(row=6, column=total).column_letter, "DeclTotal") in located
    assert all(f["message_zh"] and f["message_en"] for f in error["findings"])
    assert await service.stored() == 0
    assert (await service.runtime.store.collection("declaration_imports").count({})) == 0


async def test_a_logic_check_error_is_pointed_at_its_cell(service: Service) -> None:
    document = fixtures.export_sea_general_trade()
    head = document.head.model_copy(update={"custom_master": "ZZZZ"})
    response = await upload(service.client, filled([document.model_copy(update={"head": head})]), auth())
    assert response.status_code == 422, response.text
    findings = response.json()["error"]["findings"]
    master = next(f for f in findings if f["field"] == "CustomMaster")
    assert master["sheet"] == "表头" and master["row"] == 2 and master["severity"] == "error"
    assert master["rule_code"] and master["field_path"] == "head.custom_master"
    assert master["label_zh"] == "申报地海关"  # the template's name for the column, for people to read
    assert await service.stored() == 0


async def test_goods_rows_must_name_a_head_row_and_head_keys_are_unique(service: Service) -> None:
    content = filled(valid_documents())
    workbook = load_workbook(io.BytesIO(content))
    workbook["表体"]["A3"] = "没有这一单"
    workbook["表头"]["A4"] = "1"  # the third declaration takes the first one's key
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await upload(service.client, buffer.getvalue(), auth())
    assert response.status_code == 422, response.text
    located = {(f["sheet"], f["row"], f["field"]) for f in response.json()["error"]["findings"]}
    assert ("表体", 3, "No") in located and ("表头", 4, "No") in located
    assert await service.stored() == 0


async def test_the_upload_gives_the_ie_flag_to_rows_without_one(service: Service) -> None:
    workbook = load_workbook(io.BytesIO(filled([fixtures.export_sea_general_trade()])))
    workbook["表头"]["B2"] = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    without = await upload(service.client, buffer.getvalue(), auth())
    assert without.status_code == 422
    assert [f["field"] for f in without.json()["error"]["findings"]] == ["IEFlag"]
    given = await upload(service.client, buffer.getvalue(), auth(), ie_flag="E")
    assert given.status_code == 201, given.text
    (draft,) = await _drafts(service, given.json()["declaration_ids"])
    assert draft["document"]["head"]["ie_flag"] == "E"
    as_query = await service.client.post(
        f"{IMPORTS}?ie_flag=I",
        files={"file": ("a.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=auth(),
    )
    assert as_query.status_code == 201, as_query.text  # another import: the flag is part of what it is
    (imported,) = await _drafts(service, as_query.json()["declaration_ids"])
    assert imported["document"]["head"]["ie_flag"] == "I"
    wrong = await upload(service.client, buffer.getvalue(), auth(), ie_flag="X")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "declaration.import_ie_flag"


async def test_imports_belong_to_their_tenant(service: Service) -> None:
    content = filled(valid_documents()[:1])
    mine = (await upload(service.client, content, auth("acme"))).json()
    assert (
        await service.client.get(f"{IMPORTS}/{mine['import_id']}", headers=auth("other"))
    ).status_code == 404
    theirs = await upload(service.client, content, auth("other"))
    assert theirs.status_code == 201  # the same file is another tenant's own import
    assert set(theirs.json()["declaration_ids"]).isdisjoint(mine["declaration_ids"])
    assert await service.stored() == 2


async def test_only_preparers_import(service: Service) -> None:
    content = filled(valid_documents()[:1])
    response = await upload(service.client, content, auth(roles=("reviewer",)))
    assert response.status_code == 403
    assert await service.stored() == 0


async def test_an_import_interrupted_while_writing_is_completed_by_the_same_file(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [fixtures.export_sea_general_trade() for _ in range(5)]
    content = filled(documents)
    commits = 0
    real_commit = DeclarationUnitOfWork.commit

    async def crashing_commit(self: DeclarationUnitOfWork) -> None:
        nonlocal commits
        commits += 1
        if commits == 3:  # the record, one batch of drafts, then the crash
            raise ConnectionError("the store went away")
        await real_commit(self)

    limits = service.runtime.services[0].context.import_limits  # type: ignore[attr-defined]
    monkeypatch.setattr(limits, "write_batch", 2)
    monkeypatch.setattr(DeclarationUnitOfWork, "commit", crashing_commit)
    with pytest.raises(ConnectionError):
        await upload(service.client, content, auth())
    monkeypatch.setattr(DeclarationUnitOfWork, "commit", real_commit)
    assert await service.stored() == 2
    records = await service.runtime.store.collection("declaration_imports").find({})
    assert [r["state"] for r in records] == ["writing"]

    retried = await upload(service.client, content, auth())
    assert retried.status_code == 201, retried.text
    record = retried.json()
    assert record["state"] == "completed" and record["written"] == 3
    assert await service.stored() == 5
    assert {d["declaration_id"] for d in await _drafts(service, record["declaration_ids"])} == set(
        record["declaration_ids"]
    )


async def test_ten_thousand_goods_lines_import(service: Service) -> None:
    """200 declarations × 50 lines: the file imports whole (the time is printed, never asserted)."""
    content = filled([fixtures.fifty_line_export() for _ in range(200)])
    started = time.perf_counter()
    response = await upload(service.client, content, auth())
    seconds = time.perf_counter() - started
    assert response.status_code == 201, response.text[:2000]
    record = response.json()
    assert record["goods_lines"] == 10_000 and len(record["declaration_ids"]) == 200
    assert await service.stored() == 200
    print(f"\nimport of 10,000 goods lines ({len(content) / 1e6:.2f} MB): {seconds:.1f} s")
    sample = await _drafts(service, [record["declaration_ids"][-1]])
    assert len(sample[0]["document"]["goods"]) == 50


async def test_a_goods_part_that_is_no_xml_refuses_the_file(service: Service) -> None:
    content = rezipped(filled(valid_documents()), replace={GOODS_PART: b"<worksheet><sheetData><row>"})
    response = await upload(service.client, content, auth())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "declaration.import_not_xlsx"
    assert await service.stored() == 0


def _saved_by_libreoffice(content: bytes, folder: Path) -> bytes:
    source = folder / "filled.xlsx"
    source.write_bytes(content)
    converted = folder / "saved"
    command = ["soffice", "--headless", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML"]
    subprocess.run(
        [*command, "--outdir", str(converted), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(folder)},  # a profile of its own: parallel runs do not share one
    )
    return (converted / "filled.xlsx").read_bytes()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="installed by deploy/local/print-tools.sh")
async def test_a_template_saved_by_libreoffice_imports(service: Service, tmp_path: Path) -> None:
    """A spreadsheet program's own save (shared strings, a dimension, its styles): text codes keep their
    leading zeros and every value reads back as filled."""
    documents = valid_documents()
    content = filled(documents)
    saved = _saved_by_libreoffice(content, tmp_path)
    assert saved != content
    response = await upload(service.client, saved, auth())
    assert response.status_code == 201, response.text[:2000]
    drafts = await _drafts(service, response.json()["declaration_ids"])
    for draft, document in zip(drafts, documents, strict=True):
        assert DeclarationDocument.model_validate(draft["document"]) == importable(document)
