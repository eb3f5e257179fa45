"""申报 at the simulated Single Window: check a signed DecMessage, number it, answer `DecImportResponse`.

Choices: the simulator cannot verify the SM2 signature, because a DecMessage carries only the certificate's
number (DecSign/Certificate, 20 characters), not the certificate; the real Single Window looks the card up in
its own registry. So it checks what it can: the message parses with the customs kernel (no DTD, size
limit), DecSign is present with a ClientSeqNo, an OperType of 申报 and a Sign that is a DER SM2Signature,
and the document passes the kernel's 申报-level logic checks (逻辑校验): the Single Window runs its own checks
whatever the client did, so a negative quantity is refused here even if a client skipped them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from guanwu.contracts.declaration import DeclarationDocument, DecSign
from guanwu.customs.messages import DEC_NAMESPACE, canonical_sign_bytes, parse_dec_message_with_sign
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.customs.rules import Finding, Level, blocking, check
from guanwu.singlewindow_sim.state import Filing, ReceiptIn

DECLARE_OPER_TYPES = ("C", "D")  # C 报关单申报, D 报关单+转关单申报; A/B/E/G are uploads or 暂存
ACCEPTED_CHANNEL = "L"
FINDINGS_SHOWN = 5  # ErrorMessage names the first few errors; the client runs the same checks for the rest


class Refusal(Exception):
    """The Single Window does not take the message: a non-zero ResponseCode and a bilingual ErrorMessage."""

    def __init__(self, code: str, zh: str, en: str, *, http_status: int = 200) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.message, self.http_status = code, f"{zh} / {en}", http_status


@dataclass(frozen=True)
class SignedDeclaration:
    document: DeclarationDocument
    sign: DecSign
    client_seq_no: str
    key: str
    """Digest of the canonical document and its signature: the same message sent twice has the same key."""


def read_signed_declaration(body: bytes) -> SignedDeclaration:
    try:
        document, sign = parse_dec_message_with_sign(body)
        canonical = canonical_sign_bytes(document)
    except ValueError as exc:  # XmlError, or a value the models refuse
        raise Refusal("1", "报文无法解析", f"the DecMessage cannot be read: {exc}", http_status=400) from exc
    if sign is None or not sign.sign:
        raise Refusal(
            "2", "缺少签名信息 (DecSign/Sign)", "the DecMessage carries no signature (DecSign/Sign)"
        )
    if not is_der_sm2_signature(sign.sign):
        raise Refusal("2", "签名格式无效", "DecSign/Sign is not a base64 DER SM2 signature")
    if not sign.client_seq_no:
        raise Refusal("3", "缺少客户端编号 (ClientSeqNo)", "DecSign/ClientSeqNo is missing")
    if sign.oper_type not in DECLARE_OPER_TYPES:
        raise Refusal(
            "4",
            f"操作类型 {sign.oper_type} 不是申报 (C/D)",
            f"OperType {sign.oper_type!r} is not a declaration (C or D)",
        )
    errors = blocking(check(document, Level.DECLARE))
    if errors:
        raise Refusal("6", *_logic_check_failure(errors))
    key = hashlib.sha256(canonical + b"\x00" + sign.sign.encode()).hexdigest()
    return SignedDeclaration(document, sign, sign.client_seq_no, key)


def _logic_check_failure(errors: list[Finding]) -> tuple[str, str]:
    shown, more = errors[:FINDINGS_SHOWN], len(errors) - FINDINGS_SHOWN
    zh = "；".join(f"[{f.rule_code}] {f.message_zh}" for f in shown) + (f"；另有{more}项" if more > 0 else "")
    en = "; ".join(f"[{f.rule_code}] {f.message_en}" for f in shown) + (f"; {more} more" if more > 0 else "")
    return f"逻辑校验未通过：{zh}", f"logic checks failed: {en}"


def is_der_sm2_signature(text: str) -> bool:
    """SEQUENCE { INTEGER r, INTEGER s }, each at most 33 bytes (32 plus a sign byte), nothing after."""
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        return False
    position = 2
    for _ in range(2):
        if position + 2 > len(der) or der[position] != 0x02 or not 1 <= der[position + 1] <= 33:
            return False
        position += 2 + der[position + 1]
    return position == len(der)


def _digits(count: int, *parts: str) -> str:
    number = int(hashlib.sha256("\x1f".join(parts).encode()).hexdigest(), 16)
    return str(number % 10**count).zfill(count)


def new_filing(enterprise: str, declaration: SignedDeclaration, now: datetime) -> Filing:
    """统一编号 `[I|E] + yyyy + 13 digits` and 海关编号 `关区 + yyyy + 1/0 + 9 digits` (reference §3),
    derived from the enterprise's ClientSeqNo so that a restarted simulator numbers it alike."""
    head = declaration.document.head
    seq_no = f"{head.ie_flag}{now.year:04d}{_digits(13, 'seq', enterprise, declaration.client_seq_no)}"
    master = head.custom_master if (head.custom_master or "").isdigit() else None
    customs = (master or "0000").zfill(4)
    ie_digit = "1" if head.ie_flag == "I" else "0"
    entry_id = f"{customs}{now.year:04d}{ie_digit}{_digits(9, 'entry', seq_no)}"
    return Filing(client_seq_no=declaration.client_seq_no, seq_no=seq_no, entry_id=entry_id)


def receipts_after_acceptance(
    enterprise: str, declaration: SignedDeclaration, channels: list[str], now: datetime
) -> Callable[[Filing], list[ReceiptIn]]:
    """The receipts the customs sends for a filing: the 海关编号 appears from 入库成功 (L) on."""
    head = declaration.document.head

    def receipts_for(filing: Filing) -> list[ReceiptIn]:
        out: list[ReceiptIn] = []
        entry_id: str | None = None
        for step, channel in enumerate(channels):
            if channel == ACCEPTED_CHANNEL:
                entry_id = filing.entry_id
            out.append(
                ReceiptIn(
                    enterprise=enterprise,
                    seq_no=filing.seq_no,
                    entry_id=entry_id,
                    channel=channel,
                    note=ReceiptStatus.from_channel(channel).label,
                    trade_name=head.trade_name,
                    ie_flag=head.ie_flag,
                    # One second apart: the customs notices come one after another, and readers order by time.
                    notice_date=now + timedelta(seconds=step),
                )
            )
        return out

    return receipts_for


def import_response(
    code: str, message: str = "", *, client_seq_no: str | None = None, seq_no: str | None = None
) -> bytes:
    """`DecImportResponse`: ResponseCode 0 导入成功 with SeqNo, or a failure with its ErrorMessage."""
    fields = (
        ("ResponseCode", code),
        ("ErrorMessage", message),
        ("ClientSeqNo", client_seq_no or ""),
        ("SeqNo", seq_no or ""),
        ("TrnPreId", ""),
    )
    body = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in fields)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DecImportResponse xmlns="{DEC_NAMESPACE}">{body}'
        "</DecImportResponse>"
    ).encode()
