"""Seeded data sets per enterprise (the test device's records), the count oracle and `touch`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from guanwu.customs.fixtures.datasets import BEIJING, MAX_BONDED_LISTS, MAX_DECLARATIONS, TRADERS, DataSet
from guanwu.singlewindow_sim.errors import ControlRoute, ErrorBody, SimulatorError, WireRoute, describe
from guanwu.singlewindow_sim.queries import BondedListFilters, DeclarationFilters
from guanwu.singlewindow_sim.records import EnterpriseRecords, Kind, to_ms
from guanwu.singlewindow_sim.routes.depends import EnterpriseInPath, Simulator
from guanwu.singlewindow_sim.state import SingleWindowState
from guanwu.singlewindow_sim.wire import iso_ms

control = APIRouter(route_class=ControlRoute)
wire = APIRouter(route_class=WireRoute)

EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2098, 1, 1, tzinfo=UTC)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "The enterprise has no data set"}
}


class DataSetIn(BaseModel):
    """`POST /sim/datasets`: replace the enterprise's records with a seeded data set."""

    model_config = ConfigDict(extra="forbid")

    enterprise: str = Field(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")
    seed: int = Field(ge=0, le=2**63 - 1, description="The same seed gives the same records")
    declarations: int = Field(0, ge=0, le=MAX_DECLARATIONS)
    bonded_lists: int = Field(0, ge=0, le=MAX_BONDED_LISTS)
    start: datetime | None = Field(
        None, description="Start of the period (default: 30 days ago); naive: Beijing"
    )
    days: int = Field(30, ge=1, le=366, description="Length of the period; every record changed inside it")

    @field_validator("start")
    @classmethod
    def _plausible(cls, start: datetime | None) -> datetime | None:
        if start is None:
            return None
        aware = start if start.tzinfo is not None else start.replace(tzinfo=BEIJING)
        if not EARLIEST <= aware < LATEST:
            raise ValueError(f"start must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
        return aware


class DataSetSummary(BaseModel):
    enterprise: str
    seed: int
    declarations: int
    bonded_lists: int
    start: datetime
    end: datetime
    days: int
    enterprise_name: str = Field(
        description="The company the enterprise is in its records (企业类别/企业类型)"
    )
    trade_names: list[str] = Field(description="境内收发货人 names the declarations use (trade_name filter)")
    touched: dict[str, int] = Field(description="Records touched since the data set was made, per kind")
    seconds_to_generate: float | None = None


def _summary(enterprise: str, records: EnterpriseRecords, seconds: float | None = None) -> DataSetSummary:
    data = records.data
    return DataSetSummary(
        enterprise=enterprise,
        seed=data.seed,
        declarations=data.declarations,
        bonded_lists=data.bonded_lists,
        start=data.start,
        end=data.start + timedelta(days=data.days),
        days=data.days,
        enterprise_name=data.enterprise.name,
        trade_names=[party.name for party in TRADERS],
        touched=dict(records.touched),
        seconds_to_generate=seconds,
    )


def _records(state: SingleWindowState, enterprise: str) -> EnterpriseRecords:
    records = state.records.get(enterprise)
    if records is None:
        raise SimulatorError(
            404, "not_found", f"企业 {enterprise} 没有数据集 no data set for this enterprise"
        )
    return records


@control.post(
    "/datasets", response_model=DataSetSummary, status_code=201, summary="Seed an enterprise's records"
)
async def seed(body: DataSetIn, state: Simulator) -> DataSetSummary:
    start = body.start or (state.clock() - timedelta(days=30)).replace(microsecond=0)
    data = DataSet(
        seed=body.seed,
        start=start,
        days=body.days,
        declarations=body.declarations,
        bonded_lists=body.bonded_lists,
    )
    began = time.perf_counter()
    records = await state.seed(body.enterprise, data)
    return _summary(body.enterprise, records, round(time.perf_counter() - began, 3))


@control.get(
    "/datasets/{enterprise}",
    response_model=DataSetSummary,
    responses=NOT_FOUND,
    summary="The enterprise's data set",
)
async def summary(enterprise: EnterpriseInPath, state: Simulator) -> DataSetSummary:
    return _summary(enterprise, _records(state, enterprise))


class CountQuery(BaseModel):
    """The filters of `GET /sim/query/…` for the kind (paging aside)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    enterprise_category: str | None = None
    seq_no: str | None = None
    entry_kind: str | None = None
    trade_name: str | None = None
    enterprise_type: str | None = None
    data_source: str | None = None
    number: str | None = None
    ie_flag: str | None = None
    data_status: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None


class Count(BaseModel):
    count: int


@wire.get(
    "/datasets/{enterprise}/count",
    response_model=Count,
    responses={400: {"model": ErrorBody}, **NOT_FOUND},
    summary="The test oracle: how many records the query's filters match (no session, no faults)",
)
async def count(
    enterprise: EnterpriseInPath, query: Annotated[CountQuery, Query()], state: Simulator
) -> Count:
    records = _records(state, enterprise)
    values: dict[str, Any] = query.model_dump(exclude={"kind"}, exclude_none=True)
    model = DeclarationFilters if query.kind == "declarations" else BondedListFilters
    try:
        filters = model.model_validate(values)
    except ValidationError as exc:
        raise SimulatorError(400, "invalid_request", describe(exc.errors())) from None
    return Count(count=records.of(query.kind).count(filters.select(records)))


class TouchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    count: int = Field(ge=1, le=MAX_DECLARATIONS, description="How many records change")


class Touched(BaseModel):
    kind: Kind
    count: int
    updated_at: str
    seq_nos: list[str] = Field(description="统一编号 of the records touched")


@control.post(
    "/datasets/{enterprise}/touch",
    response_model=Touched,
    responses=NOT_FOUND,
    summary="Change n records now (version + 1, updated_at = now): the oldest first",
)
async def touch(enterprise: EnterpriseInPath, body: TouchIn, state: Simulator) -> Touched:
    records = _records(state, enterprise)
    index = records.of(body.kind)
    if body.count > len(index):
        raise SimulatorError(
            422, "too_many", f"the data set holds {len(index)} {body.kind}, not {body.count}"
        )
    now_ms = to_ms(state.clock())
    touched = index.touch(body.count, now_ms)
    records.touched[body.kind] += body.count
    data = records.data
    seq_nos = [
        data.declaration_facts(i).seq_no if body.kind == "declarations" else data.bonded_list_facts(i).seq_no
        for i in touched
    ]
    return Touched(kind=body.kind, count=body.count, updated_at=iso_ms(now_ms), seq_nos=seq_nos)
