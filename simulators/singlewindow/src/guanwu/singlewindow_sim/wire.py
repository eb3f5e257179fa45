"""What the simulated Single Window sends: query items with their document's XML, and the receipts feed in
the customs' formats (DEC_RESULT, INV201, INV202), each rendered on request.

Times in JSON carry their offset (Beijing); times inside the customs' XML are Beijing local time without an
offset, as the customs write them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from guanwu.customs import fixtures
from guanwu.customs.fixtures.datasets import BEIJING, receipt_note
from guanwu.customs.messages import build_dec_message
from guanwu.customs.messages.inv101 import EnvelopInfo, Inv101Message, build_inv101
from guanwu.singlewindow_sim.faults import ActiveFaults, broken
from guanwu.singlewindow_sim.records import EnterpriseRecords
from guanwu.singlewindow_sim.state import BondedListReceipt, FeedEntry, FeedReceipt, Receipt

SENDER = "DXPEDCSAS0000001"  # the Single Window's data centre, as the envelope of what it sends names it


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, BEIJING).isoformat(timespec="milliseconds")


def customs_time(moment: datetime) -> str:
    """yyyy-MM-ddTHH:mm:ss in Beijing time (a time without a zone is Beijing time already)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=BEIJING)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S")


def declaration_item(records: EnterpriseRecords, index: int, faults: ActiveFaults) -> dict[str, Any]:
    data, columns = records.data, records.declarations
    facts = data.declaration_facts(index)
    xml = build_dec_message(data.declaration_document(facts)).decode()
    return {
        "seq_no": facts.seq_no,
        "entry_id": facts.entry_id,
        "client_seq_no": facts.client_seq_no,
        "version": columns.versions[index],
        "updated_at": iso_ms(columns.updated[index]),
        "channel": facts.channel,
        "receipts": [
            {
                "channel": channel,
                "notice_date": data.moment(offset).isoformat(),
                "note": receipt_note(channel),
            }
            for channel, offset in facts.receipts
        ],
        "xml": broken(xml) if faults.malformed("declarations", index) else xml,
    }


def bonded_list_item(records: EnterpriseRecords, index: int, faults: ActiveFaults) -> dict[str, Any]:
    data, columns = records.data, records.bonded_lists
    facts = data.bonded_list_facts(index)
    message_id = f"{SENDER}{facts.seq_no}"
    message = Inv101Message(
        envelope=EnvelopInfo(
            message_id=message_id,
            file_name=f"{message_id}.INV",
            sender_id=SENDER,
            receiver_id=data.enterprise.customs_code,
            send_time=customs_time(data.moment(facts.updated)),
        ),
        declare=True,
        bonded_list=data.bonded_list_document(facts),
    )
    xml = build_inv101(message).decode()
    return {
        "seq_no": facts.seq_no,
        "bond_invt_no": facts.bond_invt_no,
        "list_stat": facts.list_stat,
        "data_source": facts.data_source,
        "version": columns.versions[index],
        "updated_at": iso_ms(columns.updated[index]),
        "receipts": [
            {
                "channel": status,
                "notice_date": data.moment(offset).isoformat(),
                "note": receipt_note(status, bonded=True),
            }
            for status, offset in facts.receipts
        ],
        "xml": broken(xml) if faults.malformed("bonded_lists", index) else xml,
    }


def _message_id(receipt: FeedReceipt) -> str:
    owner = hashlib.blake2s(receipt.enterprise.encode(), digest_size=4).hexdigest().upper()
    return f"CUS0000{owner}{receipt.position:012d}"


def receipt_xml(receipt: FeedReceipt) -> bytes:
    if isinstance(receipt, Receipt):
        return fixtures.dec_result(
            receipt.channel,
            receipt.note,
            entry_id=receipt.entry_id,
            seq_no=receipt.seq_no,
            notice_date=customs_time(receipt.notice_date),
            custom_master=receipt.entry_id[:4] if receipt.entry_id else None,
            ie_date=None,
            d_date=None,
        )
    return _bonded_list_receipt_xml(receipt)


def _bonded_list_receipt_xml(receipt: BondedListReceipt) -> bytes:
    sent = customs_time(receipt.notice_date)
    day = sent[:10].replace("-", "")
    if receipt.message_type == "INV201":
        return fixtures.inv201(
            receipt.list_stat or "0",
            bond_invt_no=receipt.bond_invt_no,
            seq_no=receipt.seq_no,
            manage_result=receipt.manage_result or "1",
            manage_date=day,
            send_time=sent,
            rmk=receipt.note,
            ie_flag=receipt.ie_flag,
            bizop_etps_nm=receipt.trade_name,
            message_id=_message_id(receipt),
            goods=False,
        )
    return fixtures.inv202(
        inv_preent_no=receipt.seq_no,
        business_id=receipt.bond_invt_no,
        entry_seq_no=receipt.entry_seq_no,
        manage_result=receipt.manage_result,
        reason=receipt.note,
        create_date=day,
        send_time=sent,
        message_id=_message_id(receipt),
    )


def feed_entries(page: list[FeedReceipt], faults: ActiveFaults) -> list[FeedEntry]:
    """A page of the feed as the customs' messages, with the enterprise's receipt faults applied."""
    entries = []
    for receipt in page:
        xml = receipt_xml(receipt).decode()
        entries.append(
            FeedEntry(
                receipt_id=receipt.receipt_id,
                position=receipt.position,
                message_type="DEC_RESULT" if isinstance(receipt, Receipt) else receipt.message_type,
                xml=broken(xml) if faults.malformed("receipts", receipt.position) else xml,
            )
        )
    if faults.faults.duplicate_receipts:
        entries = [entry for entry in entries for _ in range(2)]
    if faults.faults.out_of_order_receipts:
        entries.reverse()
    return entries
