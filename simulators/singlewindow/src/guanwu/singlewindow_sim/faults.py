"""Faults on demand, per enterprise: what makes the simulator a test device for sync's upstream client.

Choices:
- Which requests fail (503) or hang is drawn from a generator seeded with the faults' seed, in the order the
  requests arrive: a run that sends the same requests in the same order meets the same failures.
- Which records are malformed is not drawn in request order but hashed from (seed, kind, index): the same
  records are broken on every run, whichever page or retry reads them.
- Latency and hangs wait with the injected sleep (asyncio.sleep), so a hanging request holds no one else up.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guanwu.singlewindow_sim.errors import SimulatorError

Sleep = Callable[[float], Awaitable[None]]
MalformedKind = Literal["declarations", "bonded_lists", "receipts"]


class Faults(BaseModel):
    """`PUT /sim/faults`: how the Single Window misbehaves towards one enterprise from now on."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enterprise: str = Field(min_length=1, max_length=64, description="The enterprise (guanwu tenant)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seeds which requests fail and which records break")
    latency_ms: int = Field(0, ge=0, le=60_000, description="Added to every Single Window request")
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered 503")
    timeout_rate: float = Field(0.0, ge=0, le=1, description="Share of requests that hang `hang_seconds`")
    hang_seconds: float = Field(30.0, ge=0, le=600, description="How long a hanging request hangs (then 504)")
    malformed_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of records and receipts served with broken XML (the same every run)",
    )
    duplicate_receipts: bool = Field(False, description="Every receipt appears twice in the feed")
    out_of_order_receipts: bool = Field(False, description="Every feed page comes reversed")
    expire_session_every: int | None = Field(
        None, ge=1, le=1_000_000, description="A session expires after this many query requests"
    )
    session_ttl_seconds: int = Field(600, ge=1, le=86_400, description="Lifetime of a new session")

    @model_validator(mode="after")
    def _shares_fit(self) -> Faults:
        if self.error_rate + self.timeout_rate > 1:
            raise ValueError("error_rate + timeout_rate must not exceed 1")
        return self


class ActiveFaults:
    """One enterprise's faults while they are in force."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._draws = random.Random(faults.seed)

    async def disturb(self, sleep: Sleep) -> None:
        """Before a Single Window request is answered: wait, then maybe refuse (503) or hang (then 504)."""
        faults = self.faults
        if faults.latency_ms:
            await sleep(faults.latency_ms / 1000)
        if not faults.error_rate and not faults.timeout_rate:
            return
        draw = self._draws.random()
        if draw < faults.error_rate:
            raise SimulatorError(
                503,
                "unavailable",
                "单一窗口暂时无法服务 the Single Window is unavailable (injected fault)",
                {"Retry-After": "1"},
            )
        if draw < faults.error_rate + faults.timeout_rate:
            await sleep(faults.hang_seconds)
            raise SimulatorError(
                504, "timeout", "单一窗口处理超时 the Single Window timed out (injected fault)"
            )

    def malformed(self, kind: MalformedKind, index: int) -> bool:
        """Whether record (or receipt) `index` of `kind` is served broken: fixed by the seed, not by the request."""
        rate = self.faults.malformed_rate
        if rate <= 0:
            return False
        digest = hashlib.blake2b(f"{self.faults.seed}:{kind}:{index}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") < rate * 2**64


NO_FAULTS = ActiveFaults(Faults(enterprise="-"))


def broken(xml: str) -> str:
    """Malformed XML: the message cut off in the middle of an element, as a dropped connection leaves it."""
    return xml[: max(1, len(xml) // 2)]
