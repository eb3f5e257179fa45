"""The Single Window's query parameters (报关数据 and 核注清单, by ticket or by day), what they select, and
the opaque keyset cursor of their pages.

Field values are the contract's (`guanwu.contracts.sync`): the simulator answers the same questions the sync
jobs ask. A datetime without a time zone is Beijing time, the Single Window's clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guanwu.contracts.sync import (
    BONDED_NUMBER_PATTERN,
    SEQ_NO_PATTERN,
    BondedEnterpriseType,
    BondedListStatus,
    DataSource,
    EnterpriseCategory,
    EntryKind,
    IEFlag,
)
from guanwu.customs.fixtures.datasets import BEIJING, TRADERS
from guanwu.singlewindow_sim.errors import SimulatorError
from guanwu.singlewindow_sim.records import NO_RECORD, EnterpriseRecords, Key, Selection, to_ms

MAX_LIMIT = 500
_PAGING_FIELDS = {"enterprise", "limit", "cursor"}
_TRADE_INDEX = {party.name: i for i, party in enumerate(TRADERS)}


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=BEIJING) if moment is not None and moment.tzinfo is None else moment


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    updated_from: datetime | None = Field(None, description="按天: 最近操作时间 from (inclusive)")
    updated_to: datetime | None = Field(None, description="按天: 最近操作时间 to (exclusive)")

    def _day_range(self, by_ticket: bool, ticket_fields: str) -> None:
        by_day = self.updated_from is not None or self.updated_to is not None
        if by_ticket and by_day:
            raise ValueError(
                f"either by ticket ({ticket_fields}) or by day (updated_from, updated_to), not both"
            )
        if not by_ticket:
            if self.updated_from is None or self.updated_to is None:
                raise ValueError(f"give {ticket_fields} (按票), or updated_from and updated_to (按天)")
            start, end = _aware(self.updated_from), _aware(self.updated_to)
            assert start is not None and end is not None
            if end <= start:
                raise ValueError("updated_to must be after updated_from")

    @property
    def window(self) -> tuple[int, int] | None:
        start, end = _aware(self.updated_from), _aware(self.updated_to)
        return None if start is None or end is None else (to_ms(start), to_ms(end))

    @property
    def fingerprint(self) -> str:
        """Names the filters (not the paging): a cursor is good for the query it came from only."""
        filters = self.model_dump_json(exclude=_PAGING_FIELDS)
        return hashlib.blake2s(filters.encode(), digest_size=6).hexdigest()


class DeclarationFilters(_Filters):
    """报关数据同步: 按票 by seq_no + entry_kind, 按天 by updated_from/updated_to (+ trade_name)."""

    enterprise_category: EnterpriseCategory = Field(
        description="企业类别: 1 境内收发货人, 2 申报单位, 3 消费使用单位"
    )
    seq_no: str | None = Field(None, pattern=SEQ_NO_PATTERN, description="按票: 统一编号")
    entry_kind: EntryKind | None = Field(None, description="按票: 报关单类型 0–4")
    trade_name: str | None = Field(
        None, min_length=1, max_length=100, description="按天: 境内收发货人 (exact)"
    )

    @model_validator(mode="after")
    def _one_mode(self) -> DeclarationFilters:
        by_ticket = self.seq_no is not None or self.entry_kind is not None
        self._day_range(by_ticket, "seq_no and entry_kind")
        if by_ticket and (self.seq_no is None or self.entry_kind is None):
            raise ValueError("按票 needs seq_no and entry_kind")
        if by_ticket and self.trade_name is not None:
            raise ValueError("trade_name belongs to a query by day")
        return self

    def select(self, records: EnterpriseRecords) -> Selection:
        columns = records.declarations.columns
        role, trade, kind = columns["role"], columns["trade"], columns["entry_kind"]
        category = int(self.enterprise_category)
        if self.seq_no is not None:
            entry_kind = int(self.entry_kind or 0)
            index = records.data.find_declaration(self.seq_no)
            found = index is not None and role[index] == category and kind[index] == entry_kind
            return Selection(self.fingerprint, lambda i: True, ticket=index if found else NO_RECORD)
        if self.trade_name is None:
            return Selection(self.fingerprint, lambda i: role[i] == category, window=self.window)
        named = _TRADE_INDEX.get(self.trade_name, -1)
        return Selection(
            self.fingerprint, lambda i: role[i] == category and trade[i] == named, window=self.window
        )


class BondedListFilters(_Filters):
    """核注清单数据同步: 按票 by number + ie_flag, 按天 by updated_from/updated_to (+ data_status, ie_flag)."""

    enterprise_type: BondedEnterpriseType = Field(
        description="企业类型: 1 经营企业, 2 收发货企业, 3 申报企业"
    )
    data_source: DataSource = Field(description="数据源: 1 单一窗口录入, 2 报文导入")
    number: str | None = Field(None, pattern=BONDED_NUMBER_PATTERN, description="按票: 统一编号 or 清单编号")
    ie_flag: IEFlag | None = Field(None, description="进出口标志 (按票: required; 按天: empty for both)")
    data_status: BondedListStatus | None = Field(None, description="按天: 数据状态 0–3; empty: all")

    @model_validator(mode="after")
    def _one_mode(self) -> BondedListFilters:
        by_ticket = self.number is not None
        self._day_range(by_ticket, "number and ie_flag")
        if by_ticket and self.ie_flag is None:
            raise ValueError("按票 needs number and ie_flag")
        if by_ticket and self.data_status is not None:
            raise ValueError("data_status belongs to a query by day")
        return self

    def select(self, records: EnterpriseRecords) -> Selection:
        columns = records.bonded_lists.columns
        role, source, status, ie = (
            columns["role"],
            columns["data_source"],
            columns["list_stat"],
            columns["ie"],
        )
        wanted_role, wanted_source = int(self.enterprise_type), int(self.data_source)
        wanted_ie = None if self.ie_flag is None else int(self.ie_flag == "I")
        wanted_status = None if self.data_status is None else int(self.data_status)

        def keep(i: int) -> bool:
            return (
                role[i] == wanted_role
                and source[i] == wanted_source
                and (wanted_ie is None or ie[i] == wanted_ie)
                and (wanted_status is None or status[i] == wanted_status)
            )

        if self.number is not None:
            index = records.data.find_bonded_list(self.number)
            found = index is not None and keep(index)
            return Selection(self.fingerprint, keep, ticket=index if found else NO_RECORD)
        return Selection(self.fingerprint, keep, window=self.window)


class _Paging(BaseModel):
    enterprise: str = Field(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Records per page")
    cursor: str | None = Field(
        None, min_length=1, max_length=200, description="next_cursor of the page before"
    )


class DeclarationQuery(DeclarationFilters, _Paging):
    """`GET /sim/query/declarations`."""


class BondedListQuery(BondedListFilters, _Paging):
    """`GET /sim/query/bonded-lists`."""


# --------------------------------------------------------------------------------------------- cursor

_BAD_CURSOR = "cursor 无效 invalid cursor: pass the next_cursor of the page before, with the same filters"


def encode_cursor(fingerprint: str, key: Key) -> str:
    text = f"v1:{fingerprint}:{key}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> Key | None:
    """The key a page starts after; a cursor of another query, or not a cursor at all, is a 400."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, owner, key = text.split(":")
        after = int(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SimulatorError(400, "invalid_cursor", _BAD_CURSOR) from None
    if version != "v1" or owner != fingerprint or after < 0:
        raise SimulatorError(400, "invalid_cursor", _BAD_CURSOR)
    return after
