"""The declaration read model's rows (报关数据查询): what declaration events and receipts make of a row. Pure.

A row is merged from its inputs, so it does not depend on the order its events arrive in and an event seen
twice changes nothing:
- the summary (the head columns, `status`, 最近操作时间) of the newest declaration version seen
  (`aggregate_version`);
- what the list needs of the newest `document` seen (`document_version`; `digest`: the head's codes, each
  goods line's HS code and 商品名称): an event that carries none keeps it, and an older event that carries one
  arriving after a newer one without it still brings it. The whole document is kept beside the row, in
  `query_declaration_documents` (same id, the same newest-version rule), so the list's rows stay small;
- 申报日期 (`declared_at`): the time of the newest DeclarationDeclareRequested, else the first receipt's notice;
- 企业类别 of a synced declaration: every category a sync job brought it under (accumulated);
- 申报状态: the newest receipt (by notice time) the row was given (`receipt`).

Every other column is derived from those on each write (`columns`): 审核状态, the document's codes, the HS codes
and 商品名称 of the goods, the bigram tokens contained-text search uses, and the sort keys keyset paging uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    DeclarationDeclareRequested,
    DeclarationSummary,
    DeclarationSyncedIn,
)
from guanwu.contracts.events.base import Event
from guanwu.contracts.sync import ENTERPRISE_CATEGORY_NAMES
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.query.domain.bonded_lists import utc_text

Document = dict[str, Any]

SUMMARY_FIELDS = set(DeclarationSummary.model_fields) - {"document"}
FILTERABLE = (
    "status",
    "ie_flag",
    "kind",
    "custom_master",
    "bill_no",
    "entry_id",
    "seq_no",
    "client_seq_no",
    "declaration_id",
    "prepared_by",
    "review_status",
    "ie_port",
    "channel",
    "trade_mode",
    "trade_code",
    "two_step",
    "origin",
)
"""The columns the list can be filtered by exact value; 境内收发货人 and 商品名称 by contained text, HS code and
企业类别 by one of the row's values, 最近操作时间 and 申报日期 by a range (`guanwu.query.domain.search`)."""

MAX_TOKENS = 4000
"""Bigram tokens kept per searchable text column (50 goods names of 80 characters fit)."""


class ReviewStatus:
    """审核状态 as the review list shows it, from the lifecycle status."""

    NOT_SUBMITTED = "未提交"
    PENDING = "待审核"
    APPROVED = "审核通过"
    RETURNED = "审核退回"


REVIEW_STATUSES = (
    ReviewStatus.NOT_SUBMITTED,
    ReviewStatus.PENDING,
    ReviewStatus.APPROVED,
    ReviewStatus.RETURNED,
)
_NOT_REVIEWED = frozenset({"草稿", "已删除", "暂存"})
"""Lifecycle states of a declaration that was never approved: 未提交 (a returned one is 审核退回, one waiting 待审核;
every later state — 申报中, 已申报, receipts' states — passed review)."""

TWO_STEP_NAMES = {"5": "概要申报", "6": "完整申报"}
"""DecHead.Type position 3 of a 两步申报 (reference §1.4); anything else is 一次申报."""

Origin = Literal["here", "synced"]
ORIGIN_NAMES = {"here": "本系统录入", "synced": "单一窗口同步"}


def row_id(tenant: str, declaration_id: str) -> str:
    """Rows of different tenants never share an id, even for the same declaration id."""
    return f"{tenant}:{declaration_id}"


# ------------------------------------------------------------------------------------------------ changes


@dataclass(frozen=True)
class DeclarationChange:
    """What one declaration event brings to its row."""

    tenant: str
    declaration_id: str
    version: int
    summary: Document
    event_type: str
    at: str
    document: Document | None = None
    digest: Document | None = None
    declared_at: str | None = None
    synced_category: str | None = None
    synced: bool = False

    @property
    def doc_id(self) -> str:
        return row_id(self.tenant, self.declaration_id)


@dataclass(frozen=True)
class ReceiptChange:
    """A receipt (回执) given to a row: the newest by notice time sets 申报状态."""

    receipt_id: str
    channel: str
    notice_date: str
    note: str | None = None
    enterprise_category: str | None = None
    """Set when a synced record listed the receipt: the 企业类别 that sync job asked by."""

    def public(self) -> Document:
        return {
            "receipt_id": self.receipt_id,
            "channel": self.channel,
            "channel_name": channel_name(self.channel),
            "notice_date": self.notice_date,
            "note": self.note,
        }


Change = DeclarationChange | ReceiptChange


def channel_name(channel: str) -> str:
    """The CHANNEL code's name (the kernel's table); an unknown code is named as such."""
    status = ReceiptStatus.from_channel(channel)
    return status.label if status is not ReceiptStatus.UNKNOWN else f"未知回执 {channel}"


def declaration_change(envelope: Envelope, event: Event) -> DeclarationChange:
    assert isinstance(event, DeclarationSummary)
    at = utc_text(envelope.time)
    document = event.document.model_dump(mode="json", exclude_none=True) if event.document else None
    synced = isinstance(event, DeclarationSyncedIn)
    category = event.enterprise_category if isinstance(event, DeclarationSyncedIn) else None
    return DeclarationChange(
        tenant=envelope.tenant,
        declaration_id=event.declaration_id,
        version=event.version,
        # The summary only: subclasses' own fields (a cause, the message to sign) are not list columns.
        summary=event.model_dump(mode="json", include=SUMMARY_FIELDS),
        event_type=envelope.type,
        at=at,
        document=document,
        digest=digest_of(document) if document is not None else None,
        declared_at=at if isinstance(event, DeclarationDeclareRequested) else None,
        synced_category=category,
        synced=synced,
    )


# ------------------------------------------------------------------------------------------------ merging


def merged_row(doc_id: str, stored: Document | None, changes: Iterable[Change]) -> Document | None:
    """The row after `changes`, without the store's `_version`; None while no declaration event made it (a
    receipt alone makes no row: it waits in the history for one)."""
    inputs: Document = dict((stored or {}).get("inputs") or {})
    for change in changes:
        if isinstance(change, DeclarationChange):
            _merge_declaration(inputs, change)
        else:
            _merge_receipt(inputs, change)
    if "summary" not in inputs:
        return None
    return {"_id": doc_id, **columns(inputs), "inputs": inputs}


def _merge_declaration(inputs: Document, change: DeclarationChange) -> None:
    if change.version > inputs.get("aggregate_version", 0):
        inputs.update(
            aggregate_version=change.version,
            summary={**change.summary, "tenant": change.tenant},
            last_event_type=change.event_type,
            updated_at=change.at,
        )
    if change.digest is not None and change.version > inputs.get("document_version", 0):
        inputs.update(digest=change.digest, document_version=change.version)
    if change.declared_at is not None and change.version > inputs.get("declared_version", 0):
        inputs.update(declared_at=change.declared_at, declared_version=change.version)
    for number in ("seq_no", "entry_id"):
        # Every number the declaration had: its receipts name it by them (跟踪报关单动态).
        value = change.summary.get(number)
        if value and value not in inputs.get(f"{number}s", []):
            inputs[f"{number}s"] = sorted([*inputs.get(f"{number}s", []), value])
    if change.synced:
        inputs["synced"] = True
    if change.synced_category and change.synced_category not in inputs.get("synced_categories", []):
        inputs["synced_categories"] = sorted([*inputs.get("synced_categories", []), change.synced_category])


def _merge_receipt(inputs: Document, change: ReceiptChange) -> None:
    newest = inputs.get("receipt")
    if newest is None or (change.notice_date, change.receipt_id) > (
        newest["notice_date"],
        newest["receipt_id"],
    ):
        inputs["receipt"] = change.public()
    first = inputs.get("first_receipt_at")
    if first is None or change.notice_date < first:
        inputs["first_receipt_at"] = change.notice_date
    category = change.enterprise_category
    if category and category not in inputs.get("synced_categories", []):
        inputs["synced_categories"] = sorted([*inputs.get("synced_categories", []), category])


def columns(inputs: Document) -> Document:
    """The columns derived from a row's inputs."""
    summary: Document = inputs["summary"]
    digest: Document = inputs.get("digest") or {}
    head: Document = digest.get("head") or {}
    goods: list[Document] = digest.get("goods") or []
    receipt: Document = inputs.get("receipt") or {}
    declaration_id = summary["declaration_id"]
    origin: Origin = "synced" if inputs.get("synced") else "here"
    declared_at = inputs.get("declared_at") or inputs.get("first_receipt_at")
    trade_name = summary.get("trade_name") or head.get("trade_name")
    goods_names = _unique(g.get("g_name") for g in goods)
    return {
        **{k: v for k, v in summary.items()},
        "version": inputs["aggregate_version"],
        "updated_at": inputs["updated_at"],
        "last_event_type": inputs["last_event_type"],
        "trade_name": trade_name,
        "trade_code": head.get("trade_code"),
        "agent_code": head.get("agent_code"),
        "agent_name": head.get("agent_name"),
        "owner_code": head.get("owner_code"),
        "owner_name": head.get("owner_name"),
        "ie_port": head.get("ie_port"),
        "trade_mode": head.get("trade_mode"),
        "decl_type": head.get("type"),
        "two_step": _two_step(head.get("type")),
        "hs_codes": _unique(g.get("code_ts") for g in goods),
        "goods_names": goods_names,
        "goods_count": len(goods),
        "review_status": review_status(summary["status"], origin),
        "channel": receipt.get("channel"),
        "channel_name": receipt.get("channel_name"),
        "receipt_at": receipt.get("notice_date"),
        "receipt_note": receipt.get("note"),
        "declared_at": declared_at,
        "origin": origin,
        "enterprise_categories": enterprise_categories(origin, inputs.get("synced_categories", []), head),
        "has_document": bool(digest),
        "known_seq_nos": inputs.get("seq_nos", []),
        "known_entry_ids": inputs.get("entry_ids", []),
        "trade_name_tokens": text_tokens([trade_name]),
        "goods_name_tokens": text_tokens(goods_names),
        **sort_keys(inputs["updated_at"], declared_at, summary, declaration_id),
    }


DIGEST_HEAD = (
    "trade_code",
    "trade_name",
    "agent_code",
    "agent_name",
    "owner_code",
    "owner_name",
    "ie_port",
    "trade_mode",
    "type",
)


def digest_of(document: Document) -> Document:
    """What the row needs of a document: the head's codes and names, each goods line's HS code and name."""
    head = document.get("head") or {}
    return {
        "head": {k: head[k] for k in DIGEST_HEAD if head.get(k) is not None},
        "goods": [
            {k: line[k] for k in ("code_ts", "g_name") if line.get(k) is not None}
            for line in document.get("goods") or []
        ],
    }


def review_status(status: str, origin: Origin) -> str:
    if status in (ReviewStatus.PENDING, ReviewStatus.RETURNED):
        return status
    if status in _NOT_REVIEWED or origin == "synced":
        # A declaration synced in was made outside guanwu: nobody reviewed it here.
        return ReviewStatus.NOT_SUBMITTED
    return ReviewStatus.APPROVED


def enterprise_categories(origin: Origin, synced: Sequence[str], head: Document) -> list[str]:
    """企业类别 the tenant plays: a synced declaration's are the categories its sync jobs asked by; one drafted
    here makes the tenant its 境内收发货人 (1), and also its 申报单位 (2) / 消费使用单位 (3) when that party's
    customs code is the 境内收发货人's (guanwu keeps no register of a tenant's codes)."""
    if origin == "synced" and synced:
        return sorted(synced)
    categories = {"1"}
    trade_code = head.get("trade_code")
    if trade_code and head.get("agent_code") == trade_code:
        categories.add("2")
    if trade_code and head.get("owner_code") == trade_code:
        categories.add("3")
    return sorted(categories & set(ENTERPRISE_CATEGORY_NAMES))


def _two_step(decl_type: str | None) -> str | None:
    code = (decl_type or "")[2:3]
    return code if code in TWO_STEP_NAMES else None


def _unique(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v))


# ---------------------------------------------------------------------------------------------- searching


def normalized(text: str) -> str:
    """Text as contained-text search compares it: case and blanks do not count."""
    return "".join(text.split()).casefold()


def text_tokens(texts: Iterable[str | None]) -> list[str]:
    """Every character and every pair of adjacent characters of the texts (normalized): a row contains a
    searched text only if it holds all of the searched text's `query_tokens`."""
    tokens: dict[str, None] = {}
    for text in texts:
        plain = normalized(text or "")
        tokens.update(dict.fromkeys(plain))
        tokens.update(dict.fromkeys(plain[i : i + 2] for i in range(len(plain) - 1)))
    return list(tokens)[:MAX_TOKENS]


def query_tokens(text: str) -> list[str]:
    """The tokens a row must hold to contain `text`: its pairs of adjacent characters (the character alone
    for one character). A row holding them all may, rarely, have the pairs apart ("甲乙" and "乙丙" for
    "甲乙丙"); the list accepts that instead of a scan the stores could not index."""
    plain = normalized(text)
    if len(plain) <= 1:
        return [plain] if plain else []
    return list(dict.fromkeys(plain[i : i + 2] for i in range(len(plain) - 1)))


SORT_KEY_FIELDS = {
    "updated_at": "sort_updated",
    "declared_at": "sort_declared",
    "seq_no": "sort_seq_no",
    "entry_id": "sort_entry_id",
}
"""The column each sortable field is sorted by: its value (fixed width) and the row's declaration id, one
string, so a page after another is one range on one field (the stores have no `$or`)."""

_NUMBER_WIDTH = 18
_TIME_WIDTH = len(utc_text(datetime(2026, 1, 1, tzinfo=UTC)))


def sort_keys(updated_at: str, declared_at: str | None, summary: Document, declaration_id: str) -> Document:
    return {
        "sort_updated": f"{updated_at:<{_TIME_WIDTH}}|{declaration_id}",
        "sort_declared": f"{declared_at or '':<{_TIME_WIDTH}}|{declaration_id}",
        "sort_seq_no": f"{summary.get('seq_no') or '':<{_NUMBER_WIDTH}}|{declaration_id}",
        "sort_entry_id": f"{summary.get('entry_id') or '':<{_NUMBER_WIDTH}}|{declaration_id}",
    }


# ------------------------------------------------------------------------------------------------ answers


class DeclarationRow(BaseModel):
    """One declaration in the list (报关数据查询): every column of the seed's lists."""

    declaration_id: str = Field(description="系统编号")
    version: int
    ie_flag: str = Field(description="进出口标志 I/E")
    kind: str = Field(description="报关单 / 备案清单 / 转关提前 …")
    status: str = Field(description="系统状态 (lifecycle)")
    review_status: str | None = Field(default=None, description="审核状态: " + "/".join(REVIEW_STATUSES))
    client_seq_no: str | None = Field(default=None, description="申报单号 (ClientSeqNo)")
    seq_no: str | None = Field(default=None, description="统一编号")
    entry_id: str | None = Field(default=None, description="海关编号")
    custom_master: str | None = Field(default=None, description="申报地海关")
    ie_port: str | None = Field(default=None, description="申报地: 进/出境关别 (IEPort)")
    trade_code: str | None = Field(default=None, description="境内收发货人海关编码")
    trade_name: str | None = Field(default=None, description="境内收发货人")
    agent_code: str | None = Field(default=None, description="申报单位海关编码")
    agent_name: str | None = Field(default=None, description="申报单位")
    owner_code: str | None = Field(default=None, description="消费使用/生产销售单位海关编码")
    owner_name: str | None = Field(default=None, description="消费使用/生产销售单位")
    bill_no: str | None = Field(default=None, description="提运单号")
    trade_mode: str | None = Field(default=None, description="监管方式")
    decl_type: str | None = Field(default=None, description="单据类型 (DecHead.Type)")
    two_step: str | None = Field(default=None, description="两步申报: 5 概要申报, 6 完整申报; none: 一次申报")
    hs_codes: list[str] = Field(default_factory=list, description="商品编号 of the goods lines")
    goods_names: list[str] = Field(default_factory=list, description="商品名称 of the goods lines")
    goods_count: int = 0
    prepared_by: str | None = Field(default=None, description="制单人")
    channel: str | None = Field(default=None, description="申报状态: CHANNEL of the newest receipt")
    channel_name: str | None = Field(default=None, description="申报状态 in words")
    receipt_at: datetime | None = Field(default=None, description="When the newest receipt was noticed")
    receipt_note: str | None = None
    declared_at: datetime | None = Field(default=None, description="申报日期")
    origin: str = Field(default="here", description="here: drafted in guanwu; synced: from the Single Window")
    enterprise_categories: list[str] = Field(
        default_factory=list, description="企业类别: " + str(ENTERPRISE_CATEGORY_NAMES)
    )
    has_document: bool = Field(
        default=False, description="Whether the whole document is known (print, export)"
    )
    updated_at: datetime = Field(description="最近操作时间")
    last_event_type: str
