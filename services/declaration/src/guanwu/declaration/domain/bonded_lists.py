"""The 核注清单 that 数据同步 brought (BondedListSynced), kept for 生成报关单 (F-07) by their number. Pure.

Each list is kept once per tenant and 统一编号, at the newest Single Window version seen: an older or equal
version changes nothing, so the same sync job run twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guanwu.contracts.declaration import BondedList
from guanwu.contracts.events import BondedListSynced
from guanwu.contracts.sync import BONDED_LIST_STATUS_NAMES, SEQ_NO_PATTERN
from guanwu.declaration.domain.errors import NotApproved
from guanwu.declaration.domain.from_bonded_list import APPROVED
from guanwu.declaration.domain.records import Stamp
from guanwu.platform import ids

BOND_INVT_NO_PATTERN = r"^QD[0-9A-Z]{16}$"


class SyncedBondedList(BaseModel):
    """One 核注清单 as the Single Window last held it."""

    tenant: str
    seq_no: str = Field(description="预录入统一编号: its identity at the Single Window")
    bond_invt_no: str | None = Field(None, description="清单编号 QD…, once assigned")
    list_stat: str | None = Field(None, description="数据状态 ListStat: " + str(BONDED_LIST_STATUS_NAMES))
    data_source: str | None = Field(None, description="数据源: 1 单一窗口录入, 2 报文导入")
    sw_version: int = Field(description="The newest Single Window version seen")
    sw_updated_at: Stamp = Field(description="最近操作时间 at the Single Window")
    bonded_list: BondedList
    synced_at: Stamp
    job_id: str | None = None
    version: int = 1

    @property
    def id(self) -> str:
        return synced_bonded_list_id(self.tenant, self.seq_no)

    def approved(self) -> BondedList:
        """The list to draft a declaration from; NotApproved unless the Single Window has it 审核通过 (0)."""
        status = self.list_stat or self.bonded_list.head.list_stat
        if status != APPROVED:
            raise NotApproved(status or "未知")
        return self.bonded_list.model_copy(
            update={"head": self.bonded_list.head.model_copy(update={"list_stat": status})}
        )


def synced_bonded_list_id(tenant: str, seq_no: str) -> str:
    return ids.deterministic_id("synced-bonded-list", tenant, seq_no)


def kept(
    stored: SyncedBondedList | None, event: BondedListSynced, *, tenant: str, now: datetime
) -> SyncedBondedList | None:
    """The list to keep after `event`: None when what is stored is as new or newer."""
    if stored is not None and stored.sw_version >= event.sw_version:
        return None
    return SyncedBondedList(
        tenant=tenant,
        seq_no=event.seq_no,
        bond_invt_no=event.bond_invt_no or event.bonded_list.head.bond_invt_no,
        list_stat=event.list_stat,
        data_source=event.data_source,
        sw_version=event.sw_version,
        sw_updated_at=event.sw_updated_at,
        bonded_list=event.bonded_list,
        synced_at=now,
        job_id=event.job_id,
        version=1 if stored is None else stored.version + 1,
    )


class BondedListNumber(BaseModel):
    """Which synced 核注清单 to draft from: its 清单编号 (QD…) or its 预录入统一编号, exactly one."""

    model_config = ConfigDict(extra="forbid")

    bond_invt_no: str | None = Field(
        None, pattern=BOND_INVT_NO_PATTERN, description="清单编号 (QD + 关区 + 年 + I/E + 序号)"
    )
    seq_no: str | None = Field(None, pattern=SEQ_NO_PATTERN, description="预录入统一编号")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.bond_invt_no is None) == (self.seq_no is None):
            raise ValueError(
                "name the 核注清单 by bond_invt_no (清单编号) or by seq_no (统一编号), exactly one"
            )
        return self

    @property
    def number(self) -> str:
        return self.bond_invt_no or self.seq_no or ""
