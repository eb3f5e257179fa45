"""Auto-registration (F-22): which customs receipts register which anomaly records, per tenant. Pure: no I/O.

A rule names a receipt kind and its code — DEC_RESULT with its CHANNEL (the kernel's `ReceiptStatus`), or a
核注清单 INV201 with its 清单状态 (list_stat) — and the anomaly type a receipt with that code registers. The kind
decides the category: DEC_RESULT → 报关单异常, INV201 → 核注清单异常. A code no rule names registers nothing.
Every tenant follows the settings' rules (`AnomalySettings.auto_registration`) until it stores its own.

Exactly once: a receipt registers at most one record (one rule per kind and code), whose id derives from the
tenant and the receipt id, so a redelivered receipt finds its record. A 删单 receipt reaches the service twice,
as DeleteReceiptReceived and as ReceiptReceived with CHANNEL `D`: the first registers it (one source), and the
second would derive the same id anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guanwu.anomaly.domain.documents import KnownDocument
from guanwu.anomaly.domain.records import (
    SYSTEM,
    Anomaly,
    AnomalyCategory,
    AnomalyType,
    HandlingStatus,
    anomaly_id_for_receipt,
    registration_entry,
)
from guanwu.contracts.events import BondedListReceiptReceived, DeleteReceiptReceived, ReceiptReceived
from guanwu.contracts.sync import BONDED_LIST_STATUS_NAMES
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.platform import ids
from guanwu.platform.refusal import InvalidRequest

Receipt = DeleteReceiptReceived | ReceiptReceived | BondedListReceiptReceived
"""The receipts a rule can register a record for."""

TEXT_LIMIT = 100
"""境内收发货人 and 委托企业 as a record holds them (a 核注清单's 经营企业名称 may be longer)."""
REASON_LIMIT = 500


class ReceiptKind(StrEnum):
    DEC_RESULT = "DEC_RESULT"  # 报关单回执: the code is its CHANNEL
    INV201 = "INV201"  # 核注清单审核回执: the code is its 清单状态 (list_stat)


CATEGORY_OF_KIND = {
    ReceiptKind.DEC_RESULT: AnomalyCategory.DECLARATION,
    ReceiptKind.INV201: AnomalyCategory.BONDED_LIST,
}
CODES: Mapping[ReceiptKind, Mapping[str, str]] = {
    ReceiptKind.DEC_RESULT: {s.value: s.label for s in ReceiptStatus if s is not ReceiptStatus.UNKNOWN},
    ReceiptKind.INV201: BONDED_LIST_STATUS_NAMES,
}
"""The codes a rule may name, with their names: the kernel's CHANNEL table and the 核注清单 清单状态."""


class RegistrationRule(BaseModel):
    """A receipt of this kind with this code registers a record of this type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    receipt_kind: ReceiptKind = Field(
        description="DEC_RESULT 报关单回执 (→ 报关单异常) / INV201 核注清单审核回执 (→ 核注清单异常)"
    )
    code: str = Field(
        min_length=1,
        max_length=2,
        description="DEC_RESULT: CHANNEL 回执代码 (e.g. D 海关删单, E 海关退单, C 查验通知, S 检验检疫查验); "
        "INV201: 清单状态 " + str(BONDED_LIST_STATUS_NAMES),
    )
    anomaly_type: AnomalyType = Field(description="异常类型 of the record it registers")


class RulesInput(BaseModel):
    """A tenant's rules, replacing all it had (an empty list: no receipt registers anything)."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RegistrationRule] = Field(max_length=100, description="At most one rule per kind and code")


class RegistrationRules(BaseModel):
    """The rules a tenant's receipts follow."""

    rules: list[RegistrationRule]
    source: Literal["default", "tenant"] = Field(
        description="default: the settings' rules; tenant: the tenant's own (PUT /rules)"
    )
    updated_by: str | None = Field(None, description="Who stored the tenant's rules")
    updated_at: datetime | None = None


class InvalidRule(InvalidRequest):
    """A rule naming a code its kind does not have, or a kind and code twice (HTTP 422)."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__("anomaly.invalid_rule", zh, en, field=field)


def checked_rules(rules: Sequence[RegistrationRule]) -> list[RegistrationRule]:
    """The rules, once every code is one its kind has (the kernel's CHANNEL table, the 清单状态) and no kind and
    code comes twice; InvalidRule names the first rule that fails."""
    seen: set[tuple[ReceiptKind, str]] = set()
    for position, rule in enumerate(rules):
        codes = CODES[rule.receipt_kind]
        field = f"rules[{position}].code"
        if rule.code not in codes:
            known = ", ".join(codes)
            raise InvalidRule(
                field,
                f"{field}：{rule.receipt_kind.value} 没有代码 {rule.code!r}（可用：{known}）",
                f"{field}: {rule.receipt_kind.value} has no code {rule.code!r} (known: {known})",
            )
        if (rule.receipt_kind, rule.code) in seen:
            raise InvalidRule(
                field,
                f"{field}：{rule.receipt_kind.value} 代码 {rule.code} 的规则重复",
                f"{field}: a second rule for {rule.receipt_kind.value} code {rule.code}",
            )
        seen.add((rule.receipt_kind, rule.code))
    return list(rules)


def rules_from_settings(setting: Mapping[str, Mapping[str, str]]) -> RegistrationRules:
    """The default rules, from the settings' {kind: {code: anomaly type}}; a kind, code or type that does not
    exist raises ValueError, so a wrong setting stops the start."""
    rules = [
        RegistrationRule(receipt_kind=ReceiptKind(kind), code=code, anomaly_type=AnomalyType(anomaly_type))
        for kind, by_code in setting.items()
        for code, anomaly_type in by_code.items()
    ]
    try:
        return RegistrationRules(rules=checked_rules(rules), source="default")
    except InvalidRule as refused:
        raise ValueError(f"auto_registration: {refused.message_en}") from None


RuleTable = Mapping[tuple[ReceiptKind, str], AnomalyType]


def rule_table(rules: RegistrationRules) -> RuleTable:
    return {(rule.receipt_kind, rule.code): rule.anomaly_type for rule in rules.rules}


def receipt_key(receipt: Receipt) -> tuple[ReceiptKind, str] | None:
    """The kind and code a rule must name for the receipt to register a record; None: no rule can.

    A ReceiptReceived with CHANNEL `D` gives None: sync publishes the same receipt as DeleteReceiptReceived,
    which registers it (one source for the 删单 record). INV202 (生成报关单回执) has no rules."""
    if isinstance(receipt, BondedListReceiptReceived):
        if receipt.message_type != "INV201" or not receipt.list_stat:
            return None
        return ReceiptKind.INV201, receipt.list_stat
    if isinstance(receipt, ReceiptReceived) and receipt.channel == ReceiptStatus.DELETED.value:
        return None
    return ReceiptKind.DEC_RESULT, ReceiptStatus.from_channel(receipt.channel).value


def record_id(tenant: str, kind: ReceiptKind, receipt_id: str) -> str:
    """A receipt's record id: a DEC_RESULT's as the 删单 records always had it (`anomaly_id_for_receipt`); a
    核注清单 receipt's in a namespace of its own, since its ids come from another message family."""
    if kind is ReceiptKind.DEC_RESULT:
        return anomaly_id_for_receipt(tenant, receipt_id)
    return ids.deterministic_id("bonded-list-receipt", tenant, receipt_id)


def numbers_of(receipt: Receipt) -> tuple[str | None, str | None]:
    """(海关编号 or 清单编号, 统一编号) as the receipt names them: what the lookup is asked for."""
    if isinstance(receipt, BondedListReceiptReceived):
        return receipt.bond_invt_no, receipt.seq_no
    return receipt.entry_id, receipt.seq_no


def anomaly_for_receipt(
    receipt: Receipt,
    *,
    kind: ReceiptKind,
    anomaly_type: AnomalyType,
    tenant: str,
    known: KnownDocument | None,
    now: datetime,
) -> Anomaly:
    """The record a rule registers: linked to the receipt (source_receipt_id) and to the declaration or list
    (document_no: 海关编号 or 清单编号 when known, else 统一编号), with 境内收发货人 and 进出口 from the receipt, else
    from what the service learned of the document (`known`). 委托企业 comes from `known` only (nothing fills it
    yet: no event names the client)."""
    number, seq_no = numbers_of(receipt)
    known = known or KnownDocument()
    document_no = number or known.number or seq_no or known.seq_no or receipt.receipt_id[:18]
    ie_flag = receipt.ie_flag if receipt.ie_flag in ("I", "E") else known.ie_flag
    return Anomaly(
        anomaly_id=record_id(tenant, kind, receipt.receipt_id),
        tenant=tenant,
        category=CATEGORY_OF_KIND[kind],
        document_no=document_no,
        trade_name=_cut(receipt.trade_name, TEXT_LIMIT) or known.trade_name,
        ie_flag=ie_flag,
        client_name=known.client_name,
        anomaly_type=anomaly_type,
        occurred_on=receipt.notice_date.date(),
        handling_status=HandlingStatus.OPEN,
        reason=_cut(receipt.note, REASON_LIMIT),
        registered_at=now,
        registered_by=SYSTEM,
        source_receipt_id=receipt.receipt_id,
        history=[registration_entry(SYSTEM, now)],
    )


def _cut(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    return text[:limit] or None
