"""申报 (F-43): one POST and one DeclarationSubmitted per signed request, whatever the order or redelivery."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest

from guanwu.contracts import topics
from guanwu.contracts.events import DeclarationStatusChanged, SignFailed
from guanwu.customs.messages import canonical_sign_bytes_of_message, parse_dec_message_with_sign
from guanwu.platform.events import envelope_for

from .conftest import MESSAGE, SIGNATURE_B64, SyncService, der_signature

NOW = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("signature_first", [False, True])
async def test_either_order_sends_once_and_announces_the_seq_no(
    sync: SyncService, signature_first: bool
) -> None:
    if signature_first:
        signing = await sync.signed()
        assert sync.line.declared == [] and (await sync.record())["state"] == "waiting_for_request"
        request = await sync.declare_requested()
    else:
        request = await sync.declare_requested()
        assert sync.line.declared == [] and (await sync.record())["state"] == "waiting_for_signature"
        signing = await sync.signed()
    assert len(sync.line.declared) == 1
    [(envelope, submitted)] = await sync.submitted()
    [filing] = sync.simulator.filings.values()
    assert submitted.seq_no == filing.seq_no and re.fullmatch(r"E\d{17}", submitted.seq_no)
    assert (submitted.declaration_id, submitted.request_id, submitted.entry_id) == ("d1", "req-1", None)
    assert (envelope.tenant, envelope.subject) == ("acme", "d1")
    assert envelope.correlationid == request.correlationid and envelope.causationid == signing.id
    record = await sync.record()
    assert record["state"] == "sent" and record["seq_no"] == filing.seq_no
    assert [r.channel for r in sync.simulator.receipts["acme"]] == ["L", "P"]


async def test_the_posted_message_is_the_declared_one_with_dec_sign(sync: SyncService) -> None:
    await sync.declare_requested()
    await sync.signed()
    [body] = sync.line.declared
    assert canonical_sign_bytes_of_message(body) == MESSAGE  # what the card signed, unchanged
    _, sign = parse_dec_message_with_sign(body)
    assert sign is not None and (sign.oper_type, sign.sign, sign.domain_id) == ("C", SIGNATURE_B64, "2")
    assert sign.client_seq_no is not None and re.fullmatch(r"GW\d{16}", sign.client_seq_no)
    assert sign.sign_date == "20261127093000"  # signed 01:30 UTC = 09:30 Beijing time
    assert (sign.certificate, sign.oper_name) == ("5f3a9c", "张三")


async def test_redelivery_of_either_event_changes_nothing(sync: SyncService) -> None:
    request = await sync.declare_requested()
    signing = await sync.signed()
    [(first, _)] = await sync.submitted()
    before = await sync.record()
    await sync.bus.publish("declaration.events.v1", request)
    await sync.bus.publish("card-signer.events.v1", signing)
    await sync.signed()  # the same answer under a new event id
    assert len(sync.line.declared) == 1
    assert [env.id for env, _ in await sync.submitted()] == [first.id]
    after = await sync.record()
    assert after["_version"] == before["_version"] and after["seq_no"] == before["seq_no"]


async def test_a_crash_after_the_post_sends_again_but_announces_once(sync: SyncService) -> None:
    sync.records.crash_before_sent = True
    await sync.declare_requested()
    await sync.signed()  # the dispatcher retries the failed handler
    assert len(sync.line.declared) == 2 and sync.line.declared[0] == sync.line.declared[1]
    [(_, submitted)] = await sync.submitted()
    [filing] = sync.simulator.filings.values()
    assert submitted.seq_no == filing.seq_no and (filing.submissions, len(filing.accepted)) == (2, 1)
    assert len(sync.simulator.receipts["acme"]) == 2  # the re-sent message made no new receipts
    assert sync.bus.dead_letters == []


async def test_halves_arriving_at_once_make_one_record_sent_once(sync: SyncService) -> None:
    sync.records.slow_reads = True  # both handlers find no record, both try to create it
    await asyncio.gather(sync.declare_requested(), sync.signed())
    record = await sync.record()
    assert record["state"] == "sent" and record["request"] and record["signature"]
    assert len(sync.line.declared) == 1 and len(await sync.submitted()) == 1
    assert sync.bus.dead_letters == []


async def test_a_new_request_for_the_same_declaration_keeps_its_seq_no(sync: SyncService) -> None:
    await sync.declare_requested("req-1")
    await sync.signed("req-1")
    await sync.declare_requested("req-2")
    await sync.signed("req-2", signature_b64=der_signature(0x33))
    seq_nos = [s.seq_no for _, s in await sync.submitted()]
    assert len(seq_nos) == 2 and seq_nos[0] == seq_nos[1]
    assert len(sync.line.declared) == 2


async def test_a_refusal_is_recorded_and_announced_once_as_a_failure(sync: SyncService) -> None:
    sync.simulator.behaviours["acme"] = sync.simulator.behaviour("acme").model_copy(
        update={"reject_with": "表头申报单位代码长度不符"}
    )
    await sync.declare_requested()
    signing = await sync.signed()
    record = await sync.record()
    assert record["state"] == "rejected" and record["error"]["code"] == "response_code_5"
    assert "表头申报单位代码长度不符" in record["error"]["message"]
    await sync.bus.publish("card-signer.events.v1", signing)
    assert len(sync.line.declared) == 1 and await sync.submitted() == []
    [failed] = await sync.submit_failures()
    assert (failed.declaration_id, failed.request_id, failed.code) == ("d1", "req-1", "response_code_5")
    assert "表头申报单位代码长度不符" in failed.message


async def test_an_http_4xx_is_a_refusal(sync: SyncService) -> None:
    sync.line.answer_status = 403
    await sync.declare_requested()
    await sync.signed()
    record = await sync.record()
    assert record["state"] == "rejected" and record["error"]["code"] == "response_code_HTTP 403"
    assert "gateway says no" in record["error"]["message"]
    assert len(sync.line.declared) == 1 and await sync.submitted() == [] and sync.bus.dead_letters == []
    assert [f.code for f in await sync.submit_failures()] == ["response_code_HTTP 403"]


async def test_an_acceptance_without_a_valid_seq_no_is_recorded_not_announced(sync: SyncService) -> None:
    sync.line.answer_status = 200
    sync.line.answer_body = (
        "<DecImportResponse><ResponseCode>0</ResponseCode><SeqNo>E2026</SeqNo></DecImportResponse>"
    )
    await sync.declare_requested()
    await sync.signed()
    record = await sync.record()
    assert record["state"] == "rejected" and record["error"]["code"] == "bad_seq_no"
    assert "E2026" in record["error"]["message"] and await sync.submitted() == []


async def test_a_signature_over_other_content_is_not_sent(sync: SyncService) -> None:
    await sync.declare_requested()
    await sync.signed(content_sm3="cd" * 32)
    record = await sync.record()
    assert record["state"] == "rejected" and record["error"]["code"] == "signature_mismatch"
    assert sync.line.declared == [] and await sync.submitted() == []


@pytest.mark.parametrize("failure", ["connection", "503"])
async def test_an_unreachable_single_window_is_retried_and_resent_later(
    sync: SyncService, failure: str
) -> None:
    if failure == "connection":
        sync.line.refuse_connection = True
    else:
        sync.line.answer_status = 503
    await sync.declare_requested()
    await sync.signed()
    assert len(sync.line.declared) == 3  # the dispatcher's attempts, then the dead-letter queue
    assert len(sync.bus.dead_letters) == 1 and await sync.submitted() == []
    record = await sync.record()
    assert record["state"] == "ready" and record["last_error"]["message"]
    sync.line.refuse_connection, sync.line.answer_status = False, None
    assert await sync.resend_ready() == 1
    [(_, submitted)] = await sync.submitted()
    assert submitted.seq_no == (await sync.record())["seq_no"]
    assert await sync.resend_ready() == 0  # sent: nothing left to resend
    assert len(sync.line.declared) == 4


async def test_a_failed_signing_ends_the_record_and_nothing_is_sent(sync: SyncService) -> None:
    failed = SignFailed(
        request_id="req-1", declaration_id="d1", reason="pin_blocked", detail="PIN 已锁", failed_at=NOW
    )
    _, envelope = envelope_for(failed, source="/guanwu/card-signer", tenant="acme")
    await sync.bus.publish(topics.SIGNER_EVENTS, envelope)
    await sync.declare_requested()  # the request arrives after its failed answer
    record = await sync.record()
    assert record["state"] == "sign_failed" and record["sign_failure"]["reason"] == "pin_blocked"
    assert sync.line.declared == [] and await sync.submitted() == [] and await sync.submit_failures() == []


async def test_a_request_the_declaration_gave_up_is_not_sent_when_its_signature_comes_late(
    sync: SyncService,
) -> None:
    await sync.declare_requested()
    gave_up = DeclarationStatusChanged(
        declaration_id="d1",
        version=4,
        ie_flag="E",
        status="审核通过",
        previous_status="申报中",
        cause="签名超时 signing request req-1 unanswered after 900 s",
        abandoned_request_id="req-1",
    )
    _, envelope = envelope_for(gave_up, source="/guanwu/declaration", tenant="acme")
    await sync.bus.publish(topics.DECLARATION_EVENTS, envelope)
    await sync.bus.publish(topics.DECLARATION_EVENTS, envelope)  # redelivered: still one close
    record = await sync.record()
    assert record["state"] == "abandoned" and "签名超时" in record["error"]["message"]
    await sync.signed()  # the card answers after all
    assert (await sync.record())["state"] == "abandoned"
    assert sync.line.declared == [] and await sync.submitted() == [] and await sync.resend_ready() == 0


async def test_a_status_change_that_gives_nothing_up_leaves_the_request_alone(sync: SyncService) -> None:
    await sync.declare_requested()
    moved = DeclarationStatusChanged(declaration_id="d1", version=4, ie_flag="E", status="申报中")
    _, envelope = envelope_for(moved, source="/guanwu/declaration", tenant="acme")
    await sync.bus.publish(topics.DECLARATION_EVENTS, envelope)
    await sync.signed()
    assert len(sync.line.declared) == 1 and (await sync.record())["state"] == "sent"
