"""Seeding the simulator when it starts: `ENTERPRISE:DECLARATIONS:BONDED_LISTS[:SEED]`, e.g. `demo:2000:200`,
records spread over the 30 days before the start (`guanwu up --simulator-dataset …`, `python -m
guanwu.singlewindow_sim --dataset …`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from guanwu.customs.fixtures.datasets import MAX_BONDED_LISTS, MAX_DECLARATIONS, DataSet
from guanwu.singlewindow_sim.state import SingleWindowState

DEFAULT_SEED = 1
"""A fixed seed by default: the demo shows the same records after every restart."""
DAYS = 30
FORMAT = "ENTERPRISE:DECLARATIONS:BONDED_LISTS[:SEED]"


@dataclass(frozen=True)
class SeedSpec:
    enterprise: str
    declarations: int
    bonded_lists: int
    seed: int = DEFAULT_SEED

    @classmethod
    def parse(cls, text: str) -> SeedSpec:
        """`demo:2000:200` or `demo:2000:200:42`; ValueError says what is wrong."""
        parts = text.split(":")
        if len(parts) not in (3, 4) or not parts[0] or len(parts[0]) > 64:
            raise ValueError(f"{text!r} is not {FORMAT} (e.g. demo:2000:200)")
        try:
            declarations, bonded_lists, *seed = (int(part) for part in parts[1:])
        except ValueError:
            raise ValueError(f"{text!r}: the counts and the seed are whole numbers ({FORMAT})") from None
        if not 0 <= declarations <= MAX_DECLARATIONS or not 0 <= bonded_lists <= MAX_BONDED_LISTS:
            raise ValueError(
                f"{text!r}: at most {MAX_DECLARATIONS} declarations and {MAX_BONDED_LISTS} bonded lists"
            )
        if seed and not 0 <= seed[0] < 2**63:
            raise ValueError(f"{text!r}: the seed is 0 or more")
        return cls(parts[0], declarations, bonded_lists, *seed)

    def data_set(self, now: datetime) -> DataSet:
        return DataSet(
            seed=self.seed,
            start=(now - timedelta(days=DAYS)).replace(microsecond=0),
            days=DAYS,
            declarations=self.declarations,
            bonded_lists=self.bonded_lists,
        )

    def __str__(self) -> str:
        return f"{self.enterprise}: {self.declarations} 报关单, {self.bonded_lists} 核注清单 (seed {self.seed}, 最近{DAYS}天)"


async def seed_all(state: SingleWindowState, specs: list[SeedSpec]) -> None:
    for spec in specs:
        await state.seed(spec.enterprise, spec.data_set(state.clock()))
